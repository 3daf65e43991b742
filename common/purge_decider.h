#pragma once
// PurgeDecider: whether compaction may drop a deleted record for good. The storage engine
// sits below replication and cannot know what other replicas hold; the node hands it one
// of these (StorageOptions::purge_decider), implemented by the repair layer from Merkle
// proof, gossiped hint stamps and the namespace's grace (node/repair/purge_guard.h,
// docs/storage.md "Deletes that stay deleted"). Without one (the hint store), the engine
// keeps its fixed `tombstone_grace`.

#include <cstdint>
#include <string_view>

namespace ringkv {

enum class PurgeVerdict {
  kPurge,          // every replica holds it (or nothing older), and it is past its grace
  kTooYoung,       // younger than its namespace's grace: kept whatever the proof says
  kAwaitingProof,  // past its grace, but no proof yet (a replica down, a hint pending)
};

class PurgeDecider {
 public:
  virtual ~PurgeDecider() = default;
  // A record of `user_key` at engine sequence `seq` that is deleted since `deleted_at_ms`
  // (a tombstone's timestamp; an expired value's expiry). Called by compaction threads,
  // once per such record: thread-safe and cheap (no I/O, no waiting on the network).
  virtual PurgeVerdict Decide(std::string_view user_key, uint64_t seq, uint64_t deleted_at_ms) const = 0;
  // The shortest grace of any namespace (ms): a table whose newest tombstone is younger
  // holds nothing purgeable, so the engine need not try.
  virtual uint64_t MinGraceMs() const = 0;
  // Grows whenever a purge refused before may now be allowed (proof advanced): the engine
  // retries tables it already found nothing to purge in.
  virtual uint64_t Epoch() const = 0;
};

}  // namespace ringkv
