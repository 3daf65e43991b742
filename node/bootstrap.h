#pragma once
// How a starting node finds its place in the cluster, in order of precedence:
//   1. a saved membership table in its data directory (a restart): keep tokens and state;
//   2. --join HOST:PORT: fetch the ring from that member, claim tokens (placed to balance
//      each node's share of all N replicas, see Ring::AllocateTokens) and start as joining —
//      the maintenance thread then streams our ranges in;
//   3. --seeds: a new cluster's founders, whose tokens every founder derives alike.

#include <kj/async-io.h>

#include <memory>

#include "capnp/connection_pool.h"
#include "common/clock.h"
#include "node/cluster/membership.h"
#include "node/node_config.h"

namespace ringkv {

// `pool`: how to reach the member named by --join (credential, TLS). `clock`: the node's;
// a fresh generation and ring epoch come from its WallMs, liveness from its SteadyMs.
Result<std::unique_ptr<Membership>> OpenMembership(const NodeConfig& config, kj::AsyncIoContext& io,
                                                   const wire::PoolOptions& pool, const Clock& clock);

}  // namespace ringkv
