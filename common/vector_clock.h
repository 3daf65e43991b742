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
// Each sibling also carries the writer's `write_id`, so a retried put is applied once.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

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
  std::string ToString() const;  // "{n1:3, n2:1}"

 private:
  std::map<std::string, Entry, std::less<>> entries_;
};

struct Sibling {
  Dot dot;
  uint64_t write_id = 0;  // chosen by the client per logical put; retries reuse it
  uint64_t timestamp_ms = 0;
  bool tombstone = false;
  std::string value;
  bool operator==(const Sibling&) const = default;
};

class SiblingSet {
 public:
  static constexpr size_t kMaxClockEntries = 16;

  SiblingSet() = default;
  // From received parts; InvalidArgument unless every sibling has a dot its context covers.
  static Result<SiblingSet> FromParts(VersionVector context, std::vector<Sibling> siblings);

  // Coordinator side: applies a client write with `context` as replica `node`. The dot's
  // counter is one past every counter of `node` this set knows, and at least
  // `counter_floor`: a node passes a clock-derived floor so that dots it issues where it
  // cannot see its earlier ones (a hint store, a wiped data directory) stay unique.
  // Returns the dot the write got (or the existing one, for a retry of a known write_id).
  Dot Update(const VersionVector& context, const std::string& node, Sibling write, uint64_t counter_floor = 0);
  // Replica side: folds another replica's set for the same key into this one. Returns
  // whether anything changed (false: the other set told us nothing new).
  bool Merge(const SiblingSet& other);
  // Last-writer-wins: keep only the sibling with the highest (timestamp, dot); true if any
  // sibling was dropped.
  bool ResolveLww();

  bool AllTombstones() const;  // true for an empty set too
  uint64_t NewestTimestamp() const;
  const VersionVector& context() const { return context_; }
  const std::vector<Sibling>& siblings() const { return siblings_; }
  bool empty() const { return siblings_.empty(); }
  bool operator==(const SiblingSet&) const = default;

  std::string Encode() const;
  static Result<SiblingSet> Decode(std::string_view bytes);

 private:
  // Canonical sibling order (by dot), one sibling per write_id (a retried put that two
  // coordinators each applied is one write: the lower dot stays, the context covers
  // both), and a bounded context.
  void Normalize();
  void PruneContext();
  VersionVector context_;
  std::vector<Sibling> siblings_;
};

}  // namespace ringkv
