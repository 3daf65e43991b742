#pragma once
// PurgeGuard: the node's purge rule, handed to its storage engine as the PurgeDecider
// (common/purge_decider.h). docs/storage.md, "Deletes that stay deleted", explains it.
//
// A deleted record (a tombstone, or once TTL lands an expired value: deleted at its expiry)
// of key K at engine sequence S, deleted at D, is purged only when all of these hold:
//  1. Age: now >= D + the grace of K's namespace (tombstone_grace_s; validation keeps it
//     >= 1 h, far above --max-write-age (<= 300 s) plus clock skew, so a late write
//     attempt is refused before it could meet an emptied key).
//  2. Proof: S <= PurgeProof::ProvenThrough(K's token): a both-ways Merkle session with
//     every other replica of K's range, on the current ring version and the replica's
//     current incarnation, began after this node held the record.
//  3. No pending hint: no node gossips a hint (or cross-DC queue entry) for a replica of K
//     (or its DC) whose stamp is <= D + kSkewMarginMs: such a hint may carry an older
//     value that the tombstone must still be there to defeat.
//  4. The ring is not handing K over (no pending replica of K).
// Never by age alone: a replica that stays down blocks purges in its ranges (the records
// are counted as awaiting proof) until it returns and is repaired, or is removed from the
// ring, after which the proof completes with the current replicas.
//
// Repair leaves records past their grace (condition 1 alone) out of Merkle trees
// (OutOfRepair), so a replica that purged one and a replica that has not yet do not copy
// it back; a stale value on a peer still differs from our absence and meets the
// tombstone in the exchange.
//
// Thread-safe: compaction threads call Decide, repair threads record sessions, the admin
// thread reads the state.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/mutex.h"
#include "common/purge_decider.h"
#include "common/ring_view.h"
#include "common/vector_clock.h"
#include "node/cluster/membership.h"
#include "node/cluster/namespaces.h"
#include "node/repair/purge_proof.h"

namespace ringkv {

// What the rule reads besides the proof: a snapshot of gossip and the namespace catalog.
struct PurgeInputs {
  std::shared_ptr<const RingView> view;  // null: nothing may be purged
  PurgeProof::Generations generations;   // current incarnation per member
  // Oldest pending hint stamp per target ("node id" or "dc:NAME"), over every member.
  std::map<std::string, uint64_t, std::less<>> oldest_hint;
  std::map<std::string, uint64_t, std::less<>> grace_ms;  // per live namespace
  uint64_t default_grace_ms = 0;                          // for a namespace not (or no longer) known
};

inline constexpr uint64_t kSkewMarginMs = 60'000;

// The grace of the namespace `stored_key` is in, in ms.
uint64_t GraceOf(const PurgeInputs& in, std::string_view stored_key);
// The rule above, over `in` and `proof` at wall time `now_ms`.
PurgeVerdict DecidePurge(const PurgeInputs& in, const PurgeProof& proof, std::string_view stored_key, uint64_t seq,
                         uint64_t deleted_at_ms, uint64_t now_ms);

class PurgeGuard final : public PurgeDecider {
 public:
  // How often the gossip snapshot is refreshed (by SteadyMs) while compactions ask.
  static constexpr uint64_t kRefreshMs = 1000;

  PurgeGuard(std::string self_id, const Clock& clock) : self_(self_id), clock_(clock), proof_(std::move(self_id)) {}

  // Until Attach (and after Detach) nothing is purged. Both must outlive the attachment.
  void Attach(Membership* membership, Namespaces* namespaces) EXCLUDES(mu_);
  void Detach() EXCLUDES(mu_);

  PurgeVerdict Decide(std::string_view user_key, uint64_t seq, uint64_t deleted_at_ms) const override;
  uint64_t MinGraceMs() const override;
  uint64_t Epoch() const override { return epoch_.load(std::memory_order_acquire); }

  // True for a set that is all tombstones and past its namespace's grace: Merkle trees
  // leave it out (see above).
  bool OutOfRepair(std::string_view stored_key, const SiblingSet& set) const;
  // A repair session this node initiated completed (or not: see RepairSession).
  void SessionCompleted(const RepairSession& session);

  // For /health and metrics: the ranges without proof and the replicas missing.
  ProofGaps Gaps() const;

 private:
  // The inputs, refreshed when older than kRefreshMs or the ring changed. Null if detached.
  std::shared_ptr<const PurgeInputs> Inputs() const EXCLUDES(mu_);

  const std::string self_;
  const Clock& clock_;
  mutable PurgeProof proof_;  // Inputs() (const) adopts a new ring into it
  std::atomic<uint64_t> epoch_{0};
  mutable Mutex mu_;
  Membership* membership_ GUARDED_BY(mu_) = nullptr;
  Namespaces* namespaces_ GUARDED_BY(mu_) = nullptr;
  mutable std::shared_ptr<const PurgeInputs> inputs_ GUARDED_BY(mu_);
  mutable uint64_t refreshed_ms_ GUARDED_BY(mu_) = 0;
};

}  // namespace ringkv
