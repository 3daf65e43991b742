#pragma once
// LRU cache of uncompressed, checksum-verified SSTable data blocks, shared by all tables
// of one engine and bounded in bytes. Keyed by (file number, block offset). Thread-safe
// (sharded locks). Entries are shared_ptr, so an evicted block stays alive while in use.
// A block is charged its size; each of the 16 shards holds capacity/16 bytes, so a block
// bigger than that is handed back but not kept.

#include <cstdint>
#include <memory>
#include <string>

namespace ringkv::storage {

class BlockCache {
 public:
  explicit BlockCache(size_t capacity_bytes);
  ~BlockCache();
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  std::shared_ptr<const std::string> Lookup(uint64_t file_number, uint64_t offset);
  void Insert(uint64_t file_number, uint64_t offset, std::shared_ptr<const std::string> block);
  // Drops every block of a file (called when the table is deleted).
  void EraseFile(uint64_t file_number);
  size_t UsageBytes() const;

 private:
  struct Shard;
  Shard& ShardFor(uint64_t file_number, uint64_t offset);
  size_t capacity_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace ringkv::storage
