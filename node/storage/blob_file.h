#pragma once
// Blob files: large values kept out of line (as WiscKey and RocksDB's integrated BlobDB do),
// so that data blocks, the block cache and compaction handle small records only.
//
//   NNNNNN.blob = ["RKVBLOB1"][value][value]...   values back to back, nothing else
//
// A flush writes every value of at least `blob_threshold_bytes` to one new blob file and
// the table record points at it (BlobRef: file, offset, size, checksum of the bytes).
// Guarantees:
//  - Finish() fsyncs the file; the engine names it in the MANIFEST only after that, together
//    with the table that refers to it, so a reference never points at a file not yet durable.
//  - Read() checks the bytes against the reference's checksum: a truncated or damaged blob
//    file is Corruption naming the file and the offset, never wrong data.
//  - A blob file is deleted (MarkObsolete) only when the last Version holding it is gone:
//    snapshots and iterators keep every blob file their tables refer to.
// Reads go to the file (the OS page cache), not through the block cache. Thread-safe reads.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "node/storage/file.h"
#include "node/storage/record.h"
#include "ringkv/status.h"

namespace ringkv::storage {

inline constexpr std::string_view kBlobMagic = "RKVBLOB1";

class BlobFile {
 public:
  // Opens a finished blob file and checks its magic (Corruption naming the file otherwise).
  static Result<std::shared_ptr<BlobFile>> Open(const std::string& path, uint64_t file_number);
  ~BlobFile();  // removes the file if MarkObsolete() was called
  BlobFile(const BlobFile&) = delete;
  BlobFile& operator=(const BlobFile&) = delete;

  // The value `ref` points at (ref.file_number must be this file's).
  Status Read(const BlobRef& ref, std::string* value) const;
  void MarkObsolete();
  uint64_t file_number() const { return number_; }
  uint64_t file_size() const { return file_->Size(); }
  const std::string& path() const { return file_->path(); }

 private:
  BlobFile(std::unique_ptr<RandomAccessFile> file, uint64_t number) : file_(std::move(file)), number_(number) {}
  std::unique_ptr<RandomAccessFile> file_;
  const uint64_t number_;
  std::atomic<bool> obsolete_{false};
};

// Writes one blob file. Not thread-safe. The caller removes the file after Abandon().
class BlobFileBuilder {
 public:
  static Result<std::unique_ptr<BlobFileBuilder>> Create(const std::string& path, uint64_t file_number);

  // Appends `value`; returns where it is.
  Result<BlobRef> Add(std::string_view value);
  Status Finish();  // fsync + close
  void Abandon();

  uint64_t file_number() const { return number_; }
  uint64_t value_count() const { return count_; }
  uint64_t value_bytes() const { return bytes_; }  // sum of the values' sizes
  const std::string& path() const { return file_->path(); }

 private:
  BlobFileBuilder(std::unique_ptr<WritableFile> file, uint64_t number) : file_(std::move(file)), number_(number) {}
  std::unique_ptr<WritableFile> file_;
  const uint64_t number_;
  uint64_t count_ = 0;
  uint64_t bytes_ = 0;
  Status status_;  // first failure; every later call returns it
};

}  // namespace ringkv::storage
