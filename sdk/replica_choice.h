#pragma once
// Replica choice for one request, from what the client has seen of each node's latency
// (sdk/latency_tracker.h). Pure: the caller passes the time and which nodes it knows down.
//
// FastestFirst orders a key's replicas: nodes neither known down nor suspect first, then
// suspect ones (oldest call in flight waiting longer than suspect_after), then known-down
// ones. Among the first group, those whose score is within a band of the best (1.5x it plus
// 1 ms, as the dynamic snitch's badness threshold) keep the preference order — so without
// a slow node every client asks the same replicas of a key, the primary coordinates and the
// load stays spread by the ring — and slower ones follow by score.
//
// FirstAsks picks which replicas a get asks at once: the first R of that order, or per DC
// the first `need` of each DC's replicas; every replica when all are needed (ALL).
// NextAsk: the next replica to hedge to. HedgeDelay: how long to wait for the replicas asked
// before asking another — the largest p95 among them, within [min_delay, max_delay]
// (max_delay while one of them has no recent answers).

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ringkv/client.h"
#include "sdk/latency_tracker.h"
#include "sdk/placement.h"

namespace ringkv::sdk {

// InvalidArgument naming the bad field; OK for usable options.
Status ValidateHedging(const HedgingOptions& options);

bool IsSuspect(const LatencyTracker& tracker, const std::string& node, LatencyTracker::Time now,
               const HedgingOptions& options);

// For calls of `kind`.
std::vector<Replica> FastestFirst(std::vector<Replica> replicas, const LatencyTracker& tracker, CallKind kind,
                                  LatencyTracker::Time now, const HedgingOptions& options,
                                  const std::function<bool(const Replica&)>& known_down);

// Indexes into `order` to ask at once for `r` replies, or `need_per_dc` when set.
std::vector<size_t> FirstAsks(const std::vector<Replica>& order, int r, const std::map<std::string, int>& need_per_dc);

// The first replica of `order` not yet `asked` (of a DC in `need_per_dc`, when set); unset
// when none is left.
std::optional<size_t> NextAsk(const std::vector<Replica>& order, const std::vector<bool>& asked,
                              const std::map<std::string, int>& need_per_dc);

std::chrono::milliseconds HedgeDelay(const LatencyTracker& tracker, CallKind kind, const std::vector<Replica>& asked,
                                     LatencyTracker::Time now, const HedgingOptions& options);

}  // namespace ringkv::sdk
