#pragma once
// CollectNodeSamples: everything a node reports about itself — RPC counts and latencies,
// storage, gossip, hints, repair, streaming — as one list of samples. The stats RPC (for
// `kv cluster status`, `kv hints`, tests) and the admin endpoint's /metrics and /v1/stats
// render this same list, so the two never disagree. Safe from any thread.

#include <vector>

#include "node/rpc/metrics.h"
#include "node/rpc/rpc_server.h"

namespace ringkv {

std::vector<MetricSample> CollectNodeSamples(const NodeServices& services);

}  // namespace ringkv
