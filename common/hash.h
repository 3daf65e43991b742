#pragma once
// Hashing used across ringkv, all xxHash (XXH3): ring tokens, bloom filters, checksums.
//
// Checksum32 is what every on-disk record and block carries; it is masked (as LevelDB
// masks CRCs) so that a checksum stored inside checksummed data does not self-validate.

#include <cstdint>
#include <string_view>

namespace ringkv {

uint64_t Hash64(std::string_view data, uint64_t seed = 0);
uint32_t Checksum32(std::string_view data);
// Checksum of the concatenation a + b without copying.
uint32_t Checksum32(std::string_view a, std::string_view b);

inline uint32_t MaskChecksum(uint32_t c) { return ((c >> 15) | (c << 17)) + 0xa282ead8u; }
inline uint32_t UnmaskChecksum(uint32_t m) {
  uint32_t rot = m - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace ringkv
