#include "node/storage/block_cache.h"

#include <list>
#include <mutex>
#include <unordered_map>

namespace ringkv::storage {
namespace {

constexpr int kShardBits = 4;
constexpr size_t kShards = size_t{1} << kShardBits;

struct CacheKey {
  uint64_t file;
  uint64_t offset;
  bool operator==(const CacheKey&) const = default;
};

// Block offsets share their low bits (aligned or similar sizes) and file numbers are small,
// so mix every input bit into every output bit (murmur3's finalizer) before the hash picks
// a shard (top bits) and a bucket.
struct CacheKeyHash {
  size_t operator()(const CacheKey& k) const {
    uint64_t h = k.file * 0x9e3779b97f4a7c15ull ^ k.offset;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
  }
};

}  // namespace

// One LRU list + index under one lock; the cache is split into shards to spread contention.
struct BlockCache::Shard {
  struct Entry {
    CacheKey key;
    std::shared_ptr<const std::string> block;
  };
  std::mutex mu;
  size_t capacity = 0;
  size_t usage = 0;
  std::list<Entry> lru;  // front = most recent
  std::unordered_map<CacheKey, std::list<Entry>::iterator, CacheKeyHash> index;

  void EvictToFit() {
    while (usage > capacity && !lru.empty()) {
      usage -= lru.back().block->size();
      index.erase(lru.back().key);
      lru.pop_back();
    }
  }
};

BlockCache::BlockCache(size_t capacity_bytes) : capacity_(capacity_bytes), shards_(new Shard[kShards]) {
  for (size_t i = 0; i < kShards; ++i) shards_[i].capacity = capacity_bytes / kShards;
}

BlockCache::~BlockCache() = default;

BlockCache::Shard& BlockCache::ShardFor(uint64_t file_number, uint64_t offset) {
  uint64_t hash = CacheKeyHash{}(CacheKey{file_number, offset});
  return shards_[hash >> (64 - kShardBits)];
}

std::shared_ptr<const std::string> BlockCache::Lookup(uint64_t file_number, uint64_t offset) {
  Shard& s = ShardFor(file_number, offset);
  std::lock_guard lock(s.mu);
  auto it = s.index.find(CacheKey{file_number, offset});
  if (it == s.index.end()) return nullptr;
  s.lru.splice(s.lru.begin(), s.lru, it->second);
  return it->second->block;
}

void BlockCache::Insert(uint64_t file_number, uint64_t offset, std::shared_ptr<const std::string> block) {
  Shard& s = ShardFor(file_number, offset);
  std::lock_guard lock(s.mu);
  CacheKey key{file_number, offset};
  if (auto it = s.index.find(key); it != s.index.end()) {
    s.usage -= it->second->block->size();
    s.lru.erase(it->second);
    s.index.erase(it);
  }
  s.usage += block->size();
  s.lru.push_front({key, std::move(block)});
  s.index[key] = s.lru.begin();
  s.EvictToFit();
}

void BlockCache::EraseFile(uint64_t file_number) {
  for (size_t i = 0; i < kShards; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    for (auto it = s.lru.begin(); it != s.lru.end();) {
      if (it->key.file == file_number) {
        s.usage -= it->block->size();
        s.index.erase(it->key);
        it = s.lru.erase(it);
      } else {
        ++it;
      }
    }
  }
}

size_t BlockCache::UsageBytes() const {
  size_t total = 0;
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    total += shards_[i].usage;
  }
  return total;
}

}  // namespace ringkv::storage
