#pragma once
// Thin POSIX file wrappers: every storage file is written through these, so fsync,
// atomic replace and error reporting (with the file's path) are done one way everywhere.
//
// Errors: an I/O failure is an IOError naming the call and the file. A write that failed
// because the filesystem is full (ENOSPC, EDQUOT) says so first: "disk full: write failed
// on <path>: No space left on device"; IsDiskFull() recognises it, because callers treat it
// differently (storage.md, "I/O errors and a full disk").

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringkv/status.h"

namespace ringkv::storage {

// Append-only file with a user-space buffer. Not thread-safe, but for SyncWritten.
class WritableFile {
 public:
  static Result<std::unique_ptr<WritableFile>> Create(const std::string& path, bool truncate = true);
  ~WritableFile();
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;

  Status Append(std::string_view data);
  Status Flush();  // buffer -> OS
  Status Sync();   // Flush + fdatasync
  // fdatasync alone: makes durable what Flush has handed to the OS. The one call that may
  // run on another thread than the writer's (it reads only the descriptor), while the
  // writer goes on appending; Close must not run meanwhile.
  Status SyncWritten() const;
  Status Close();                          // Flush + close (no sync)
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
// A hard link `to` of the file `from` (same filesystem; IOError otherwise or if `to` exists).
Status LinkFile(const std::string& from, const std::string& to);
Result<std::vector<std::string>> ListDir(const std::string& dir);
bool FileExists(const std::string& path);
Result<uint64_t> FileSize(const std::string& path);

// True for the IOError of a write refused because the filesystem is full.
bool IsDiskFull(const Status& s);

// ---- test-only fault seam ----
// Makes write(2) or fdatasync/fsync of the files whose path contains `path_part` fail with
// the given errno (0 = no fault), as a failing or full disk would. Compiled in only with
// RINGKV_FAULT_INJECTION (test builds: CMake's BUILD_TESTING); otherwise SetFileFaults
// returns NotSupported and no check runs. A whole process (kvnode under a cluster test)
// reads its faults from the file named by the environment variable RINGKV_FAULTS_FILE,
// re-read at every write and sync: one line "<write errno> <sync errno> <path part>",
// e.g. "0 5 .log" (fsyncs of WALs fail with EIO); a missing file means no faults.
struct FileFaults {
  int write_errno = 0;
  int sync_errno = 0;
  bool stall_writes = false;  // writes wait until the faults change: a disk that is behind
  std::string path_part;      // empty: every file
};
bool FileFaultsCompiledIn();
Status SetFileFaults(const FileFaults& faults);

}  // namespace ringkv::storage
