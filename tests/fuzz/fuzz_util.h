#pragma once
// Shared by the fuzz targets: a scratch file in /dev/shm (tmpfs) per process, for readers
// that only take a path (the WAL and SSTable readers).

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace ringkv::fuzz {

inline const std::string& ScratchPath(const char* name) {
  static const std::string path = "/dev/shm/ringkv-fuzz-" + std::string(name) + "-" + std::to_string(::getpid());
  return path;
}

inline void WriteFile(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace ringkv::fuzz
