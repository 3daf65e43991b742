#pragma once
// A node's load between two readings of its counters (the stats RPC, the same samples as
// its /metrics): what the autoscaler's policy (cli/autoscale_policy.h) is fed. Pure.

#include <map>
#include <string>

#include "cli/autoscale_policy.h"

namespace ringkv::cli {

// Sample name with its labels (`rpc_keys_total{op="get"}`) -> value, as NodeStats returns.
using StatsReading = std::map<std::string, double>;

// ops/s: the growth of rpc_keys_total (every op) over `seconds`; p99: from the growth of the
// rpc_latency_seconds buckets of every op (the bucket's upper bound; the largest finite
// bound when it falls in +Inf; 0 without calls); disk and hints: `after`'s gauges. A counter
// that went down (the node restarted) counts from zero.
// REQUIRES: seconds > 0
NodeLoad LoadBetween(const std::string& id, const StatsReading& before, const StatsReading& after, double seconds);

// Merkle repair sessions running on the node now (the repair_sessions_running gauge).
double RepairsRunning(const StatsReading& reading);

}  // namespace ringkv::cli
