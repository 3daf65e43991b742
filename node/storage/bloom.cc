#include "node/storage/bloom.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "common/hash.h"

namespace ringkv::storage {
namespace {

constexpr int kMaxProbes = 30;

// Probe positions come from one 64-bit hash: h1 + i*delta (Kirsch-Mitzenmacher).
inline uint32_t Delta(uint32_t h) { return (h >> 17) | (h << 15); }

}  // namespace

BloomFilterBuilder::BloomFilterBuilder(int bits_per_key) : bits_per_key_(std::max(1, bits_per_key)) {}

void BloomFilterBuilder::AddKey(std::string_view user_key) { hashes_.push_back(Hash64(user_key)); }

std::string BloomFilterBuilder::Finish() {
  int k = std::clamp(static_cast<int>(std::lround(bits_per_key_ * std::numbers::ln2)), 1, kMaxProbes);
  size_t bits = std::max<size_t>(64, hashes_.size() * static_cast<size_t>(bits_per_key_));
  size_t bytes = (bits + 7) / 8;
  bits = bytes * 8;
  std::string filter(bytes, '\0');
  for (uint64_t hash : hashes_) {
    auto h = static_cast<uint32_t>(hash);
    uint32_t delta = Delta(static_cast<uint32_t>(hash >> 32));
    for (int i = 0; i < k; ++i) {
      size_t bit = h % bits;
      filter[bit / 8] = static_cast<char>(filter[bit / 8] | (1 << (bit % 8)));
      h += delta;
    }
  }
  filter.push_back(static_cast<char>(k));
  hashes_.clear();
  return filter;
}

bool BloomMayContain(std::string_view filter, std::string_view user_key) {
  if (filter.size() < 2) return true;
  int k = static_cast<unsigned char>(filter.back());
  if (k < 1 || k > kMaxProbes) return true;  // not a filter we wrote: cost a read, not an answer
  size_t bits = (filter.size() - 1) * 8;
  uint64_t hash = Hash64(user_key);
  auto h = static_cast<uint32_t>(hash);
  uint32_t delta = Delta(static_cast<uint32_t>(hash >> 32));
  for (int i = 0; i < k; ++i) {
    size_t bit = h % bits;
    if ((static_cast<unsigned char>(filter[bit / 8]) & (1 << (bit % 8))) == 0) return false;
    h += delta;
  }
  return true;
}

}  // namespace ringkv::storage
