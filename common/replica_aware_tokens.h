#pragma once
// Token allocation that balances replica load, not only primary ownership (used by
// Ring::AllocateTokens when keys have more than one replica).
//
// A key's N replicas are the first N distinct nodes clockwise from it, so a node's load is
// the share of the circle whose preference list names it. Splitting a donor's arc only to
// balance primaries leaves that uneven: measured with 256 vnodes and N=3, a 4th node
// became a replica of 51% of the key space (even: 75%) and the 4 nodes ranged 0.51-0.92.
//
// Greedy, one token at a time, then local search: every arc is a candidate; inserting a
// token for the joiner X in arc (a, b] at a + s makes X primary of (a, a+s] (taken from b's
// owner) and, at every level L = 1..N, one of the first L replicas of every arc whose walk
// meets X before its L-th node (that node drops to level L+1) and of (a, a+s] itself. The
// shares change linearly in s, so the cost — the sum over levels and nodes of (share of
// the first L replicas - min(1, L·w/W))^2, w = a node's tokens — is a parabola in s: each
// arc's best s is exact, and the arc whose best s lowers the cost most gets the token.
// Balancing every level (the N-th, the load, weighs 4 times the others) keeps a small ring
// (fewer nodes than N) in a shape later joins can balance. Then up to 4 passes move each of
// X's tokens to the best arc when that lowers the cost (the greedy had to place its last
// tokens where little was left to gain). Deterministic: founders compute the same ring from the same member list.
// Only the joiner's tokens are placed, so a join moves keys only to the joiner.
//
// Measured (256 vnodes, N=3, 3 founders then joins): each node's replica share within
// 0.01% of even at 4 to 8 nodes, primaries even; the primary-only allocation gave 32%,
// 29%, 22%, 18%, 10%. That needs founders whose tokens take turns (Ring::Bootstrap):
// founders allocated one after another by this function left the 4th node's ring 10.2% off.
//
// Leaves: ChooseTokenHeirs hands each of the leaving node's tokens to a remaining node (or
// lets it go) by the same cost. Letting every arc pass to the next token clockwise left
// shares 34-39% off even after three leaves from 8 nodes; with heirs, leaves from 8 down to
// 4 nodes (a join between) kept every share within 0.1% of even (tests/unit/ring_test).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ring.h"

namespace ringkv {

// `vnodes` tokens for a node joining the non-empty `current`, balancing the replica load
// of `replicas` copies per key (and primaries). REQUIRES: !current.empty(), replicas >= 1.
std::vector<uint64_t> AllocateReplicaAwareTokens(const Ring& current, uint32_t vnodes, size_t replicas);

// For the node `leaving` the ring: which of `candidates` (remaining nodes of `ring`) takes
// over each of its tokens, chosen so that every remaining node's share of the `replicas`
// copies (and of the first 1..N-1) lands near its fair share (weight / sum of weights). A
// token left out of the answer goes with the leaver (its arc passes to the next token
// clockwise, as without heirs). Apply with HandOverTokens (common/ring.h): the leaver's
// keys go to the heirs; only keys the leaver held change replicas. Empty when there is no
// candidate. REQUIRES: replicas >= 1.
TokenHeirs ChooseTokenHeirs(const Ring& ring, std::string_view leaving, size_t replicas,
                            const std::vector<std::string>& candidates);

}  // namespace ringkv
