#pragma once
// HedgeBudget: a cap on hedging's extra load (as gRPC's retry throttling and Finagle's retry
// budget). Every request earns `ratio` of a token, up to `burst` tokens; a hedge — a second
// call sent because the first is slow — spends one, and is not sent without one. So hedges
// add at most `ratio` of the requests made (plus the burst), however slow the replicas: a
// large batch whose keys all outlast a single put's p95, or a cluster slow everywhere,
// cannot double the load it is already struggling with. Pure; loop thread only (not locked).

#include <algorithm>
#include <cstdint>

namespace ringkv::sdk {

class HedgeBudget {
 public:
  // REQUIRES: 0 <= ratio <= 1, burst >= 0 (HedgingOptions are checked at Connect).
  HedgeBudget(double ratio, double burst)
      : earn_(static_cast<int64_t>(ratio * kUnit + 0.5)),
        burst_(static_cast<int64_t>(burst * kUnit + 0.5)),
        tokens_(burst_) {}

  // A request started: it earns `ratio` of a hedge.
  void OnRequest() { tokens_ = std::min(tokens_ + earn_, burst_); }

  // True (and one token spent) if a hedge may be sent now.
  bool TrySpend() {
    if (tokens_ < kUnit) return false;
    tokens_ -= kUnit;
    return true;
  }

 private:
  // Tokens in thousandths, so that ten requests at 0.1 earn exactly one hedge.
  static constexpr int64_t kUnit = 1000;
  const int64_t earn_;
  const int64_t burst_;
  int64_t tokens_;
};

}  // namespace ringkv::sdk
