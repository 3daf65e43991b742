#pragma once
// NamespaceEraser: removes this node's data of dropped namespace incarnations.
//
// A drop is a catalog record (common/namespace_catalog.h); once this node's catalog holds
// it — by changeNamespace, gossip, or its NAMESPACES file at startup — every stored key of
// the dropped incarnation is deleted through the engine's delete path (a tombstone each,
// ReplicaStore::EraseDropped), a bounded slice per call so the maintenance thread that
// calls it stays responsive and the disk is not flooded (at most `keys_per_step` keys per
// step, one step per maintenance period: 20,000 keys/s by default). When a pass has
// deleted anything, a major compaction follows: it reaps those tombstones at once
// (StorageOptions::reap_at_once) and the shadowed values and blob references with them,
// so nothing of the namespace is left on disk.
//
// Why the tombstones need no grace: no write can store a key of a dropped incarnation again
// (ReplicaStore and HintStore refuse or discard it on every path, and a re-created
// namespace gets a new incarnation), so there is nothing for a tombstone to shadow.
//
// Resumable: a pass starts over whenever the catalog changes and at every start (the ranges
// of long-erased drops are empty after their compaction, so re-scanning them is cheap).
// Not thread-safe: one caller (the maintenance thread); the counters are read from any.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "common/published_catalog.h"
#include "node/replica/replica_store.h"
#include "node/storage/engine.h"

namespace ringkv {

class NamespaceEraser {
 public:
  struct Options {
    size_t keys_per_step = 1000;  // keys deleted per Step (one engine write per 250)
  };
  // All three outlive the eraser.
  NamespaceEraser(ReplicaStore* store, storage::StorageEngine* engine, const PublishedCatalog* catalog,
                  Options options);

  // Deletes up to keys_per_step keys of dropped incarnations (and compacts once a pass that
  // deleted anything is done). True when every drop the catalog knows is erased.
  Result<bool> Step();

  // Whether a drop this node knows of is not yet erased and compacted.
  bool Pending() const { return done_generation_.load() != catalog_->generation(); }
  // Keys deleted per namespace name since the node started (ringkv_namespace_erased_keys_total).
  std::map<std::string, uint64_t> ErasedKeys() const EXCLUDES(counts_mu_);

 private:
  // Deletes up to `budget` live keys of ranges_[range_] from cursor_ on; advances both.
  Result<size_t> EraseSome(size_t budget);

  ReplicaStore* const store_;
  storage::StorageEngine* const engine_;
  const PublishedCatalog* const catalog_;
  const Options options_;

  // The pass under way: the generation it started at, its ranges, and how far it got.
  uint64_t pass_generation_ = 0;
  bool in_pass_ = false;
  std::vector<DroppedRange> ranges_;
  size_t range_ = 0;
  std::string cursor_;  // next key to look at in ranges_[range_]
  uint64_t erased_in_pass_ = 0;
  std::atomic<uint64_t> done_generation_{~uint64_t{0}};  // the generation last fully erased

  mutable Mutex counts_mu_;
  std::map<std::string, uint64_t> erased_ GUARDED_BY(counts_mu_);
};

}  // namespace ringkv
