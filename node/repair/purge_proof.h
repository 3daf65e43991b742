#pragma once
// PurgeProof: what this node knows of the other replicas from Merkle repair, as the
// bookkeeping of the purge rule (node/repair/purge_guard.h, docs/storage.md "Deletes that
// stay deleted").
//
// For each token range this node replicates on the current ring version (the ranges
// between consecutive ring tokens, whose replicas are the same throughout), and per other
// replica of it, the proof keeps a mark: the peer's incarnation (gossip generation) and
// the engine sequence number this node had reached when the last repair session with that
// peer over the range began. A session counts only if it exchanged differences in both
// directions (pulled what the peer held differently, then pushed ours) and completed.
//
// Meaning of a mark (peer P, seq S): every entry this node held at sequence <= S for a key
// of the range is, on P, held too or dominated by something newer (the push merged it
// into P's set), or it was left out of both trees as a tombstone past its grace while P
// held nothing for the key or a tombstone itself (nothing older). Sequence numbers, not
// wall time: a tombstone that arrived late (by a hint) gets a new sequence number, so no
// earlier session can vouch for it.
//
// Guarantees:
//  - ProvenThrough(token) is the least mark over the range's other replicas whose
//    incarnation is their current one; nothing when one lacks a mark, when this node does
//    not replicate the range, or when the proof is for another ring version.
//  - A ring version change keeps the marks of ranges whose bounds and replicas are
//    unchanged and drops the rest; a peer's new incarnation voids its marks.
//  - In memory only: after a restart the proof is empty until the next sessions.
// Thread-safe: repair threads record sessions while compaction threads query.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/mutex.h"
#include "common/ring_view.h"
#include "node/repair/merkle.h"

namespace ringkv {

// One completed repair session, as the initiator saw it.
struct RepairSession {
  std::string peer;
  uint64_t peer_generation = 0;  // the peer's incarnation during the session
  uint64_t ring_version = 0;     // the ring both sides compared by
  TokenRange range;              // the tokens compared
  uint64_t start_seq = 0;        // this node's engine sequence when the session began
  bool pulled = false;           // the peer's differing entries were merged here
  bool pushed = false;           // ours were merged into the peer's
};

// How much of this node's ranges lack proof, and which replicas lack a (current) mark.
struct ProofGaps {
  size_t ranges = 0;  // of this node's ranges
  size_t unproven = 0;
  std::set<std::string> missing;
};

class PurgeProof {
 public:
  using Generations = std::map<std::string, uint64_t, std::less<>>;

  explicit PurgeProof(std::string self_id) : self_(std::move(self_id)) {}

  // Adopts `view`'s ring if its version differs from the proof's (see above).
  void OnRing(const RingView& view) EXCLUDES(mu_);
  // Records `session` (ignored unless it went both ways and is on the proof's ring version).
  // True when a mark advanced.
  bool SessionCompleted(const RepairSession& session) EXCLUDES(mu_);
  // The sequence up to which entries of `token` are proven on every other replica.
  std::optional<uint64_t> ProvenThrough(uint64_t token, const Generations& generations) const EXCLUDES(mu_);
  ProofGaps Gaps(const Generations& generations) const EXCLUDES(mu_);
  uint64_t ring_version() const EXCLUDES(mu_);

 private:
  struct Mark {
    uint64_t generation = 0;
    uint64_t seq = 0;
  };
  struct Range {
    TokenRange range;
    std::vector<std::string> others;  // the other replicas, sorted
    std::map<std::string, Mark> marks;
  };
  // The range holding `token`, or nullptr.
  const Range* Find(uint64_t token) const REQUIRES(mu_);
  static bool Current(const Range& r, const std::string& peer, const Generations& generations);

  const std::string self_;
  mutable Mutex mu_;
  bool have_ring_ GUARDED_BY(mu_) = false;
  uint64_t ring_version_ GUARDED_BY(mu_) = 0;
  std::vector<Range> ranges_ GUARDED_BY(mu_);  // this node's, sorted by range.end
};

// True when every token of `inner` is in `outer`.
bool RangeWithin(const TokenRange& inner, const TokenRange& outer);

}  // namespace ringkv
