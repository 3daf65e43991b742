#pragma once
// GossipState: one node's membership table and failure detector, as pure state — no
// network, no threads, no clock (time comes in as `now_ms`), so a simulation of a
// thousand nodes can drive it deterministically.
//
// Guarantees:
//  - Merging is commutative, associative and idempotent: per node the record with the
//    largest (generation, ring_epoch, heartbeat) wins, so any gossip order converges.
//  - RingVersion() (the sum over members of the highest ring_epoch seen) never
//    decreases: nodes and clients can compare rings by it.
//  - A member is SUSPECT after `suspect_after_ms` without a heartbeat increase, DOWN after
//    `down_after_ms`, and UP again as soon as its heartbeat (or generation) increases.
//    Liveness is local and for routing only: it never changes the ring.
//  - A removal (kRemoved, issued through any node) supersedes the removed node's records
//    of the same generation; only a restart (a higher generation) brings it back.
//  - A leaving node names an heir for each of its tokens (MemberRecord::heirs); once it has
//    left, each heir that is a normal member adds those tokens to its own record, so the
//    ring no longer depends on the leaver's record (which a rejoin under its id replaces).

#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/ring.h"
#include "ringkv/status.h"

namespace ringkv {

enum class MemberStatus { kUp, kSuspect, kDown };
enum class RingState : uint8_t { kNormal, kJoining, kLeaving, kLeft, kRemoved };
std::string_view MemberStatusName(MemberStatus s);  // "up", "suspect", "down"
std::string_view RingStateName(RingState s);        // "normal", "joining", ...

// What gossip carries about one node. Authored by that node, except a removal.
struct MemberRecord {
  std::string id, address, dc = "dc1", rack;
  std::vector<uint64_t> tokens;
  uint64_t generation = 0;  // incarnation (the node's start time in seconds); a restart raises it
  uint64_t heartbeat = 0;   // bumped by the owner every gossip interval
  RingState ring_state = RingState::kNormal;
  uint64_t ring_epoch = 0;  // bumped on every change of tokens or ring_state
  uint32_t weight = 0;      // the vnodes it joined with (RingNode::weight); 0: tokens.size()
  // Set by a leaving node: who takes over each of its tokens (ChooseTokenHeirs). The ring
  // after the leave hands them over (HandOverTokens); empty: its arcs pass clockwise.
  TokenHeirs heirs;
  // Per target node (or "dc:NAME" cross-DC queue) this node holds hints for: the stamp of
  // the oldest. Spreads with the next heartbeat; not saved (the hint pass recomputes it).
  std::map<std::string, uint64_t> pending_hints;
  bool operator==(const MemberRecord&) const = default;
};

// a is newer than b: larger (generation, ring_epoch, heartbeat).
bool Supersedes(const MemberRecord& a, const MemberRecord& b);

struct GossipConfig {
  uint64_t suspect_after_ms = 5000;
  uint64_t down_after_ms = 30000;
  size_t fanout = 3;
};

struct MergeOutcome {
  bool changed = false;       // a record was added or replaced
  bool ring_changed = false;  // tokens, ring state or membership changed
};

class GossipState {
 public:
  GossipState(MemberRecord self, GossipConfig config, uint64_t now_ms);

  // One interval passed: bump our heartbeat and re-evaluate every member's status.
  void Tick(uint64_t now_ms);
  // Folds a peer's records in. Records about us never replace ours, except a removal of
  // our current generation (then self_removed()).
  MergeOutcome Merge(std::span<const MemberRecord> records, uint64_t now_ms);
  const std::vector<MemberRecord>& Snapshot() const { return records_; }

  // Up to `fanout` distinct live peers at random (never us, never left/removed members).
  // Each DOWN peer is a candidate only with probability 1/4 per round, so a recovered node
  // is noticed without spending most rounds on dead ones.
  std::vector<std::string> PickPeers(std::mt19937_64& rng) const;
  MemberStatus StatusOf(std::string_view id) const;  // kUp for us, kDown for unknown ids
  const MemberRecord* Find(std::string_view id) const;
  const MemberRecord& self() const { return records_[0]; }

  void SetSelfRingState(RingState state);
  // Starts our leave: kLeaving with the heirs of our tokens, as one change.
  void SetSelfLeaving(TokenHeirs heirs);
  void SetSelfTokens(std::vector<uint64_t> tokens);
  void SetSelfPendingHints(std::map<std::string, uint64_t> oldest) { records_[0].pending_hints = std::move(oldest); }
  Status Remove(std::string_view id, uint64_t now_ms);
  bool self_removed() const { return self_removed_; }

  uint64_t RingVersion() const { return ring_version_; }
  uint64_t version() const { return version_; }

 private:
  struct Liveness {
    uint64_t last_progress_ms = 0;  // when (generation, heartbeat) last increased
    MemberStatus status = MemberStatus::kUp;
    uint64_t counted_epoch = 0;  // this member's share of ring_version_
  };
  void Replace(size_t index, const MemberRecord& r, uint64_t now_ms, MergeOutcome* outcome);
  void BumpSelfEpoch();
  // Adds to our tokens those that members which have left named us heir of. True if any.
  bool AdoptInheritedTokens();
  MemberStatus Evaluate(const Liveness& l, uint64_t now_ms) const;

  GossipConfig config_;
  std::vector<MemberRecord> records_;  // records_[0] is us
  std::vector<Liveness> liveness_;     // parallel to records_
  std::unordered_map<std::string, size_t> index_;
  uint64_t ring_version_ = 0;
  uint64_t version_ = 0;
  bool self_removed_ = false;
};

}  // namespace ringkv
