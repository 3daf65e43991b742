#include "cli/autoscale_policy.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace ringkv::cli {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

double MeanOps(const LoadSample& s) {
  if (s.nodes.empty()) return 0;
  double sum = 0;
  for (const auto& n : s.nodes) sum += n.ops_per_s;
  return sum / static_cast<double>(s.nodes.size());
}

double MaxP99(const LoadSample& s) {
  double m = 0;
  for (const auto& n : s.nodes) m = std::max(m, n.p99_ms);
  return m;
}

double MaxDisk(const LoadSample& s) {
  double m = 0;
  for (const auto& n : s.nodes) m = std::max(m, n.disk_bytes);
  return m;
}

double TotalDisk(const LoadSample& s) {
  double sum = 0;
  for (const auto& n : s.nodes) sum += n.disk_bytes;
  return sum;
}

double TotalHints(const LoadSample& s) {
  double sum = 0;
  for (const auto& n : s.nodes) sum += n.hints_queued;
  return sum;
}

// The lowest and highest of `f` over the window.
template <typename F>
std::pair<double, double> Range(const std::vector<const LoadSample*>& window, F f) {
  double lo = f(*window.front()), hi = lo;
  for (const LoadSample* s : window) {
    lo = std::min(lo, f(*s));
    hi = std::max(hi, f(*s));
  }
  return {lo, hi};
}

std::string Format(const char* fmt, double a, double b = 0, double c = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, a, b, c);
  return buf;
}

double Seconds(milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

}  // namespace

Status AutoscaleThresholds::Validate() const {
  if (up_ops_per_node <= 0) return Status::InvalidArgument("the scale-up ops/s per node must be positive");
  if (down_ops_per_node < 0 || down_ops_per_node >= up_ops_per_node) {
    return Status::InvalidArgument("the scale-down ops/s per node must be at least 0 and below the scale-up one");
  }
  if (up_p99_ms < 0 || down_p99_ms < 0) return Status::InvalidArgument("p99 thresholds cannot be negative");
  if (up_p99_ms > 0 && down_p99_ms >= up_p99_ms) {
    return Status::InvalidArgument("the scale-down p99 must be below the scale-up p99");
  }
  if (up_disk_bytes < 0) return Status::InvalidArgument("the disk threshold cannot be negative");
  if (down_max_hints < 0) return Status::InvalidArgument("the hints threshold cannot be negative");
  if (window.count() <= 0) return Status::InvalidArgument("the window must be positive");
  if (cooldown.count() < 0) return Status::InvalidArgument("the cool-down cannot be negative");
  if (max_nodes > 0 && max_nodes < min_nodes) return Status::InvalidArgument("the maximum nodes is under the minimum");
  return Status::OK();
}

const char* ScaleActionName(ScaleAction a) {
  switch (a) {
    case ScaleAction::kNone:
      return "none";
    case ScaleAction::kAdd:
      return "add";
    case ScaleAction::kRemove:
      return "remove";
  }
  return "none";
}

void AutoscalePolicy::Observe(LoadSample sample) {
  if (!first_sample_) first_sample_ = sample.at;
  samples_.push_back(std::move(sample));
  // Keep one sample older than the window: it tells that the window is covered.
  while (samples_.size() > 1 && samples_[1].at <= samples_.back().at - t_.window) samples_.pop_front();
}

std::vector<const LoadSample*> AutoscalePolicy::WindowAt(const ClusterState& state,
                                                         AutoscaleClock::time_point now) const {
  std::vector<const LoadSample*> out;
  for (const auto& s : samples_) {
    if (s.at <= now - t_.window) continue;
    if (state.last_change && s.at <= *state.last_change) continue;
    out.push_back(&s);
  }
  return out;
}

ScaleDecision AutoscalePolicy::Decide(const ClusterState& state, AutoscaleClock::time_point now) const {
  auto none = [](std::string reason) { return ScaleDecision{ScaleAction::kNone, "", std::move(reason)}; };
  if (!state.unfinished.empty()) return none("a change is unfinished: " + state.unfinished);
  if (state.last_change && now - *state.last_change < t_.cooldown) {
    return none(Format("cooling down: %.1f s of %.1f s since the last change",
                       Seconds(duration_cast<milliseconds>(now - *state.last_change)), Seconds(t_.cooldown)));
  }
  // The window must lie wholly after the first sample and after the last change.
  AutoscaleClock::time_point since = first_sample_.value_or(now);
  if (state.last_change) since = std::max(since, *state.last_change);
  if (!first_sample_ || now - since < t_.window) {
    return none(Format("observing: %.1f s of the %.1f s window",
                       Seconds(duration_cast<milliseconds>(now - std::min(since, now))), Seconds(t_.window)));
  }
  auto window = WindowAt(state, now);
  if (window.empty()) return none("no load sample in the window");
  if (auto up = ScaleUp(window, state)) return *up;
  if (auto down = ScaleDown(window, state)) return *down;
  auto [lo, hi] = Range(window, MeanOps);
  return none(Format("load within bounds: %.0f to %.0f ops/s per node", lo, hi) +
              Format(" (add above %.0f, remove below %.0f)", t_.up_ops_per_node, t_.down_ops_per_node));
}

