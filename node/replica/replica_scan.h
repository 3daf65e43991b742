#pragma once
// Range reads of this node's replicas for scans: one page of (stored key, sibling set) in
// key order over stored-key ranges (common/scan_range.h), and a count of the live keys in
// such ranges. Both read a snapshot through the engine's iterator, so they may block on
// disk: run them on a worker, never on the RPC event loop.
//
// A page holds at most `max_entries` entries and stops once it holds `max_bytes` of encoded
// sets (always at least one entry, however large); `more` says whether keys remain in the
// ranges past the last entry. Sets that are all tombstones are returned like any other:
// the reader must see a delete to drop an older value another replica still has. Values
// expired by `now_ms` (the node's wall clock) come back as the tombstones of their writes
// (SiblingSet::Expire), never with their bytes.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/scan_range.h"
#include "common/vector_clock.h"
#include "node/storage/engine.h"
#include "ringkv/status.h"

namespace ringkv {

struct ReplicaScanPage {
  std::vector<std::pair<std::string, SiblingSet>> entries;  // stored key, its set
  bool more = false;
};

Result<ReplicaScanPage> ReadReplicaRange(storage::StorageEngine& engine, const std::vector<StoredKeyRange>& ranges,
                                         size_t max_entries, size_t max_bytes, uint64_t now_ms);

// Records in `ranges` with a live value at `now_ms`: not tombstones, and not a set whose
// every value has expired by then.
Result<uint64_t> CountLiveKeys(storage::StorageEngine& engine, const std::vector<StoredKeyRange>& ranges,
                               uint64_t now_ms);

}  // namespace ringkv
