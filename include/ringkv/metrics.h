#pragma once
// ClientMetrics: what one ringkv::Client has seen of the cluster since it connected, as
// Client::Metrics() returns it (and Client::MetricsText() renders it as Prometheus text).
//
// Counted per operation: requests ended, errors by StatusCode, timeouts, retries, a latency
// histogram, and for each request that succeeded the replicas it used and (reads) the
// siblings it returned; and per kind of call to a replica: calls, failures, and calls the
// client gave up waiting for. A batch or a read-modify-write counts as the single-key
// requests it runs. Everything counts from Connect(); counters only grow.
//
// The counters are relaxed atomics bumped on the request path; a snapshot reads each one
// exactly, but not all of them at one instant (a request ending while Metrics() runs may be
// in one counter and not yet in another).

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "ringkv/status.h"

namespace ringkv {

enum class ClientOp { kGet, kPut, kDelete, kScan };  // a scan counts one request per page
inline constexpr size_t kClientOps = 4;
std::string_view ClientOpName(ClientOp op);  // "get", "put", "delete", "scan"

// The kinds of call a request makes to a replica (docs/architecture.md, "Put" and "Get").
enum class ReplicaCall {
  kGet,         // a read of the key's versions
  kCoordinate,  // the put's first replica: stamps the write and stores it
  kReplicate,   // the stored write (or a read repair) to another replica
  kHint,        // the write to a fallback node, held for a replica that is down
};
inline constexpr size_t kReplicaCalls = 4;
std::string_view ReplicaCallName(ReplicaCall call);  // "get", "coordinate", "replicate", "hint"

// Request latency in fixed log-scale buckets (1, 2.5, 5 per decade from 100 µs to 10 s),
// from the call's arrival on the client's loop to its result, retries included.
struct LatencyHistogram {
  static constexpr std::array<std::chrono::microseconds, 16> kBounds = {
      std::chrono::microseconds(100),     std::chrono::microseconds(250),     std::chrono::microseconds(500),
      std::chrono::microseconds(1000),    std::chrono::microseconds(2500),    std::chrono::microseconds(5000),
      std::chrono::microseconds(10000),   std::chrono::microseconds(25000),   std::chrono::microseconds(50000),
      std::chrono::microseconds(100000),  std::chrono::microseconds(250000),  std::chrono::microseconds(500000),
      std::chrono::microseconds(1000000), std::chrono::microseconds(2500000), std::chrono::microseconds(5000000),
      std::chrono::microseconds(10000000)};
  // buckets[i]: requests that took at most kBounds[i] (and more than kBounds[i-1]); the
  // last one: longer than every bound. Not cumulative.
  std::array<uint64_t, kBounds.size() + 1> buckets{};
  uint64_t count = 0;  // the sum of buckets
  std::chrono::nanoseconds sum{0};

  // An upper estimate of the q-quantile (0 < q <= 1): the bound of the bucket holding it;
  // for the last bucket, the last bound. Zero when empty.
  std::chrono::microseconds Quantile(double q) const;
};

// Small counts (replicas used, siblings returned) in buckets of at most 0, 1, 2, 3, 5, 10
// and more than 10.
struct CountHistogram {
  static constexpr std::array<uint32_t, 6> kBounds = {0, 1, 2, 3, 5, 10};
  std::array<uint64_t, kBounds.size() + 1> buckets{};  // as LatencyHistogram::buckets
  uint64_t count = 0;
  uint64_t sum = 0;
};

struct OpMetrics {
  uint64_t requests = 0;  // ended, whatever the outcome
  uint64_t errors = 0;    // ended with an error (the sum of errors_by_code)
  // Requests rejected before anything was sent (bad input: InvalidArgument) count here too.
  std::map<StatusCode, uint64_t> errors_by_code;  // only codes seen
  uint64_t timeouts = 0;                          // ended with TimedOut (also in errors_by_code)
  // Attempts made again within one request: after StaleRing (the client's ring was older
  // than a node's) and under the retry policy.
  uint64_t retries = 0;
  LatencyHistogram latency;  // every request that reached the client's loop
  // Successful requests: replicas that answered (get) or hold the write, as replica or
  // hint holder (put, delete). Scans: not counted.
  CountHistogram replicas;
  CountHistogram siblings;  // successful gets: the values returned (0: not found)
};

struct ReplicaCallMetrics {
  uint64_t calls = 0;   // settled (answered, failed or given up on)
  uint64_t errors = 0;  // failed, timeouts included
  // Given up on: the replica had not answered within ClientOptions::replica_timeout (puts),
  // or the request's timeout.
  uint64_t timeouts = 0;
};

struct ClientMetrics {
  std::array<OpMetrics, kClientOps> ops;
  std::array<ReplicaCallMetrics, kReplicaCalls> replica_calls;
  uint64_t internal_errors = 0;  // Client::InternalErrorCount()

  const OpMetrics& of(ClientOp op) const { return ops[static_cast<size_t>(op)]; }
  const ReplicaCallMetrics& of(ReplicaCall call) const { return replica_calls[static_cast<size_t>(call)]; }
};

// Prometheus text exposition (format 0.0.4) of `m`: families named ringkv_client_*, with
// op / call / code labels; what Client::MetricsText() returns.
std::string PrometheusText(const ClientMetrics& m);

}  // namespace ringkv
