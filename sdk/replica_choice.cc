#include "sdk/replica_choice.h"

#include <algorithm>
#include <cmath>

namespace ringkv::sdk {

namespace {
using Ms = LatencyTracker::Ms;
constexpr double kBandFactor = 1.5;
constexpr Ms kBandSlack{1.0};
}  // namespace

Status ValidateHedging(const HedgingOptions& o) {
  if (o.min_delay.count() <= 0) return Status::InvalidArgument("hedging.min_delay must be > 0");
  if (o.min_delay > o.max_delay) return Status::InvalidArgument("hedging.min_delay must be <= hedging.max_delay");
  if (o.suspect_after.count() <= 0) return Status::InvalidArgument("hedging.suspect_after must be > 0");
  if (!(o.budget_ratio >= 0 && o.budget_ratio <= 1)) {
    return Status::InvalidArgument("hedging.budget_ratio must be between 0 and 1");
  }
  return Status::OK();
}

bool IsSuspect(const LatencyTracker& tracker, const std::string& node, LatencyTracker::Time now,
               const HedgingOptions& options) {
  return tracker.OldestInFlight(node, now) > Ms(options.suspect_after);
}

std::vector<Replica> FastestFirst(std::vector<Replica> replicas, const LatencyTracker& tracker, CallKind kind,
                                  LatencyTracker::Time now, const HedgingOptions& options,
                                  const std::function<bool(const Replica&)>& known_down) {
  struct Ranked {
    int group;  // 0 healthy, 1 suspect, 2 known down
    Ms score;
    size_t preference;
  };
  std::vector<Ranked> ranks(replicas.size());
  std::optional<Ms> best;
  for (size_t i = 0; i < replicas.size(); ++i) {
    const std::string& id = replicas[i].id;
    int group = known_down(replicas[i]) ? 2 : IsSuspect(tracker, id, now, options) ? 1 : 0;
    ranks[i] = {group, tracker.Score(id, kind, now), i};
    if (group == 0 && (!best || ranks[i].score < *best)) best = ranks[i].score;
  }
  // Within the band of the best healthy score: preference order (score counted as equal).
  for (Ranked& r : ranks) {
    if (r.group == 0 && best && r.score <= *best * kBandFactor + kBandSlack) r.score = Ms(0);
  }
  std::vector<size_t> order(replicas.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Ranked& x = ranks[a];
    const Ranked& y = ranks[b];
    if (x.group != y.group) return x.group < y.group;
    if (x.group == 0 && x.score != y.score) return x.score < y.score;
    return x.preference < y.preference;
  });
  std::vector<Replica> out;
  out.reserve(replicas.size());
  for (size_t i : order) out.push_back(std::move(replicas[i]));
  return out;
}

std::vector<size_t> FirstAsks(const std::vector<Replica>& order, int r, const std::map<std::string, int>& need_per_dc) {
  std::vector<size_t> asks;
  if (need_per_dc.empty()) {
    size_t n = std::min(order.size(), static_cast<size_t>(std::max(r, 0)));
    for (size_t i = 0; i < n; ++i) asks.push_back(i);
    return asks;
  }
  std::map<std::string, int> taken;
  for (size_t i = 0; i < order.size(); ++i) {
    auto need = need_per_dc.find(order[i].dc);
    if (need == need_per_dc.end()) continue;
    if (taken[order[i].dc] < need->second) {
      ++taken[order[i].dc];
      asks.push_back(i);
    }
  }
  return asks;
}

std::optional<size_t> NextAsk(const std::vector<Replica>& order, const std::vector<bool>& asked,
                              const std::map<std::string, int>& need_per_dc) {
  for (size_t i = 0; i < order.size(); ++i) {
    if (i < asked.size() && asked[i]) continue;
    if (!need_per_dc.empty() && need_per_dc.count(order[i].dc) == 0) continue;
    return i;
  }
  return std::nullopt;
}

std::chrono::milliseconds HedgeDelay(const LatencyTracker& tracker, CallKind kind, const std::vector<Replica>& asked,
                                     LatencyTracker::Time now, const HedgingOptions& options) {
  Ms longest(0);
  for (const Replica& r : asked) {
    std::optional<Ms> p95 = tracker.P95(r.id, kind, now);
    if (!p95) return options.max_delay;
    longest = std::max(longest, *p95);
  }
  auto ms = std::chrono::milliseconds(static_cast<int64_t>(std::ceil(longest.count())));
  return std::clamp(ms, options.min_delay, options.max_delay);
}

}  // namespace ringkv::sdk
