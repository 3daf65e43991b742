#pragma once
// Thin POSIX file wrappers: every storage file is written through these, so fsync,
// atomic replace and error reporting (with the file's path) are done one way everywhere.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ringkv::storage {

// Append-only file with a user-space buffer. Not thread-safe.
class WritableFile {
 public:
  static Result<std::unique_ptr<WritableFile>> Create(const std::string& path, bool truncate = true);
  ~WritableFile();
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;

  Status Append(std::string_view data);
  Status Flush();  // buffer -> OS
  Status Sync();   // Flush + fdatasync
  Status Close();  // Flush + close (no sync)
  uint64_t Size() const { return size_; }  // bytes appended, flushed or not
  const std::string& path() const { return path_; }

 private:
  WritableFile(std::string path, int fd, uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {}
  Status WriteAll(const char* p, size_t n);
  std::string path_;
  int fd_;
  uint64_t size_;
  std::string buf_;
};

// Positional reads; thread-safe.
class RandomAccessFile {
 public:
  static Result<std::unique_ptr<RandomAccessFile>> Open(const std::string& path);
  ~RandomAccessFile();
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;

  // Reads exactly n bytes at offset into *out (resized); a short read is Corruption.
  Status Read(uint64_t offset, size_t n, std::string* out) const;
  uint64_t Size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  RandomAccessFile(std::string path, int fd, uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {}
  std::string path_;
  int fd_;
  uint64_t size_;
};

Result<std::string> ReadFileToString(const std::string& path);
// Writes `data` to path.tmp, fsyncs it, renames over `path`, fsyncs the directory.
Status WriteFileAtomically(const std::string& path, std::string_view data);
Status SyncDir(const std::string& dir);
Status TruncateFile(const std::string& path, uint64_t size);
Status RemoveFile(const std::string& path);
Status CreateDirIfMissing(const std::string& dir);
Result<std::vector<std::string>> ListDir(const std::string& dir);
bool FileExists(const std::string& path);
Result<uint64_t> FileSize(const std::string& path);

}  // namespace ringkv::storage