std::optional<ScaleDecision> AutoscalePolicy::ScaleUp(const std::vector<const LoadSample*>& window,
                                                      const ClusterState& state) const {
  std::string why;
  double ops_low = Range(window, MeanOps).first;
  double p99_low = Range(window, MaxP99).first;
  double disk_low = Range(window, MaxDisk).first;
  if (ops_low > t_.up_ops_per_node) {
    why = Format("ops/s per node stayed above %.0f for %.1f s (lowest %.0f)", t_.up_ops_per_node, Seconds(t_.window),
                 ops_low);
  } else if (t_.up_p99_ms > 0 && p99_low > t_.up_p99_ms) {
    why = Format("the worst node's p99 stayed above %.1f ms for %.1f s (lowest %.1f ms)", t_.up_p99_ms,
                 Seconds(t_.window), p99_low);
  } else if (t_.up_disk_bytes > 0 && disk_low > t_.up_disk_bytes) {
    why = Format("the fullest node stayed above %.0f bytes for %.1f s (lowest %.0f)", t_.up_disk_bytes,
                 Seconds(t_.window), disk_low);
  } else {
    return std::nullopt;
  }
  if (t_.max_nodes > 0 && state.nodes >= t_.max_nodes) {
    return ScaleDecision{ScaleAction::kNone, "",
                         why + Format(", but the cluster is at its maximum of %.0f nodes", double(t_.max_nodes))};
  }
  return ScaleDecision{ScaleAction::kAdd, "", why};
}

std::optional<ScaleDecision> AutoscalePolicy::ScaleDown(const std::vector<const LoadSample*>& window,
                                                        const ClusterState& state) const {
  auto [lo_ops, hi_ops] = Range(window, MeanOps);
  if (hi_ops >= t_.down_ops_per_node) return std::nullopt;
  if (t_.down_p99_ms > 0 && Range(window, MaxP99).second >= t_.down_p99_ms) return std::nullopt;
  if (Range(window, TotalHints).second > t_.down_max_hints) return std::nullopt;
  const LoadSample& last = *window.back();
  if (t_.up_disk_bytes > 0 && state.nodes > 1 &&
      TotalDisk(last) / static_cast<double>(state.nodes - 1) >= t_.up_disk_bytes) {
    return std::nullopt;  // the remaining nodes would be over the scale-up disk threshold
  }
  std::string why = Format("ops/s per node stayed below %.0f for %.1f s (highest %.0f)", t_.down_ops_per_node,
                           Seconds(t_.window), hi_ops);
  size_t floor = std::max(state.replication_factor, t_.min_nodes);
  if (state.nodes <= floor) {
    return ScaleDecision{ScaleAction::kNone, "",
                         why + Format(", but %.0f nodes is the floor (N or --min-nodes)", double(floor))};
  }
  // Least needed: the lowest mean ops/s over the window, then the least disk, then the greatest id.
  std::map<std::string, double> ops;
  for (const LoadSample* s : window) {
    for (const auto& n : s->nodes) ops[n.id] += n.ops_per_s / static_cast<double>(window.size());
  }
  const NodeLoad* pick = nullptr;
  for (const auto& n : last.nodes) {
    if (pick == nullptr) {
      pick = &n;
      continue;
    }
    double a = ops[n.id], b = ops[pick->id];
    if (a < b ||
        (a == b && (n.disk_bytes < pick->disk_bytes || (n.disk_bytes == pick->disk_bytes && n.id > pick->id)))) {
      pick = &n;
    }
  }
  if (pick == nullptr) return std::nullopt;
  return ScaleDecision{ScaleAction::kRemove, pick->id,
                       why + Format("; %.0f ops/s, the least of any node", ops[pick->id])};
}

}  // namespace ringkv::cli
