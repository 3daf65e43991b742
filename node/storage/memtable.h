#pragma once
// The in-memory, sorted write buffer: every version written since the last flush.
//
// Entries live in an arena as [varint ikey length][internal key][varint value length][value]
// and are indexed by a SkipList in internal-key order (user key asc, sequence desc).
// One writer at a time (the engine's write mutex); reads and iterators need no lock.
// Shared by shared_ptr: snapshots and iterators keep a memtable alive after it is flushed.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/storage/arena.h"
#include "node/storage/iterator.h"
#include "node/storage/record.h"
#include "node/storage/skiplist.h"

namespace ringkv::storage {

class Memtable : public std::enable_shared_from_this<Memtable> {
 public:
  Memtable();
  Memtable(const Memtable&) = delete;
  Memtable& operator=(const Memtable&) = delete;

  // Single writer. `seq` must be unique across calls.
  void Add(SequenceNumber seq, std::string_view user_key, std::string_view encoded_record);

  struct Entry {
    std::string value;
    SequenceNumber seq = 0;
  };
  // The newest entry for `user_key` with sequence <= snapshot.
  std::optional<Entry> Get(std::string_view user_key, SequenceNumber snapshot) const;

  // Every entry, in internal key order; keeps this memtable alive.
  std::unique_ptr<InternalIterator> NewIterator() const;

  size_t ApproximateBytes() const { return arena_.MemoryUsage(); }
  uint64_t NumEntries() const { return entries_.load(std::memory_order_relaxed); }
  bool Empty() const { return NumEntries() == 0; }

 private:
  struct EntryComparator {
    int operator()(const char* a, const char* b) const;
  };
  using Table = SkipList<EntryComparator>;
  class Iter;

  Arena arena_;
  Table table_;
  std::atomic<uint64_t> entries_{0};
};

// The immutable memtables of one moment, newest first (their sequence ranges are disjoint
// and descend in this order). Replaced whole when one is added or flushed, never changed,
// so a reader copies one pointer.
using MemtableList = std::vector<std::shared_ptr<Memtable>>;

}  // namespace ringkv::storage
