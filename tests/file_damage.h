#pragma once
// Damages files the way bad disks and torn writes do, for the corruption tests.

#include <cstdint>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

namespace ringkv::testing {

// Flips one bit of the byte at `offset`.
inline void FlipBit(const std::string& path, uint64_t offset, int bit = 0) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f.good());
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ (1 << bit));
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
  REQUIRE(f.good());
}

}  // namespace ringkv::testing
