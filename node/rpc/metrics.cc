#include "node/rpc/metrics.h"

#include <map>

#include "common/namespace.h"
#include "common/prometheus_number.h"

namespace ringkv {
namespace {

std::string BucketLabel(std::string_view op, double le) {
  return "op=\"" + std::string(op) + "\",le=\"" + (le < 0 ? std::string("+Inf") : PrometheusNumber(le)) + "\"";
}

// "x_seconds_bucket" -> "x_seconds": a histogram's series share one family header.
std::string HistogramFamily(const std::string& name) {
  for (std::string_view suffix : {"_seconds_bucket", "_seconds_sum", "_seconds_count"}) {
    if (name.ends_with(suffix)) return name.substr(0, name.size() - suffix.size()) + "_seconds";
  }
  return name;
}

}  // namespace

std::string_view RpcOpName(RpcOp op) {
  switch (op) {
    case RpcOp::kGet:
      return "get";
    case RpcOp::kPut:
      return "put";
    case RpcOp::kReplicate:
      return "replicate";
    case RpcOp::kCount:
      break;
  }
  return "unknown";
}

void RpcMetrics::Record(RpcOp op, std::chrono::nanoseconds latency, uint64_t keys, uint64_t failed_keys) {
  PerOp& p = ops_[static_cast<size_t>(op)];
  constexpr auto r = std::memory_order_relaxed;
  p.calls.fetch_add(1, r);
  p.keys.fetch_add(keys, r);
  p.failed_keys.fetch_add(failed_keys, r);
  p.latency_ns_sum.fetch_add(static_cast<uint64_t>(latency.count()), r);
  double seconds = std::chrono::duration<double>(latency).count();
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  p.buckets[b].fetch_add(1, r);
}

void RpcMetrics::AppendSamples(std::vector<MetricSample>* out) const {
  constexpr auto r = std::memory_order_relaxed;
  for (size_t i = 0; i < ops_.size(); ++i) {
    const PerOp& p = ops_[i];
    std::string op(RpcOpName(static_cast<RpcOp>(i)));
    std::string label = "op=\"" + op + "\"";
    auto counter = [&](std::string name, std::string labels, double v, std::string help) {
      out->push_back({std::move(name), std::move(labels), v, MetricSample::kCounter, std::move(help)});
    };
    counter("rpc_calls_total", label, static_cast<double>(p.calls.load(r)), "RPC calls served, by operation");
    counter("rpc_keys_total", label, static_cast<double>(p.keys.load(r)), "keys in the RPC calls served");
    counter("rpc_key_errors_total", label, static_cast<double>(p.failed_keys.load(r)),
            "keys whose operation failed (not-found reads excluded)");
    uint64_t cumulative = 0;
    const std::string help = "RPC call latency on this node, seconds";
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += p.buckets[b].load(r);
      counter("rpc_latency_seconds_bucket", BucketLabel(op, b < kBuckets.size() ? kBuckets[b] : -1),
              static_cast<double>(cumulative), help);
    }
    counter("rpc_latency_seconds_sum", label, static_cast<double>(p.latency_ns_sum.load(r)) / 1e9, help);
    counter("rpc_latency_seconds_count", label, static_cast<double>(cumulative), help);
  }
  MutexLock lock(&namespaces_mu_);
  for (const auto& [name, per_op] : namespaces_) {
    for (size_t i = 0; i < per_op.size(); ++i) {
      if (per_op[i] == 0) continue;
      out->push_back({"namespace_keys_total",
                      "namespace=\"" + name + "\",op=\"" + std::string(RpcOpName(static_cast<RpcOp>(i))) + "\"",
                      static_cast<double>(per_op[i]), MetricSample::kCounter,
                      "keys in the RPC calls served, by namespace and operation"});
    }
  }
}

void RpcMetrics::CountNamespaceKey(RpcOp op, std::string_view name) {
  MutexLock lock(&namespaces_mu_);
  auto it = namespaces_.find(name);
  if (it == namespaces_.end()) {
    if (namespaces_.size() >= kMaxNamespaceLabels) name = "_other";
    it = namespaces_.try_emplace(std::string(name)).first;
  }
  ++it->second[static_cast<size_t>(op)];
}

std::string PrometheusText(const std::vector<MetricSample>& samples) {
  // Prometheus wants each family's samples together: group them, in order of first sight.
  struct Family {
    std::string header;
    std::string lines;
  };
  std::vector<Family> families;
  std::map<std::string, size_t> index;
  for (const MetricSample& s : samples) {
    std::string family = HistogramFamily(s.name);
    auto [it, added] = index.try_emplace(family, families.size());
    if (added) {
      const char* type = family != s.name ? "histogram" : s.kind == MetricSample::kCounter ? "counter" : "gauge";
      families.push_back(
          {"# HELP ringkv_" + family + " " + s.help + "\n# TYPE ringkv_" + family + " " + type + "\n", ""});
    }
    families[it->second].lines += "ringkv_" + s.Key() + " " + PrometheusNumber(s.value) + "\n";
  }
  std::string out;
  for (const Family& f : families) out += f.header + f.lines;
  return out;
}

}  // namespace ringkv
