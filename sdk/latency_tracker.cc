#include "sdk/latency_tracker.h"

#include <algorithm>

namespace ringkv::sdk {

uint64_t LatencyTracker::Started(const std::string& node, CallKind kind, Time now) {
  uint64_t ticket = next_ticket_++;
  nodes_[node].in_flight.emplace(ticket, Call{now, kind});
  return ticket;
}

void LatencyTracker::Ended(const std::string& node, uint64_t ticket, Time now) {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return;
  Node& n = it->second;
  auto call = n.in_flight.find(ticket);
  if (call == n.in_flight.end()) return;
  double ms = std::max(0.0, Ms(now - call->second.start).count());
  Answers& answers = n.answers[static_cast<int>(call->second.kind)];
  n.in_flight.erase(call);
  Add(answers, ms, now);
}

void LatencyTracker::Add(Answers& a, double ms, Time now) {
  if (Recent(a, now)) {
    a.ewma_ms += kAlpha * (ms - a.ewma_ms);
  } else {  // the old answers (if any) no longer speak for the node
    a.window.clear();
    a.next = 0;
    a.since_recompute = 0;
    a.ewma_ms = ms;
  }
  a.has_ewma = true;
  a.last_answer = now;
  if (a.window.size() < kWindow) {
    a.window.push_back(ms);
  } else {
    a.window[a.next] = ms;
  }
  a.next = (a.next + 1) % kWindow;
  // Recomputed now and then, not per answer: the choice needs a fresh estimate, not an exact one.
  if (a.window.size() <= kRecompute || ++a.since_recompute >= kRecompute) {
    a.since_recompute = 0;
    a.p95_ms = Percentile95(a.window);
  }
}

double LatencyTracker::Percentile95(std::vector<double> samples) {
  if (samples.empty()) return 0;
  size_t k = (samples.size() * 95 + 99) / 100 - 1;  // nearest rank
  std::nth_element(samples.begin(), samples.begin() + static_cast<ptrdiff_t>(k), samples.end());
  return samples[k];
}

const LatencyTracker::Answers* LatencyTracker::Find(const std::string& node, CallKind kind, Time now) const {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return nullptr;
  const Answers& a = it->second.answers[static_cast<int>(kind)];
  return Recent(a, now) ? &a : nullptr;
}

std::optional<LatencyTracker::Ms> LatencyTracker::Average(const std::string& node, CallKind kind, Time now) const {
  const Answers* a = Find(node, kind, now);
  if (a == nullptr) return std::nullopt;
  return Ms(a->ewma_ms);
}

std::optional<LatencyTracker::Ms> LatencyTracker::P95(const std::string& node, CallKind kind, Time now) const {
  const Answers* a = Find(node, kind, now);
  if (a == nullptr) return std::nullopt;
  return Ms(a->p95_ms);
}

LatencyTracker::Ms LatencyTracker::OldestInFlight(const std::string& node, Time now) const {
  auto it = nodes_.find(node);
  if (it == nodes_.end() || it->second.in_flight.empty()) return Ms(0);
  return std::max(Ms(0), Ms(now - it->second.in_flight.begin()->second.start));
}

size_t LatencyTracker::InFlight(const std::string& node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? 0 : it->second.in_flight.size();
}

LatencyTracker::Ms LatencyTracker::Score(const std::string& node, CallKind kind, Time now) const {
  return std::max(Average(node, kind, now).value_or(Ms(0)), OldestInFlight(node, now));
}

}  // namespace ringkv::sdk
