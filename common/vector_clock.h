#pragma once
// Version vectors and the dotted version vector set (DVV set) that ringkv keeps per key.
//
// A VersionVector maps node id -> (counter, time of the last increment). A Dot (node,
// counter) names one write, issued by the replica that coordinated it.
//
// SiblingSet is what a replica stores for a key: the causal context (a VersionVector that
// covers every write this replica has seen for the key) and the siblings — the values of
// writes not superseded by any other write it has seen. Because each sibling carries its
// own dot, a write with context C removes exactly the siblings whose dots C covers (the
// ones the writer had seen) and keeps the concurrent ones. The number of siblings is thus
// bounded by the number of truly concurrent writers: no sibling explosion under retries or
// interleaved writers (Riak's vnode-clock failure), and no concurrent write is silently lost.
//
// Each sibling also carries the writer's `write_id`, so a retried put is applied once, and
// the set remembers the ids of writes it has seen superseded (`retired`). A write attempt
// the SDK abandoned (its replica was paused or cut off) can still reach that replica later
// and be applied there under a new dot that no later context covers; because its id is
// retired wherever the write it duplicates was superseded, the duplicate can neither be
// coordinated again nor survive a merge with the newer state (docs/architecture.md,
// "Late write attempts").
//
// A value written with a TTL carries its expiry: an absolute time (the writer's stamp plus
// the TTL, fixed once when the SDK stamps the write), so every replica agrees on it. Once a
// holder's clock passes it, the sibling reads as a tombstone of the same write (Expire): it
// drops out of what a reader sees but keeps its dot and write id, so it still supersedes
// whatever its write superseded, and an older value on another replica cannot win over it
// (docs/architecture.md, "TTL").

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ringkv/status.h"

namespace ringkv {

struct Dot {
  std::string node;
  uint64_t counter = 0;
  bool operator==(const Dot&) const = default;
};

enum class Causality { kEqual, kBefore, kAfter, kConcurrent };

class VersionVector {
 public:
  struct Entry {
    uint64_t counter = 0;
    uint64_t timestamp_ms = 0;
    bool operator==(const Entry&) const = default;
  };

  uint64_t Get(std::string_view node) const;
  bool Covers(const Dot& dot) const { return Get(dot.node) >= dot.counter; }
  // Raises node's counter to at least `counter` (never lowers it).
  void Advance(const std::string& node, uint64_t counter, uint64_t timestamp_ms);
  void Merge(const VersionVector& other);  // pointwise max
  // kBefore: this < other (other dominates).
  Causality Compare(const VersionVector& other) const;
  // Keeps at most `max_entries`, evicting the least recently advanced entries (Dynamo's
  // pruning) except those in `keep`. Evicting can only make writes look concurrent
  // (an extra sibling), never drop one.
  void Prune(size_t max_entries, const std::vector<std::string>& keep);

  const std::map<std::string, Entry, std::less<>>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  bool operator==(const VersionVector&) const = default;

  void EncodeTo(std::string* out) const;
  bool DecodeFrom(std::string_view* in);
  std::string Encode() const;
  static Result<VersionVector> Decode(std::string_view bytes);  // Corruption on malformed input
  std::string ToString() const;                                 // "{n1:3, n2:1}"

 private:
  std::map<std::string, Entry, std::less<>> entries_;
};

// A write known by its id and its stamp (the writer's clock at the put): a write a reader
// saw, or one that has been superseded.
struct WriteRef {
  uint64_t write_id = 0;
  uint64_t timestamp_ms = 0;
  bool operator==(const WriteRef&) const = default;
};

// What a writer had read before its put: the clock of the versions it read and the writes
// it saw (live siblings and tombstones). A put with this context supersedes those writes by
// dot and by id. Encoded, it is the opaque context the SDK hands to applications.
struct CausalContext {
  CausalContext() = default;
  CausalContext(VersionVector c, std::vector<WriteRef> r = {}) : clock(std::move(c)), read(std::move(r)) {}  // NOLINT

  VersionVector clock;
  std::vector<WriteRef> read;

  std::string Encode() const;
  // Accepts this encoding and the older one that held the clock alone.
  static Result<CausalContext> Decode(std::string_view bytes);  // Corruption on malformed input
};

struct Sibling {
  Dot dot;
  uint64_t write_id = 0;  // chosen by the client per logical put; retries reuse it
  uint64_t timestamp_ms = 0;
  bool tombstone = false;
  std::string value;
  // Absolute expiry, ms since the epoch (the write's stamp + its TTL); 0: never. Kept when
  // the sibling expires: an expired sibling is a tombstone with a nonzero expiry.
  uint64_t expires_at_ms = 0;
  bool operator==(const Sibling&) const = default;

  bool ExpiredAt(uint64_t now_ms) const { return expires_at_ms != 0 && now_ms >= expires_at_ms; }
};

// How a set takes a write a client asks it to coordinate (SiblingSet::Classify).
enum class WriteFate {
  kNew,         // not seen: it gets a new dot
  kHeld,        // a retry of a write the set holds: nothing to do
  kSuperseded,  // applied before and since superseded: applying it again would resurrect it
  kTooOld,      // stamped before the oldest history the set keeps: cannot tell; refuse it
};

class SiblingSet {
 public:
  static constexpr size_t kMaxClockEntries = 16;
  // Superseded write ids kept per key (about 2 KB at most). Beyond it the oldest are
  // forgotten and `retired_floor_ms` rises to their stamp: a write stamped at or before it
  // that the set does not hold is refused (kTooOld) rather than risk bringing a forgotten
  // one back. 32 was too few: a 5-minute soak replaced a hot key 40 times while one copy
  // of a twice-coordinated write sat behind a 4 s partition, and that copy came back.
  static constexpr size_t kMaxRetired = 128;

