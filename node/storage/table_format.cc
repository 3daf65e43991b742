#include "node/storage/table_format.h"

#include <lz4.h>
#include <zstd.h>

#include "common/coding.h"
#include "common/hash.h"
#include "node/storage/block.h"

namespace ringkv::storage {
namespace {

constexpr int kZstdLevel = 3;

uint32_t BlockChecksum(std::string_view data, char type) {
  return MaskChecksum(Checksum32(data, std::string_view(&type, 1)));
}

// Compressed form of `in` for `type`, or false when the codec fails or saves < 12.5%.
bool Compress(Compression type, std::string_view in, std::string* out) {
  out->clear();
  if (type == Compression::kLz4) {
    PutVarint32(out, static_cast<uint32_t>(in.size()));
    size_t header = out->size();
    int bound = LZ4_compressBound(static_cast<int>(in.size()));
    out->resize(header + static_cast<size_t>(bound));
    int n = LZ4_compress_default(in.data(), out->data() + header, static_cast<int>(in.size()), bound);
    if (n <= 0) return false;
    out->resize(header + static_cast<size_t>(n));
  } else if (type == Compression::kZstd) {
    out->resize(ZSTD_compressBound(in.size()));
    size_t n = ZSTD_compress(out->data(), out->size(), in.data(), in.size(), kZstdLevel);
    if (ZSTD_isError(n)) return false;
    out->resize(n);
  } else {
    return false;
  }
  return out->size() < in.size() - in.size() / 8;
}

Status Uncompress(char type, std::string_view in, std::string* out) {
  if (type == static_cast<char>(Compression::kLz4)) {
    uint32_t raw = 0;
    if (!GetVarint32(&in, &raw) || raw > (64u << 20)) return Status::Corruption("bad lz4 length");
    out->resize(raw);
    int n = LZ4_decompress_safe(in.data(), out->data(), static_cast<int>(in.size()), static_cast<int>(raw));
    if (n < 0 || static_cast<uint32_t>(n) != raw) return Status::Corruption("lz4 data does not decompress");
    return Status::OK();
  }
  if (type == static_cast<char>(Compression::kZstd)) {
    unsigned long long raw = ZSTD_getFrameContentSize(in.data(), in.size());
    if (raw == ZSTD_CONTENTSIZE_ERROR || raw == ZSTD_CONTENTSIZE_UNKNOWN || raw > (64u << 20)) {
      return Status::Corruption("bad zstd frame");
    }
    out->resize(raw);
    size_t n = ZSTD_decompress(out->data(), out->size(), in.data(), in.size());
    if (ZSTD_isError(n) || n != raw) return Status::Corruption("zstd data does not decompress");
    return Status::OK();
  }
  return Status::Corruption("unknown compression type " + std::to_string(static_cast<int>(type)));
}

}  // namespace

void EncodeHandle(const BlockHandle& h, std::string* out) {
  PutVarint64(out, h.offset);
  PutVarint64(out, h.size);
}

bool DecodeHandle(std::string_view* in, BlockHandle* h) {
  return GetVarint64(in, &h->offset) && GetVarint64(in, &h->size);
}

Result<BlockHandle> WriteBlock(WritableFile* file, std::string_view contents, Compression compression,
                               std::string* scratch) {
  char type = static_cast<char>(Compression::kNone);
  std::string_view body = contents;
  if (compression != Compression::kNone && Compress(compression, contents, scratch)) {
    type = static_cast<char>(compression);
    body = *scratch;
  }
  BlockHandle handle{file->Size(), body.size()};
  char trailer[kBlockTrailerSize];
  trailer[0] = type;
  EncodeFixed32(trailer + 1, BlockChecksum(body, type));
  RINGKV_TRY(file->Append(body));
  RINGKV_TRY(file->Append(std::string_view(trailer, kBlockTrailerSize)));
  return handle;
}

Result<std::shared_ptr<const std::string>> ReadBlock(const RandomAccessFile& file, const BlockHandle& handle,
                                                     const char* kind) {
  auto corrupt = [&](std::string_view problem) { return BlockCorruption(file.path(), problem, kind, handle.offset); };
  // Written to not overflow: handles come from the file itself.
  uint64_t file_size = file.Size();
  if (handle.offset > file_size || file_size - handle.offset < kBlockTrailerSize ||
      handle.size > file_size - handle.offset - kBlockTrailerSize) {
    return corrupt("handle of " + std::to_string(handle.size) + " bytes past the end of the file (" +
                   std::to_string(file_size) + " bytes)");
  }
  auto raw = std::make_shared<std::string>();
  RINGKV_TRY(file.Read(handle.offset, handle.size + kBlockTrailerSize, raw.get()));
  std::string_view body(raw->data(), handle.size);
  char type = (*raw)[handle.size];
  if (BlockChecksum(body, type) != DecodeFixed32(raw->data() + handle.size + 1)) {
    return corrupt("checksum mismatch");
  }
  if (type == static_cast<char>(Compression::kNone)) {
    raw->resize(handle.size);
    return std::shared_ptr<const std::string>(std::move(raw));
  }
  auto out = std::make_shared<std::string>();
  Status s = Uncompress(type, body, out.get());
  if (!s.ok()) return corrupt(s.message());
  return std::shared_ptr<const std::string>(std::move(out));
}

std::string EncodeFooter(const Footer& footer) {
  std::string out;
  for (const BlockHandle* h : {&footer.bloom, &footer.properties, &footer.index}) {
    PutFixed64(&out, h->offset);
    PutFixed64(&out, h->size);
  }
  PutFixed32(&out, kTableFormatVersion);
  PutFixed32(&out, MaskChecksum(Checksum32(out)));
  PutFixed64(&out, kTableMagic);
  return out;
}

Result<Footer> DecodeFooter(std::string_view bytes, const std::string& path) {
  auto bad = [&](const std::string& what) { return Status::Corruption("sstable " + path + ": footer " + what); };
  if (bytes.size() != kFooterSize) return bad("is truncated");
  if (DecodeFixed64(bytes.data() + 56) != kTableMagic) return bad("has a bad magic number (not a ringkv table)");
  if (MaskChecksum(Checksum32(bytes.substr(0, 52))) != DecodeFixed32(bytes.data() + 52)) {
    return bad("checksum mismatch");
  }
  uint32_t version = DecodeFixed32(bytes.data() + 48);
  if (version != kTableFormatVersion) return bad("has unsupported format version " + std::to_string(version));
  Footer f;
  BlockHandle* handles[] = {&f.bloom, &f.properties, &f.index};
  for (int i = 0; i < 3; ++i) {
    handles[i]->offset = DecodeFixed64(bytes.data() + 16 * i);
    handles[i]->size = DecodeFixed64(bytes.data() + 16 * i + 8);
  }
  return f;
}

std::string EncodeProperties(const TableProperties& p) {
  std::string out;
  for (uint64_t v : {p.num_entries, p.num_tombstones, p.num_data_blocks, p.raw_key_bytes, p.raw_value_bytes, p.min_seq,
                     p.max_seq, p.newest_tombstone_ms}) {
    PutVarint64(&out, v);
  }
  PutLengthPrefixed(&out, p.smallest_key);
  PutLengthPrefixed(&out, p.largest_key);
  bool expiring = p.num_expiring != 0;
  if (!p.blob_files.empty() || expiring) {  // absent in tables without blob references (and older tables)
    PutVarint64(&out, p.blob_files.size());
    for (uint64_t n : p.blob_files) PutVarint64(&out, n);
  }
  if (expiring) {  // absent in tables without expiring records (and older tables)
    PutVarint64(&out, p.num_expiring);
    PutVarint64(&out, p.newest_expiry_ms);
  }
  return out;
}

bool DecodeProperties(std::string_view in, TableProperties* p) {
  for (uint64_t* v : {&p->num_entries, &p->num_tombstones, &p->num_data_blocks, &p->raw_key_bytes, &p->raw_value_bytes,
                      &p->min_seq, &p->max_seq, &p->newest_tombstone_ms}) {
    if (!GetVarint64(&in, v)) return false;
  }
  std::string_view smallest, largest;
  if (!GetLengthPrefixed(&in, &smallest) || !GetLengthPrefixed(&in, &largest)) return false;
  p->blob_files.clear();
  if (!in.empty()) {
    uint64_t count = 0;
    if (!GetVarint64(&in, &count) || count > in.size()) return false;
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t n = 0;
      if (!GetVarint64(&in, &n)) return false;
      p->blob_files.push_back(n);
    }
  }
  p->num_expiring = 0;
  p->newest_expiry_ms = 0;
  if (!in.empty() && (!GetVarint64(&in, &p->num_expiring) || !GetVarint64(&in, &p->newest_expiry_ms) || !in.empty())) {
    return false;
  }
  p->smallest_key.assign(smallest);
  p->largest_key.assign(largest);
  return p->num_entries == 0 ||
         (p->smallest_key.size() >= kInternalKeyTrailer && p->largest_key.size() >= kInternalKeyTrailer);
}

}  // namespace ringkv::storage
