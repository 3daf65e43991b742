#include "node/storage/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#ifdef RINGKV_FAULT_INJECTION
#include <atomic>
#include <condition_variable>
#include <mutex>
#endif

namespace ringkv::storage {
namespace {

constexpr size_t kWriteBufferBytes = 64 * 1024;
constexpr std::string_view kDiskFull = "disk full: ";

Status Errno(std::string_view what, const std::string& path, int err = errno) {
  std::string context = std::string(what) + " " + path;
  if (err == ENOSPC || err == EDQUOT) context.insert(0, kDiskFull);
  return Status::FromErrno(context, err);
}

// ---- the fault seam (file.h) ----
#ifdef RINGKV_FAULT_INJECTION
std::mutex faults_mu;
std::condition_variable faults_changed;
FileFaults faults;  // guarded by faults_mu
std::atomic<bool> faults_set{false};

FileFaults FaultsFromEnvironment() {
  static const char* control = std::getenv("RINGKV_FAULTS_FILE");
  FileFaults f;
  if (control == nullptr) return f;
  int fd = ::open(control, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return f;
  char buf[512];
  ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return f;
  buf[n] = '\0';
  char part[400] = {0};
  if (std::sscanf(buf, "%d %d %399s", &f.write_errno, &f.sync_errno, part) >= 2) f.path_part = part;
  return f;
}

// The errno the seam makes a write or sync of `path` fail with, or 0. A stalled write
// waits here until the faults change.
int InjectedErrno(bool sync, const std::string& path) {
  if (!faults_set.load(std::memory_order_acquire)) {
    FileFaults f = FaultsFromEnvironment();
    if (path.find(f.path_part) == std::string::npos) return 0;
    return sync ? f.sync_errno : f.write_errno;
  }
  std::unique_lock lock(faults_mu);
  auto applies = [&] { return path.find(faults.path_part) != std::string::npos; };
  if (!sync) faults_changed.wait(lock, [&] { return !faults.stall_writes || !applies(); });
  if (!applies()) return 0;
  return sync ? faults.sync_errno : faults.write_errno;
}
#else
int InjectedErrno(bool, const std::string&) { return 0; }
#endif

}  // namespace

bool FileFaultsCompiledIn() {
#ifdef RINGKV_FAULT_INJECTION
  return true;
#else
  return false;
#endif
}

Status SetFileFaults(const FileFaults& f) {
#ifdef RINGKV_FAULT_INJECTION
  {
    std::lock_guard lock(faults_mu);
    faults = f;
    faults_set.store(true, std::memory_order_release);
  }
  faults_changed.notify_all();
  return Status::OK();
#else
  (void)f;
  return Status::NotSupported("this build has no storage fault seam (configure with BUILD_TESTING=ON)");
#endif
}

bool IsDiskFull(const Status& s) { return s.IsIOError() && s.message().compare(0, kDiskFull.size(), kDiskFull) == 0; }

Result<std::unique_ptr<WritableFile>> WritableFile::Create(const std::string& path, bool truncate) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return Errno("cannot open for writing", path);
  struct stat st {};
  uint64_t size = 0;
  if (!truncate && ::fstat(fd, &st) == 0) size = static_cast<uint64_t>(st.st_size);
  return std::unique_ptr<WritableFile>(new WritableFile(path, fd, size));
}

WritableFile::~WritableFile() {
  if (fd_ >= 0) (void)Close();
}

Status WritableFile::WriteAll(const char* p, size_t n) {
  if (int err = InjectedErrno(false, path_)) return Errno("write failed on", path_, err);
  while (n > 0) {
    ssize_t w = ::write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Errno("write failed on", path_);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::OK();
}

Status WritableFile::Append(std::string_view data) {
  size_ += data.size();
  if (buf_.size() + data.size() <= kWriteBufferBytes) {
    buf_.append(data);
    return Status::OK();
  }
  RINGKV_TRY(Flush());
  if (data.size() >= kWriteBufferBytes) return WriteAll(data.data(), data.size());
  buf_.append(data);
  return Status::OK();
}

Status WritableFile::Flush() {
  if (buf_.empty()) return Status::OK();
  Status s = WriteAll(buf_.data(), buf_.size());
  buf_.clear();
  return s;
}

Status WritableFile::Sync() {
  RINGKV_TRY(Flush());
  return SyncWritten();
}

Status WritableFile::SyncWritten() const {
  if (int err = InjectedErrno(true, path_)) return Errno("fdatasync failed on", path_, err);
  if (::fdatasync(fd_) != 0) return Errno("fdatasync failed on", path_);
  return Status::OK();
}

Status WritableFile::Close() {
  if (fd_ < 0) return Status::OK();
  Status s = Flush();
  if (::close(fd_) != 0 && s.ok()) s = Errno("close failed on", path_);
  fd_ = -1;
  return s;
}

Result<std::unique_ptr<RandomAccessFile>> RandomAccessFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open for reading", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status s = Errno("cannot stat", path);
    ::close(fd);
    return s;
  }
  return std::unique_ptr<RandomAccessFile>(new RandomAccessFile(path, fd, static_cast<uint64_t>(st.st_size)));
}

RandomAccessFile::~RandomAccessFile() { ::close(fd_); }

Status RandomAccessFile::Read(uint64_t offset, size_t n, std::string* out) const {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd_, out->data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Errno("read failed on", path_);
    }
    if (r == 0) {
      return Status::Corruption("short read in " + path_ + " at offset " + std::to_string(offset) + ": wanted " +
                                std::to_string(n) + " bytes, file has " + std::to_string(size_));
    }
    done += static_cast<size_t>(r);
  }
  return Status::OK();
}

Result<std::string> ReadFileToString(const std::string& path) {
  RINGKV_ASSIGN(auto file, RandomAccessFile::Open(path));
  std::string data;
  RINGKV_TRY(file->Read(0, file->Size(), &data));
  return data;
}

Status SyncDir(const std::string& dir) {
  if (int err = InjectedErrno(true, dir)) return Errno("fsync failed on directory", dir, err);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open directory", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync failed on directory", dir);
  return Status::OK();
}

Status WriteFileAtomically(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  {
    RINGKV_ASSIGN(auto file, WritableFile::Create(tmp));
    Status s = file->Append(data);
    if (s.ok()) s = file->Sync();
    if (s.ok()) s = file->Close();
    if (!s.ok()) {
      (void)RemoveFile(tmp);  // on a full disk, give the space back at once
      return s;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename onto", path);
  auto slash = path.find_last_of('/');
  return SyncDir(slash == std::string::npos ? "." : path.substr(0, slash));
}

Status TruncateFile(const std::string& path, uint64_t size) {
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) return Errno("cannot truncate", path);
  return Status::OK();
}

Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("cannot remove", path);
  return Status::OK();
}

Status CreateDirIfMissing(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Errno("cannot create directory", dir);
  return Status::OK();
}

Status LinkFile(const std::string& from, const std::string& to) {
  if (::link(from.c_str(), to.c_str()) != 0) return Errno("cannot link " + from + " as", to);
  return Status::OK();
}

Result<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Errno("cannot list directory", dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(d);
  return names;
}

bool FileExists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

Result<uint64_t> FileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Errno("cannot stat", path);
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace ringkv::storage
