#pragma once
// Bloom filter over a table's user keys: "definitely absent" or "maybe present".
//
// k = round(bits_per_key * ln 2) probes by double hashing one 64-bit xxh3 hash
// (as LevelDB's util/bloom.cc); ~1% false positives at 10 bits per key. The encoded filter
// is the bit array followed by one byte holding k, so a reader needs no options.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringkv::storage {

class BloomFilterBuilder {
 public:
  explicit BloomFilterBuilder(int bits_per_key);
  void AddKey(std::string_view user_key);
  size_t NumKeys() const { return hashes_.size(); }
  std::string Finish();

 private:
  int bits_per_key_;
  std::vector<uint64_t> hashes_;
};

// False only if the key was certainly never added. A malformed filter answers true
// (it can cost a read, never a wrong answer).
bool BloomMayContain(std::string_view filter, std::string_view user_key);

}  // namespace ringkv::storage
