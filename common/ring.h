#pragma once
// The consistent-hash ring: every physical node owns `vnodes` tokens on a 64-bit circle;
// a token owns the arc from the previous token (exclusive) to itself (inclusive). A key
// belongs to the first token clockwise from Hash64(key).
//
// Tokens are state, not a function of the node id: a joining node gets them from
// AllocateTokens, which takes from every current owner in proportion to how far it is
// above its new fair share. So ownership stays proportional to weight (vnodes) — the
// coefficient of variation is ~0 instead of the ~1/sqrt(vnodes) of random tokens — and a
// join moves only the keys the new node must own, K·w/(W+w). Given the replication factor,
// it balances each node's share of all N replicas as well (replica_aware_tokens.h).
//
// PreferenceList(key, n): walk clockwise from the key's token, skipping tokens of
// physical nodes already chosen, until n distinct nodes are found.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ringkv/status.h"

namespace ringkv {

struct RingNode {
  std::string id;       // stable, unique node id
  std::string address;  // host:port of its RPC endpoint
  std::string dc = "dc1";
  std::string rack;
  std::vector<uint64_t> tokens;
  // The node's weight (the vnodes it joined with): its fair share is weight / the sum of
  // the weights. Tokens inherited from a leaving node do not raise it. 0: tokens.size().
  uint32_t weight = 0;

  double Weight() const { return weight != 0 ? weight : static_cast<double>(tokens.size()); }
  bool operator==(const RingNode&) const = default;
};

// Token -> the node that takes it over when its owner leaves (ChooseTokenHeirs in
// common/replica_aware_tokens.h).
using TokenHeirs = std::map<uint64_t, std::string>;

// Hands each token of `heirs` to the node it names, when that node is in `nodes` and does
// not hold it yet (an heir that is absent — gone, or not in this ring — leaves the token
// out: its arc passes to the next token clockwise). An heir's weight is kept.
void HandOverTokens(const TokenHeirs& heirs, std::vector<RingNode>* nodes);

// Replicas per datacenter, e.g. {"west": 3, "east": 3} (multi-DC placement).
using DcReplication = std::map<std::string, uint32_t, std::less<>>;

class Ring {
 public:
  static constexpr uint32_t kDefaultVnodes = 256;

  Ring() = default;
  // Validates: unique ids, >= 1 token each, no token shared by two nodes.
  static Result<Ring> FromNodes(std::vector<RingNode> nodes, uint64_t version = 1);

  // Tokens for a node joining `current` with `vnodes` tokens (its weight). With `replicas`
  // > 1 they balance each node's share of the keys it holds one of `replicas` copies of
  // (ReplicaOwnership), not only primaries (common/replica_aware_tokens.h); 1: primaries only
  // (what per-DC placement uses, whose replicas are not the first N nodes clockwise).
  static std::vector<uint64_t> AllocateTokens(const Ring& current, std::string_view node_id, uint32_t vnodes,
                                              size_t replicas = 1);
  // The founders' ring: `nodes` (in the order given) take turns on evenly spaced tokens,
  // `vnodes` each, rotated by the first one's id. Deterministic, so every founder computes
  // the same ring from the same sorted member list. `replicas` is unused (the layout is
  // even for any N) and kept for callers.
  static Result<Ring> Bootstrap(std::vector<RingNode> nodes, uint32_t vnodes = kDefaultVnodes, size_t replicas = 1);

  // Distinct physical nodes for `key` (at most min(n, node count)), primary first.
  std::vector<const RingNode*> PreferenceList(std::string_view key, size_t n) const;
  std::vector<const RingNode*> PreferenceListForToken(uint64_t token, size_t n) const;
  // Per-DC placement: walking clockwise from the key's token, each DC takes its count of
  // distinct nodes (at most the nodes it has), each from a rack not used yet in that DC
  // while there is one; nodes passed over for a repeated rack fill what is left, in walk
  // order. DCs not in `per_dc` hold no replicas. Primary first.
  std::vector<const RingNode*> PreferenceList(std::string_view key, const DcReplication& per_dc) const;
  std::vector<const RingNode*> PreferenceListForToken(uint64_t token, const DcReplication& per_dc) const;

  // Fraction of the circle each node owns as primary (sums to 1).
  std::map<std::string, double> Ownership() const;
  // Fraction of the circle each node holds one of the `n` replicas of (PreferenceList(key,
  // n) names it): the load it carries. Sums to min(n, size()); even is min(n, size())/size().
  std::map<std::string, double> ReplicaOwnership(size_t n) const;

  const std::vector<RingNode>& nodes() const { return nodes_; }
  const RingNode* Find(std::string_view id) const;
  size_t size() const { return nodes_.size(); }
  bool empty() const { return nodes_.empty(); }
  uint64_t version() const { return version_; }
  size_t num_tokens() const { return tokens_.size(); }

  static uint64_t KeyToken(std::string_view key);

 private:
  struct TokenOwner {
    uint64_t token;
    uint32_t node;  // index into nodes_
  };
  std::vector<RingNode> nodes_;
  std::vector<TokenOwner> tokens_;  // sorted by token
  uint64_t version_ = 0;
};

}  // namespace ringkv
