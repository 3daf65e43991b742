#include "node/storage/blob_file.h"

#include "common/hash.h"

namespace ringkv::storage {

// ---- BlobFile ----

Result<std::shared_ptr<BlobFile>> BlobFile::Open(const std::string& path, uint64_t file_number) {
  RINGKV_ASSIGN(auto file, RandomAccessFile::Open(path));
  std::string magic;
  if (file->Size() < kBlobMagic.size() || !file->Read(0, kBlobMagic.size(), &magic).ok() || magic != kBlobMagic) {
    return Status::Corruption("blob file " + path + ": bad magic (not a ringkv blob file, or truncated)");
  }
  return std::shared_ptr<BlobFile>(new BlobFile(std::move(file), file_number));
}

BlobFile::~BlobFile() {
  if (obsolete_.load()) (void)RemoveFile(file_->path());
}

void BlobFile::MarkObsolete() { obsolete_.store(true); }

Status BlobFile::Read(const BlobRef& ref, std::string* value) const {
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption("blob file " + path() + " at offset " + std::to_string(ref.offset) + ": " + what);
  };
  if (ref.file_number != number_) return corrupt("reference names blob file " + std::to_string(ref.file_number));
  if (ref.offset < kBlobMagic.size() || ref.offset > file_->Size() || ref.size > file_->Size() - ref.offset) {
    return corrupt("truncated: the value needs " + std::to_string(ref.size) + " bytes, the file has " +
                   std::to_string(file_->Size()));
  }
  Status s = file_->Read(ref.offset, ref.size, value);
  if (!s.ok()) return s.IsCorruption() ? corrupt(s.message()) : s;
  if (MaskChecksum(Checksum32(*value)) != ref.checksum) {
    value->clear();
    return corrupt("checksum mismatch in a " + std::to_string(ref.size) + "-byte value");
  }
  return Status::OK();
}

// ---- BlobFileBuilder ----

Result<std::unique_ptr<BlobFileBuilder>> BlobFileBuilder::Create(const std::string& path, uint64_t file_number) {
  RINGKV_ASSIGN(auto file, WritableFile::Create(path));
  std::unique_ptr<BlobFileBuilder> b(new BlobFileBuilder(std::move(file), file_number));
  b->status_ = b->file_->Append(kBlobMagic);
  RINGKV_TRY(b->status_);
  return b;
}

Result<BlobRef> BlobFileBuilder::Add(std::string_view value) {
  RINGKV_TRY(status_);
  BlobRef ref{number_, file_->Size(), value.size(), MaskChecksum(Checksum32(value))};
  status_ = file_->Append(value);
  RINGKV_TRY(status_);
  ++count_;
  bytes_ += value.size();
  return ref;
}

Status BlobFileBuilder::Finish() {
  RINGKV_TRY(status_);
  status_ = file_->Sync();
  if (status_.ok()) status_ = file_->Close();
  return status_;
}

void BlobFileBuilder::Abandon() { (void)file_->Close(); }

}  // namespace ringkv::storage
