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
// 10.2%, 0.3%, 0.0%, 0.0%, 2.2% of even at 4, 5, 6, 7, 8 nodes (primaries within 0.7%);
// the primary-only allocation gave 32%, 29%, 22%, 18%, 10%. Leaves are not balanced by
// either: a leaving node's arcs pass to the next tokens clockwise (34-39% off even after
// three leaves from 8 nodes, against 18-45% with primary-only tokens); a join after them
// balances again (0.5%).

#include <cstdint>
#include <vector>

#include "common/ring.h"

namespace ringkv {

// `vnodes` tokens for a node joining the non-empty `current`, balancing the replica load
// of `replicas` copies per key (and primaries). REQUIRES: !current.empty(), replicas >= 1.
std::vector<uint64_t> AllocateReplicaAwareTokens(const Ring& current, uint32_t vnodes, size_t replicas);

}  // namespace ringkv
