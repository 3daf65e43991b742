#pragma once
// HintStore: writes this node holds for other nodes (hinted handoff), durable and apart
// from its own data — a StorageEngine of its own under <data>/hints.
//
// One entry per (target node, key) holding a sibling set: a second hint for the same key
// merges into the first (dotted version vectors), so retries and repeated writes never
// pile up or multiply; delivering a hint delivers the key's merged state once. Each entry
// remembers when it last changed: hints older than the window are dropped (Merkle repair
// covers what they held). An entry is deleted after delivery only if it did not change
// meanwhile, so a write that lands during delivery is never lost.
//
// Accounting (HintStats, exported as ringkv_hints_*): every entry is counted once as
// stored when it is created and once more when it goes — delivered or dropped — and one
// lock covers the counters and the queue, so any Stats() snapshot satisfies
//   stored == delivered + dropped + queued.
// Incoming hints that fold into an entry already held are counted as merged, so
// stored + merged is the number of hints this store took in.
//
// Thread-safe. Calls may block on disk: keep them off the RPC event loop, as ReplicaStore.

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/published_catalog.h"
#include "common/vector_clock.h"
#include "node/storage/engine.h"
#include "ringkv/status.h"

namespace ringkv {

struct Hint {
  std::string key;
  SiblingSet set;
  uint64_t updated_ms = 0;
  std::string stored;  // the encoded entry as read (RemoveIfUnchanged compares it)
};

// Why an entry was given up without being delivered.
enum class HintDrop {
  kExpired,           // older than the hint window (Merkle repair covers it)
  kRefused,           // its target refused it as invalid (logged)
  kNamespaceDropped,  // its key's namespace incarnation was dropped: it may never be stored
};
inline constexpr size_t kHintDropReasons = 3;
// The metric label: "expired", "refused", "namespace_dropped".
std::string_view HintDropName(HintDrop why);

// What became of the hints that reached this store since it was opened.
struct HintCounters {
  uint64_t stored = 0;      // (target, key) entries created; at Open, the entries found on disk
  uint64_t merged = 0;      // incoming hints folded into the entry already held for their target and key
  uint64_t delivered = 0;   // entries acknowledged by their target, or by the key's replicas, and deleted
  uint64_t redirected = 0;  // of `delivered`: given to the key's replicas because the target left the ring
  std::array<uint64_t, kHintDropReasons> dropped{};  // entries given up, by HintDrop

  uint64_t DroppedTotal() const;
};

// One consistent snapshot: counters.stored == counters.delivered + DroppedTotal() + QueuedTotal().
struct HintStats {
  HintCounters counters;
  std::map<std::string, uint64_t> queued;  // entries held now, per target (targets with none absent)

  uint64_t QueuedTotal() const;
};

class HintStore {
 public:
  using Mode = storage::ReadMode;

  // `catalog` (may be null) says which keys belong to a dropped namespace incarnation: a
  // hint for one is never stored (Add discards it, CoordinatePut refuses it, both counted
  // in PublishedCatalog::dropped_writes), and hinted handoff discards those it holds.
  static Result<std::unique_ptr<HintStore>> Open(const std::string& dir, std::string node_id, StorageOptions options,
                                                 const PublishedCatalog* catalog = nullptr);

  // True when `key` belongs to a dropped namespace incarnation (see Open).
  bool IsDroppedKey(std::string_view key) const { return catalog_ != nullptr && catalog_->IsDroppedKey(key); }

  // Folds `set` into the hint for (target, key).
  Status Add(std::string_view target, std::string_view key, const SiblingSet& set, bool lww, uint64_t now_ms,
             Mode mode = Mode::kMayBlock);
  // A fallback coordinating a client write: applies it to the hint for (target, key) as
  // this node (see SiblingSet::Update for `counter_floor`) and returns the hint's set. A
  // write the hint holds or has seen superseded changes nothing (as ReplicaStore's).
  Result<SiblingSet> CoordinatePut(std::string_view target, std::string_view key, const CausalContext& context,
                                   Sibling write, bool lww, uint64_t counter_floor, uint64_t now_ms,
                                   Mode mode = Mode::kMayBlock);
  // Up to `max` hints for `target`, in key order, after key `after` (empty: from the start).
  Result<std::vector<Hint>> Scan(std::string_view target, std::string_view after, size_t max);
  // Deletes the entry unless it changed since `hint` was read (a changed entry stays
  // queued, uncounted, for the next delivery). `why` picks the counter.
  enum class Outcome { kDelivered, kRedirected, kExpired, kRefused, kNamespaceDropped };
  Status RemoveIfUnchanged(std::string_view target, const Hint& hint, Outcome why);

  // Entries queued per target (targets with none are absent).
  std::map<std::string, uint64_t> Queued() const;
  HintCounters counters() const;
  // Counters and queue together, as of one moment.
  HintStats Stats() const;
  // A consistent copy of the held hints in the new directory `dir` (StorageEngine::Checkpoint).
  Result<storage::CheckpointInfo> Checkpoint(const std::string& dir) { return engine_->Checkpoint(dir); }
  Status Close();

 private:
  HintStore(std::unique_ptr<storage::StorageEngine> engine, std::string node_id, const PublishedCatalog* catalog);
  // IsDroppedKey, counted.
  bool Dropped(std::string_view key) const;
  Status CountExisting();
  std::mutex& LockFor(std::string_view target, std::string_view key);
  Result<std::unique_lock<std::mutex>> Lock(std::string_view target, std::string_view key, Mode mode);
  // The stored entry (with its encoding in `stored`), or nullopt.
  Result<std::optional<Hint>> Load(const std::string& entry_key, Mode mode);
  Status Store(std::string_view target, const std::string& entry_key, const SiblingSet& set, uint64_t now_ms,
               bool existed);
  void CountMerged();

  std::unique_ptr<storage::StorageEngine> engine_;
  const std::string node_id_;
  const PublishedCatalog* const catalog_;
  std::array<std::mutex, 32> stripes_;
  mutable std::mutex counts_mu_;  // guards queued_ and counters_ together
  std::map<std::string, uint64_t> queued_;
  HintCounters counters_;
};

}  // namespace ringkv