  SiblingSet() = default;
  // From received parts; InvalidArgument unless every sibling has a dot its context covers.
  static Result<SiblingSet> FromParts(VersionVector context, std::vector<Sibling> siblings,
                                      std::vector<WriteRef> retired = {}, uint64_t retired_floor_ms = 0,
                                      bool last_writer_wins = false);

  // What Update would do with `write` (see WriteFate).
  WriteFate Classify(const Sibling& write) const;
  // Coordinator side: applies a client write with `context` as replica `node`; the
  // siblings the context covers (by dot, or by id for the writes it read) are superseded
  // and their ids retired. The dot's counter is one past every counter of `node` this set
  // knows, and at least `counter_floor`: a node passes a clock-derived floor so that dots
  // it issues where it cannot see its earlier ones (a hint store, a wiped data directory)
  // stay unique. Returns the dot the write got, the existing one for a retry of a held
  // write_id, or an empty dot when the write is not applied (Classify: superseded, too old).
  // A set already LWW is resolved again (the write may then be the one dropped, if older).
  Dot Update(const CausalContext& context, const std::string& node, Sibling write, uint64_t counter_floor = 0);
  // Replica side: folds another replica's set for the same key into this one: a sibling
  // survives unless the other side's context covers it without holding it, or its id is
  // retired on either side; if either set is LWW, the result is resolved LWW. Returns
  // whether anything changed (false: the other set told us nothing new).
  bool Merge(const SiblingSet& other);
  // Forgets retired ids stamped before `cutoff_ms` (a node keeps them for longer than it
  // accepts a write attempt: --max-write-age). True if any was forgotten.
  bool ForgetRetiredBefore(uint64_t cutoff_ms);
  // Last-writer-wins: keep only the sibling with the highest (timestamp, dot), and mark the
  // set LWW, so that every later merge anywhere (read repair, hints, Merkle repair,
  // streaming) resolves the same way. True if anything changed.
  bool ResolveLww();
  bool last_writer_wins() const { return lww_; }

  // Turns every sibling whose expiry is at or before `now_ms` into a tombstone of the same
  // write (same dot, id, stamp and expiry; value dropped). True if any changed. Every reader
  // calls it with its own clock before looking at values (a replica with the node's, the SDK
  // with the client's); merges need not, as an expired sibling and its live bytes name the
  // same write.
  bool Expire(uint64_t now_ms);
  // The time at which every live (non-tombstone) sibling will have expired, or 0 when one
  // never expires or the set holds no live sibling.
  uint64_t AllExpireAt() const;
  // Encode() of this set as Expire(now_ms) would leave it, without copying the values that
  // expire: what a store keeps of the set once its values are gone.
  std::string EncodeExpiredAt(uint64_t now_ms) const;

  bool AllTombstones() const;  // true for an empty set too
  uint64_t NewestTimestamp() const;
  // When a set of tombstones was deleted: the newest stamp or expiry of its siblings (an
  // expired value is deleted at its expiry, not at its write). Tombstones age from it.
  uint64_t DeletedAtMs() const;
  const VersionVector& context() const { return context_; }
  const std::vector<Sibling>& siblings() const { return siblings_; }
  const std::vector<WriteRef>& retired() const { return retired_; }  // by write_id
  uint64_t retired_floor_ms() const { return retired_floor_ms_; }
  bool IsRetired(uint64_t write_id) const;
  // The context an application gets for this set: its clock and every sibling's write.
  CausalContext ReadContext() const;
  bool empty() const { return siblings_.empty(); }
  bool operator==(const SiblingSet&) const = default;

  std::string Encode() const;
  // The context and siblings alone: what replicas must agree on (their retired histories
  // may differ by when each forgot old ids, and one may have dropped an expired sibling's
  // value while another still holds it: a sibling with an expiry is encoded without its
  // value and tombstone flag). Merkle repair hashes this.
  std::string EncodeVersions() const;
  static Result<SiblingSet> Decode(std::string_view bytes);

 private:
  // Canonical sibling order (by dot), one sibling per write_id (a retried put that two
  // coordinators each applied is one write: the lower dot stays, the context covers
  // both), no retired id that names a live sibling, bounded retired ids, and a bounded
  // context.
  void Normalize();
  void PruneContext();
  // versions_only: no retired history, and expiring siblings without value (EncodeVersions).
  void EncodeTo(std::string* out, bool versions_only) const;
  // Adds ids to `retired_`, keeping the later stamp of a repeated id.
  void Retire(const std::vector<WriteRef>& writes);
  void BoundRetired();
  VersionVector context_;
  std::vector<Sibling> siblings_;
  std::vector<WriteRef> retired_;  // sorted by write_id, none live
  uint64_t retired_floor_ms_ = 0;
  bool lww_ = false;  // written in last-writer-wins mode: at most one sibling, after any merge
};

}  // namespace ringkv
