#pragma once
// AutoscalePolicy: when `kv autoscale` adds a node or decommissions one. Pure: it is given
// load samples and the cluster's state with their times and does no I/O, so every rule is
// unit-tested without a cluster (tests/unit/autoscale_policy_test.cc).
//
// The rules, in the order they are checked:
//   1. Never while a change is unfinished: a member joining or leaving, a repair running, a
//      member not up, or the autoscaler's own last change not yet seen in the ring. So never
//      two changes at once.
//   2. Never within `cooldown` of the last change.
//   3. Only on load sustained for a whole `window` since the last change (and since the
//      first sample): every sample of the window must show it.
//   4. Add when every sample is above a scale-up threshold (mean ops/s per node, or the
//      worst node's p99 latency, or the fullest node's disk), unless at `max_nodes`.
//   5. Remove when every sample is below every scale-down threshold (ops/s per node, p99,
//      the disk the remaining nodes would hold, hints queued), unless at the floor:
//      max(N, min_nodes). The scale-down thresholds sit below the scale-up ones
//      (Validate checks it), so the same load cannot trigger both (hysteresis).
//   6. Remove picks the least-needed node: the lowest mean ops/s over the window, then the
//      least disk, then the greatest id (the newest of a numbered series).

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "ringkv/status.h"

namespace ringkv::cli {

using AutoscaleClock = std::chrono::steady_clock;

// One node's load over one sampling interval.
struct NodeLoad {
  std::string id;
  double ops_per_s = 0;     // keys served per second (gets, coordinated puts, replication)
  double p99_ms = 0;        // p99 of its RPC latency in the interval (0: no calls)
  double disk_bytes = 0;    // SSTables + memtables + WAL
  double hints_queued = 0;  // hint entries it holds
};

// Every member's load at one time.
struct LoadSample {
  AutoscaleClock::time_point at;
  std::vector<NodeLoad> nodes;
};

struct ClusterState {
  size_t nodes = 0;               // members in the ring
  size_t replication_factor = 3;  // N
  // Non-empty while a change is under way: what it is ("node4 is joining").
  std::string unfinished;
  // When the last change (by anyone the autoscaler saw) finished; unset: none seen.
  std::optional<AutoscaleClock::time_point> last_change;
};

struct AutoscaleThresholds {
  double up_ops_per_node = 5000;    // add above this mean
  double down_ops_per_node = 1000;  // remove below this mean
  double up_p99_ms = 0;             // add when the worst node's p99 is above (0: not a signal)
  double down_p99_ms = 0;           // remove only when every node's p99 is below (0: no condition)
  double up_disk_bytes = 0;         // add when a node holds more (0: not a signal); remove only when
                                    // the remaining nodes would each hold less
  double down_max_hints = 0;        // remove only when the cluster queues at most this many hints
  std::chrono::milliseconds window{60000};
  std::chrono::milliseconds cooldown{300000};
  size_t min_nodes = 0;  // floor besides N (0: N alone)
  size_t max_nodes = 0;  // 0: no ceiling

  // InvalidArgument unless scale-down sits below scale-up for every signal used, the
  // window is positive and the ceiling (if any) is not under the floor.
  Status Validate() const;
};

enum class ScaleAction { kNone, kAdd, kRemove };
const char* ScaleActionName(ScaleAction a);  // "none", "add", "remove"

struct ScaleDecision {
  ScaleAction action = ScaleAction::kNone;
  std::string node;    // kRemove: the node to decommission
  std::string reason;  // always set: why this decision, with the figures
};

class AutoscalePolicy {
 public:
  // REQUIRES: thresholds.Validate().ok()
  explicit AutoscalePolicy(AutoscaleThresholds thresholds) : t_(thresholds) {}

  // Keeps the sample while it can still fall in a window (samples must come in time order).
  void Observe(LoadSample sample);
  ScaleDecision Decide(const ClusterState& state, AutoscaleClock::time_point now) const;

  const AutoscaleThresholds& thresholds() const { return t_; }

 private:
  // The samples the window at `now` covers: after now - window and after the last change.
  std::vector<const LoadSample*> WindowAt(const ClusterState& state, AutoscaleClock::time_point now) const;
  std::optional<ScaleDecision> ScaleUp(const std::vector<const LoadSample*>& window, const ClusterState& state) const;
  std::optional<ScaleDecision> ScaleDown(const std::vector<const LoadSample*>& window, const ClusterState& state) const;

  const AutoscaleThresholds t_;
  std::deque<LoadSample> samples_;
  std::optional<AutoscaleClock::time_point> first_sample_;
};

}  // namespace ringkv::cli
