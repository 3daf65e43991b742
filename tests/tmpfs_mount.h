#pragma once
// TmpfsMount: a size-limited tmpfs mounted on a fresh directory for one test (a small disk
// the test can fill), unmounted and removed when it goes out of scope, whatever happened.
// The first mount moves the test process into a mount namespace of its own (inherited by
// the kvnodes it starts), so a test killed before its destructors run leaves no mount
// behind. Mounting needs root (CAP_SYS_ADMIN); Mount() says why it could not.

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "temp_dir.h"

namespace ringkv::testing {

class TmpfsMount {
 public:
  // Mounts a tmpfs of `bytes` on a new directory; nullptr and *why when it cannot.
  static std::unique_ptr<TmpfsMount> Mount(size_t bytes, std::string* why) {
    auto dir = std::make_unique<TempDir>();
    std::string path = dir->path();
    auto m = MountOn(path, bytes, why);
    if (m) m->own_dir_ = std::move(dir);
    return m;
  }
  // Mounts it on the existing, empty directory `path` (unmounted, not removed, at the end).
  static std::unique_ptr<TmpfsMount> MountOn(const std::string& path, size_t bytes, std::string* why) {
    static const bool own_namespace = [] {  // needs a single-threaded process; else mounts are shared
      return ::unshare(CLONE_NEWNS) == 0 && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
    }();
    (void)own_namespace;
    std::string options = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", path.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      *why = "cannot mount a tmpfs on " + path + ": " + std::strerror(errno) + " (needs root)";
      return nullptr;
    }
    return std::unique_ptr<TmpfsMount>(new TmpfsMount(path));
  }
  ~TmpfsMount() { ::umount2(path_.c_str(), MNT_DETACH); }  // before own_dir_ is removed
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  const std::string& path() const { return path_; }

  // Fills the filesystem with a file of zeros until a write fails for lack of space.
  // Returns the bytes written.
  size_t FillWith(const std::string& name) {
    std::FILE* f = std::fopen((path() + "/" + name).c_str(), "wb");
    if (f == nullptr) return 0;
    std::setvbuf(f, nullptr, _IONBF, 0);
    static const char kZeros[4096] = {};
    size_t written = 0;
    for (;;) {  // bounded: the filesystem is small
      size_t n = std::fwrite(kZeros, 1, sizeof(kZeros), f);
      written += n;
      if (n < sizeof(kZeros)) break;
    }
    std::fclose(f);
    return written;
  }
  void Remove(const std::string& name) { std::filesystem::remove(path() + "/" + name); }

 private:
  explicit TmpfsMount(std::string path) : path_(std::move(path)) {}
  std::unique_ptr<TempDir> own_dir_;  // declared first: removed after the unmount
  std::string path_;
};

}  // namespace ringkv::testing
