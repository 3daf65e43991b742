#include "sdk/metrics_recorder.h"

#include <algorithm>

namespace ringkv::sdk {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

void Bump(std::atomic<uint64_t>& c, uint64_t by = 1) { c.fetch_add(by, kRelaxed); }

size_t LatencyBucket(std::chrono::nanoseconds latency) {
  size_t b = 0;
  while (b < LatencyHistogram::kBounds.size() && latency > LatencyHistogram::kBounds[b]) ++b;
  return b;
}

size_t CountBucket(uint32_t n) {
  size_t b = 0;
  while (b < CountHistogram::kBounds.size() && n > CountHistogram::kBounds[b]) ++b;
  return b;
}

template <typename Atomics, typename Plain>
uint64_t LoadBuckets(const Atomics& from, Plain* to) {
  uint64_t count = 0;
  for (size_t b = 0; b < from.size(); ++b) count += ((*to)[b] = from[b].load(kRelaxed));
  return count;
}

}  // namespace

void MetricsRecorder::CountError(PerOp& p, const Status& outcome) {
  Bump(p.errors);
  size_t code = static_cast<size_t>(outcome.code());
  Bump(p.by_code[code < kCodes ? code : kCodes - 1]);
}

void MetricsRecorder::RecordRequest(ClientOp op, std::chrono::nanoseconds latency, const Status& outcome, int replicas,
                                    int siblings) {
  PerOp& p = ops_[static_cast<size_t>(op)];
  Bump(p.requests);
  Bump(p.latency.buckets[LatencyBucket(latency)]);
  Bump(p.latency.sum, static_cast<uint64_t>(std::max<int64_t>(latency.count(), 0)));
  if (!outcome.ok()) return CountError(p, outcome);
  if (replicas >= 0) {
    Bump(p.replicas.buckets[CountBucket(static_cast<uint32_t>(replicas))]);
    Bump(p.replicas.sum, static_cast<uint64_t>(replicas));
  }
  if (siblings >= 0) {
    Bump(p.siblings.buckets[CountBucket(static_cast<uint32_t>(siblings))]);
    Bump(p.siblings.sum, static_cast<uint64_t>(siblings));
  }
}

void MetricsRecorder::RecordRejected(ClientOp op, const Status& outcome) {
  PerOp& p = ops_[static_cast<size_t>(op)];
  Bump(p.requests);
  CountError(p, outcome);
}

void MetricsRecorder::RecordRetry(ClientOp op) { Bump(ops_[static_cast<size_t>(op)].retries); }

void MetricsRecorder::RecordReplicaCall(ReplicaCall call, const Status& outcome) {
  PerCall& c = calls_[static_cast<size_t>(call)];
  Bump(c.calls);
  if (outcome.ok()) return;
  Bump(c.errors);
  if (outcome.IsTimedOut()) Bump(c.timeouts);
}

ClientMetrics MetricsRecorder::Snapshot() const {
  ClientMetrics m;
  for (size_t i = 0; i < kClientOps; ++i) {
    const PerOp& p = ops_[i];
    OpMetrics& out = m.ops[i];
    out.requests = p.requests.load(kRelaxed);
    out.errors = p.errors.load(kRelaxed);
    out.retries = p.retries.load(kRelaxed);
    for (size_t code = 0; code < kCodes; ++code) {
      if (uint64_t n = p.by_code[code].load(kRelaxed); n > 0) out.errors_by_code[static_cast<StatusCode>(code)] = n;
    }
    auto timeouts = out.errors_by_code.find(StatusCode::kTimedOut);
    out.timeouts = timeouts == out.errors_by_code.end() ? 0 : timeouts->second;
    out.latency.count = LoadBuckets(p.latency.buckets, &out.latency.buckets);
    out.latency.sum = std::chrono::nanoseconds(p.latency.sum.load(kRelaxed));
    out.replicas.count = LoadBuckets(p.replicas.buckets, &out.replicas.buckets);
    out.replicas.sum = p.replicas.sum.load(kRelaxed);
    out.siblings.count = LoadBuckets(p.siblings.buckets, &out.siblings.buckets);
    out.siblings.sum = p.siblings.sum.load(kRelaxed);
  }
  for (size_t i = 0; i < kReplicaCalls; ++i) {
    m.replica_calls[i] = {calls_[i].calls.load(kRelaxed), calls_[i].errors.load(kRelaxed),
                          calls_[i].timeouts.load(kRelaxed)};
  }
  return m;
}

}  // namespace ringkv::sdk
