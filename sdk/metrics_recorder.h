#pragma once
// MetricsRecorder: the counters behind Client::Metrics() (ringkv/metrics.h), bumped on the
// request path. Every field is a relaxed atomic: recording costs a few uncontended adds and
// allocates nothing; Snapshot() may run on any thread at any time.
//
// Who records what: the client's loop records each request as it ends (RecordRequest, with
// its latency) and each retry; the quorum code each replica call as it settles; the calling
// thread a request refused for bad input before it reached the loop (RecordRejected).

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "ringkv/metrics.h"
#include "ringkv/status.h"

namespace ringkv::sdk {

class MetricsRecorder {
 public:
  // A request ended with `outcome` after `latency`. When it succeeded, `replicas` it used
  // and `siblings` it returned are counted; -1: not counted for this op.
  void RecordRequest(ClientOp op, std::chrono::nanoseconds latency, const Status& outcome, int replicas, int siblings);
  // A request refused before it was sent (bad input): an error, without a latency.
  void RecordRejected(ClientOp op, const Status& outcome);
  // One request tried again (after StaleRing, or under the retry policy).
  void RecordRetry(ClientOp op);
  // A call to a replica settled with `outcome` (TimedOut: the client gave up waiting).
  void RecordReplicaCall(ReplicaCall call, const Status& outcome);

  // Everything counted so far; internal_errors is the caller's to fill in.
  ClientMetrics Snapshot() const;

 private:
  // StatusCode values with a counter of their own; any later code counts in the last one.
  static constexpr size_t kCodes = 32;
  using Counter = std::atomic<uint64_t>;
  template <size_t N>
  struct Histogram {
    std::array<Counter, N + 1> buckets{};
    Counter sum{0};
  };
  struct PerOp {
    Counter requests{0}, errors{0}, retries{0};
    std::array<Counter, kCodes> by_code{};
    Histogram<LatencyHistogram::kBounds.size()> latency;  // sum in ns
    Histogram<CountHistogram::kBounds.size()> replicas, siblings;
  };
  struct PerCall {
    Counter calls{0}, errors{0}, timeouts{0};
  };
  void CountError(PerOp& p, const Status& outcome);

  std::array<PerOp, kClientOps> ops_;
  std::array<PerCall, kReplicaCalls> calls_;
};

}  // namespace ringkv::sdk
