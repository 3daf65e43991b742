#pragma once
// HedgeBudget: a cap on hedging's extra load (as gRPC's retry throttling and Finagle's retry
// budget). Every request earns `ratio` of a token, up to `burst` tokens; a hedge — a second
// call sent because the first is slow — spends one, and is not sent without one. So hedges
// add at most `ratio` of the requests made (plus the burst), however slow the replicas: a
// large batch whose keys all outlast a single put's p95, or a cluster slow everywhere,
// cannot double the load it is already struggling with. Pure; loop thread only (not locked).

namespace ringkv::sdk {

class HedgeBudget {
 public:
  // REQUIRES: 0 <= ratio <= 1, burst >= 0 (HedgingOptions are checked at Connect).
  HedgeBudget(double ratio, double burst) : ratio_(ratio), burst_(burst), tokens_(burst) {}

  // A request started: it earns `ratio` of a hedge.
  void OnRequest() {
    tokens_ += ratio_;
    if (tokens_ > burst_) tokens_ = burst_;
  }

  // True (and one token spent) if a hedge may be sent now.
  bool TrySpend() {
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  const double ratio_;
  const double burst_;
  double tokens_;
};

}  // namespace ringkv::sdk
