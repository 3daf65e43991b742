#pragma once
// An open, immutable SSTable: footer, index, bloom filter and properties are read and
// checksum-verified at Open and kept in memory; data blocks are read on demand through
// the shared BlockCache, each verified against its checksum before use.
//
// Any damage (bad magic/version, checksum mismatch, undecodable block) is a Corruption
// status naming the file and the block's offset, never a crash or a wrong value.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/config.h"
#include "node/storage/block_cache.h"
#include "node/storage/iterator.h"
#include "node/storage/record.h"
#include "node/storage/sstable_builder.h"
#include "node/storage/stats.h"
#include "ringkv/status.h"

namespace ringkv::storage {

class SSTable : public std::enable_shared_from_this<SSTable> {
 public:
  // `cache` and `stats` may be null; both must outlive the table.
  static Result<std::shared_ptr<SSTable>> Open(const std::string& path, uint64_t file_number, BlockCache* cache,
                                               StorageStats* stats);
  ~SSTable();  // removes the file if MarkObsolete() was called
  SSTable(const SSTable&) = delete;
  SSTable& operator=(const SSTable&) = delete;

  // The newest entry for `user_key` with sequence <= snapshot: its encoded Record and
  // sequence number, or nullopt. Checks the bloom filter first (counted in stats). With
  // `cache_only`, a block missing from the cache is not read: the answer is Busy.
  struct Entry {
    std::string value;
    SequenceNumber seq = 0;
  };
  Result<std::optional<Entry>> Get(std::string_view user_key, SequenceNumber snapshot, bool cache_only = false) const;
  bool MayContain(std::string_view user_key) const;  // bloom filter only
  // Iterates every entry (all versions) in internal key order. Holds a reference to the table.
  std::unique_ptr<InternalIterator> NewIterator() const;

  const TableProperties& properties() const;
  uint64_t file_number() const;
  uint64_t file_size() const;
  const std::string& path() const;
  // Deletes the file once the last reference (version, iterator, snapshot) is gone.
  void MarkObsolete();

 private:
  friend class TableIterator;
  SSTable();
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace ringkv::storage
