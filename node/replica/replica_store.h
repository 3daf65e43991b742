#pragma once
// ReplicaStore: this node's replicas, one dotted-version-vector set (SiblingSet) per key,
// kept in the StorageEngine as the record's value.
//
// Expired values (TTL) are hidden by the store's clock: every set it returns has had
// SiblingSet::Expire applied with the node's wall clock. A set whose every live value
// expires is stored with that expiry and its expired form (storage::Record), so compaction
// can drop the values without knowing what a sibling set is.
//
// Every change is a read-modify-write of the key's set under a per-key (striped) lock, so
// concurrent coordinated puts and merges of one key never lose each other's siblings.
// Calls may block on disk (a block read, an fsync in durability=always): run them off the
// RPC event loop.

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/published_catalog.h"
#include "common/vector_clock.h"
#include "node/storage/engine.h"
#include "ringkv/limits.h"
#include "ringkv/status.h"

namespace ringkv {

// Refuses a write attempt stamped more than `max_age_ms` before `now_ms`: the client gave
// up on it long ago (it sat in a paused node's socket, or behind a partition), and its id
// may no longer be remembered where its retry was superseded. InvalidArgument names the age.
Status CheckWriteAge(const Sibling& write, uint64_t now_ms, uint64_t max_age_ms);

// InvalidArgument for a write a set refuses as older than its kept history (WriteFate::kTooOld).
Status TooOldForHistory(const Sibling& write, const SiblingSet& set);

// InvalidArgument unless a write's expiry (if any) is after its stamp by at most 10 years,
// and on a value (a delete carries none).
Status CheckExpiry(const Sibling& write);

class ReplicaStore {
 public:
  // kNoBlock: answer from memory without waiting on a lock, a disk read or an fsync, or
  // return Busy so the caller can retry with kMayBlock on a worker thread.
  using Mode = storage::ReadMode;

  // Largest encoded sibling set kept for one key; beyond it a put is refused and the
  // application must resolve its siblings (write back a merge).
  static constexpr size_t kMaxSetBytes = kMaxSiblingSetBytes;

  // How long a key keeps the ids of writes it has seen superseded (by their stamps, on
  // this node's clock). Longer than any node accepts a write attempt (--max-write-age)
  // plus the clock skew between nodes: while an attempt can still arrive, its id is known.
  static constexpr uint64_t kRetiredRetentionMs = 10 * 60 * 1000;

  // `clock` (the node's) ages superseded write ids and floors new dots; it must outlive
  // the store. `catalog` (may be null: nothing is ever dropped) says which keys belong to
  // a dropped namespace incarnation: writes of those are never stored (see below).
  ReplicaStore(storage::StorageEngine* engine, std::string node_id, const Clock& clock = Clock::System(),
               const PublishedCatalog* catalog = nullptr);

  // Applies a client write as the coordinating replica: the siblings `context` covers are
  // replaced by `write`, which gets this node's next dot. Returns the key's new set. A
  // write the key holds already (a retry) or has seen superseded (a late duplicate of an
  // attempt the client gave up on) changes nothing: the current set comes back. One
  // stamped before the history the key keeps is refused (InvalidArgument), and so is a
  // write to a dropped namespace incarnation (counted in PublishedCatalog::dropped_writes).
  Result<SiblingSet> CoordinatePut(std::string_view key, const CausalContext& context, Sibling write, bool lww,
                                   Mode mode = Mode::kMayBlock);
  // Folds another replica's set for `key` into ours; returns the merged set. A set for a
  // key of a dropped namespace incarnation (replication, read repair, a hint, Merkle
  // repair, streaming, cross-DC shipping) is discarded: OK, an empty set, counted.
  Result<SiblingSet> Merge(std::string_view key, const SiblingSet& incoming, bool lww, Mode mode = Mode::kMayBlock);
  // Our set for `key`, or nullopt when we hold nothing.
  Result<std::optional<SiblingSet>> Get(std::string_view key, Mode mode = Mode::kMayBlock);
  // Every stored (key, set) from `start` on, in key order, over a snapshot; `fn` returns
  // false to stop. Sets that are all tombstones (deleted or expired) are included: repair
  // must spread deletes, and an expired write still supersedes what it replaced.
  Status ForEach(std::string_view start, const std::function<bool(std::string_view, const SiblingSet&)>& fn);

  // Deletes `keys` (of dropped namespace incarnations) through the engine's delete path: a
  // tombstone each, in one batch, which compaction reaps at once (StorageOptions::reap_at_once).
  Status EraseDropped(std::span<const std::string> keys);
  // Returns once every write that was under way when it was called has finished. A write
  // checks the catalog under its key's lock, so after a drop is published and this
  // returns, no write of the dropped incarnation can still be stored.
  void AwaitWritesInFlight();

  // The least counter this node gives a new dot: milliseconds since 2025-01-01 by the
  // store's wall clock. A node that cannot see the dots it issued before — its data
  // directory was wiped, or it coordinates into a hint store — still issues fresh ones,
  // unless a single key took over one write per millisecond from it (documented in
  // docs/architecture.md).
  uint64_t DotCounterFloor() const;

  const std::string& node_id() const { return node_id_; }
  // The engine's last visible sequence number (a repair session's start, for the purge proof).
  uint64_t LastSequence() const { return engine_->LastSequence(); }

 private:
  std::mutex& LockFor(std::string_view key);
  // Locks the key's stripe; in kNoBlock mode only if it is free (else Busy).
  Result<std::unique_lock<std::mutex>> Lock(std::string_view key, Mode mode);
  // Empty set when absent; retired ids past kRetiredRetentionMs are forgotten.
  Result<SiblingSet> Load(std::string_view key, Mode mode);
  Status Store(std::string_view key, const SiblingSet& set);
  // True (and counted) when `key` belongs to a dropped namespace incarnation.
  // REQUIRES: the key's stripe is locked (AwaitWritesInFlight relies on it).
  bool Dropped(std::string_view key) const;

  storage::StorageEngine* engine_;
  const std::string node_id_;
  const Clock& clock_;
  const PublishedCatalog* const catalog_;
  std::array<std::mutex, 64> stripes_;
};

}  // namespace ringkv
