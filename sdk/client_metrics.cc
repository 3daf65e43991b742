// The public side of ringkv/metrics.h: names, quantiles and the Prometheus text exposition
// of a ClientMetrics snapshot. Pure: nothing here touches the client.

#include <algorithm>
#include <string>

#include "common/prometheus_number.h"
#include "ringkv/metrics.h"

namespace ringkv {
namespace {

// One family at a time: the HELP and TYPE header, then its series.
class Exposition {
 public:
  void Family(const std::string& name, const char* type, const char* help) {
    out_ += "# HELP ringkv_client_" + name + " " + help + "\n# TYPE ringkv_client_" + name + " " + type + "\n";
  }
  void Sample(const std::string& name, const std::string& labels, double value) {
    out_ += "ringkv_client_" + name + (labels.empty() ? "" : "{" + labels + "}") + " " + PrometheusNumber(value) + "\n";
  }
  // Cumulative buckets, then _sum and _count. `bound(i)` is the i-th bucket's `le`.
  template <typename Buckets, typename Bound>
  void Histogram(const std::string& name, const std::string& labels, const Buckets& buckets, double sum, Bound bound) {
    uint64_t cumulative = 0;
    for (size_t b = 0; b < buckets.size(); ++b) {
      cumulative += buckets[b];
      std::string le = b + 1 < buckets.size() ? PrometheusNumber(bound(b)) : "+Inf";
      Sample(name + "_bucket", labels + ",le=\"" + le + "\"", static_cast<double>(cumulative));
    }
    Sample(name + "_sum", labels, sum);
    Sample(name + "_count", labels, static_cast<double>(cumulative));
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string OpLabel(size_t i) { return "op=\"" + std::string(ClientOpName(static_cast<ClientOp>(i))) + "\""; }

double LatencyBound(size_t b) { return std::chrono::duration<double>(LatencyHistogram::kBounds[b]).count(); }
double CountBound(size_t b) { return CountHistogram::kBounds[b]; }

}  // namespace

std::string_view ClientOpName(ClientOp op) {
  switch (op) {
    case ClientOp::kGet:
      return "get";
    case ClientOp::kPut:
      return "put";
    case ClientOp::kDelete:
      return "delete";
    case ClientOp::kScan:
      return "scan";
  }
  return "unknown";
}

std::string_view ReplicaCallName(ReplicaCall call) {
  switch (call) {
    case ReplicaCall::kGet:
      return "get";
    case ReplicaCall::kCoordinate:
      return "coordinate";
    case ReplicaCall::kReplicate:
      return "replicate";
    case ReplicaCall::kHint:
      return "hint";
  }
  return "unknown";
}

std::chrono::microseconds LatencyHistogram::Quantile(double q) const {
  if (count == 0) return std::chrono::microseconds(0);
  // The rank of the quantile, 1-based: the smallest k with k >= q * count.
  auto rank = static_cast<uint64_t>(q * static_cast<double>(count) + 0.999999);
  rank = std::max<uint64_t>(1, std::min(rank, count));
  uint64_t seen = 0;
  for (size_t b = 0; b < buckets.size(); ++b) {
    seen += buckets[b];
    if (seen >= rank) return kBounds[std::min(b, kBounds.size() - 1)];
  }
  return kBounds.back();
}

std::string PrometheusText(const ClientMetrics& m) {
  Exposition x;
  auto per_op = [&](const char* name, const char* help, auto value) {
    x.Family(name, "counter", help);
    for (size_t i = 0; i < kClientOps; ++i) x.Sample(name, OpLabel(i), static_cast<double>(value(m.ops[i])));
  };
  per_op("requests_total", "requests ended, by operation", [](const OpMetrics& o) { return o.requests; });
  x.Family("errors_total", "counter", "requests ended with an error, by operation and status code");
  for (size_t i = 0; i < kClientOps; ++i) {
    for (const auto& [code, n] : m.ops[i].errors_by_code) {
      x.Sample("errors_total", OpLabel(i) + ",code=\"" + std::string(StatusCodeName(code)) + "\"",
               static_cast<double>(n));
    }
  }
  per_op("timeouts_total", "requests ended with TimedOut, by operation", [](const OpMetrics& o) { return o.timeouts; });
  per_op("retries_total", "attempts made again within a request, by operation",
         [](const OpMetrics& o) { return o.retries; });

  x.Family("request_latency_seconds", "histogram", "request latency as the client saw it, retries included");
  for (size_t i = 0; i < kClientOps; ++i) {
    const LatencyHistogram& h = m.ops[i].latency;
    x.Histogram("request_latency_seconds", OpLabel(i), h.buckets, std::chrono::duration<double>(h.sum).count(),
                LatencyBound);
  }
  x.Family("replicas_used", "histogram", "replicas that answered (get) or hold the write, per successful request");
  for (size_t i = 0; i < kClientOps; ++i) {
    if (static_cast<ClientOp>(i) == ClientOp::kScan) continue;
    const CountHistogram& h = m.ops[i].replicas;
    x.Histogram("replicas_used", OpLabel(i), h.buckets, static_cast<double>(h.sum), CountBound);
  }
  x.Family("siblings_per_read", "histogram", "values a successful get returned (more than 1: siblings)");
  const CountHistogram& siblings = m.of(ClientOp::kGet).siblings;
  x.Histogram("siblings_per_read", OpLabel(static_cast<size_t>(ClientOp::kGet)), siblings.buckets,
              static_cast<double>(siblings.sum), CountBound);

  auto per_call = [&](const char* name, const char* help, auto value) {
    x.Family(name, "counter", help);
    for (size_t i = 0; i < kReplicaCalls; ++i) {
      std::string label = "call=\"" + std::string(ReplicaCallName(static_cast<ReplicaCall>(i))) + "\"";
      x.Sample(name, label, static_cast<double>(value(m.replica_calls[i])));
    }
  };
  per_call("replica_calls_total", "calls to replicas settled, by kind",
           [](const ReplicaCallMetrics& c) { return c.calls; });
  per_call("replica_call_errors_total", "calls to replicas that failed, by kind",
           [](const ReplicaCallMetrics& c) { return c.errors; });
  per_call("replica_call_timeouts_total", "calls to replicas the client gave up waiting for, by kind",
           [](const ReplicaCallMetrics& c) { return c.timeouts; });
  x.Family("internal_errors_total", "counter", "failures inside the client itself (0 in a healthy client)");
  x.Sample("internal_errors_total", "", static_cast<double>(m.internal_errors));
  return x.Take();
}

}  // namespace ringkv
