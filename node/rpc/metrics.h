#pragma once
// RpcMetrics: per data-path operation, how many calls and keys a node served, how many
// keys failed, and a latency histogram of whole calls. Bumped on the RPC loop, read from
// the admin HTTP thread and the stats RPC: every field is a relaxed atomic, so a reader
// sees each counter exact but counters of one op not as one atomic snapshot.
//
// MetricSample is one exported value ("hints_queued" with labels {target="node2"}); the
// node's stats RPC and GET /metrics render the same samples (node/rpc/node_stats.h).

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/mutex.h"

namespace ringkv {

enum class RpcOp { kGet, kPut, kReplicate, kCount };
std::string_view RpcOpName(RpcOp op);

struct MetricSample {
  std::string name;    // without the ringkv_ prefix
  std::string labels;  // Prometheus label list without braces: target="node2"; may be empty
  double value = 0;
  enum Kind { kCounter, kGauge } kind = kGauge;
  std::string help;
  // "name{labels}" — the stats RPC's key.
  std::string Key() const { return labels.empty() ? name : name + "{" + labels + "}"; }
};

class RpcMetrics {
 public:
  // Upper bounds of the latency buckets, in seconds (Prometheus `le`); +Inf is implied.
  static constexpr std::array<double, 15> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,     0.25,   0.5,   1,      2.5,   10};

  void Record(RpcOp op, std::chrono::nanoseconds latency, uint64_t keys, uint64_t failed_keys);
  // One key of `op` in the namespace `name` (parsed from the stored key by the caller, once
  // per key: common/namespace.h). The first kMaxNamespaceLabels namespaces seen get a label
  // each; later ones count under "_other", so a flood of names cannot grow the metrics
  // without bound.
  void CountNamespaceKey(RpcOp op, std::string_view name) EXCLUDES(namespaces_mu_);
  static constexpr size_t kMaxNamespaceLabels = 256;
  // Counters and histograms (cumulative buckets, _sum and _count) as samples.
  void AppendSamples(std::vector<MetricSample>* out) const;

 private:
  struct PerOp {
    std::atomic<uint64_t> calls{0}, keys{0}, failed_keys{0}, latency_ns_sum{0};
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // last: over every bound
  };
  std::array<PerOp, static_cast<size_t>(RpcOp::kCount)> ops_;
  using PerNamespace = std::array<uint64_t, static_cast<size_t>(RpcOp::kCount)>;
  mutable Mutex namespaces_mu_;
  std::map<std::string, PerNamespace, std::less<>> namespaces_ GUARDED_BY(namespaces_mu_);
};

// Prometheus text exposition (version 0.0.4) of `samples`, names prefixed "ringkv_", one
// HELP/TYPE header per metric name.
std::string PrometheusText(const std::vector<MetricSample>& samples);

}  // namespace ringkv
