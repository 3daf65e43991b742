// RpcMetrics histograms and the Prometheus text exposition the admin endpoint serves.

#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "common/namespace.h"
#include "node/rpc/metrics.h"

using namespace ringkv;
using namespace std::chrono_literals;

namespace {

// series -> value, and the order in which metric families first appear.
std::map<std::string, double> ParseExposition(const std::string& text, std::vector<std::string>* families) {
  std::map<std::string, double> values;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("# TYPE ")) {
      families->push_back(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.starts_with("#")) continue;
    auto space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    values[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return values;
}

}  // namespace

TEST_CASE("latency histograms are cumulative and agree with their count and sum") {
  RpcMetrics m;
  m.Record(RpcOp::kGet, 50us, 1, 0);    // <= 0.0001
  m.Record(RpcOp::kGet, 2ms, 3, 1);     // <= 0.0025
  m.Record(RpcOp::kGet, 20s, 1, 0);     // over every bound: only +Inf
  m.Record(RpcOp::kPut, 700us, 10, 0);  // <= 0.001
  std::vector<std::string> families;
  auto v = ParseExposition(PrometheusText([&] {
                             std::vector<MetricSample> s;
                             m.AppendSamples(&s);
                             return s;
                           }()),
                           &families);
  CHECK(v[R"(ringkv_rpc_calls_total{op="get"})"] == 3);
  CHECK(v[R"(ringkv_rpc_keys_total{op="get"})"] == 5);
  CHECK(v[R"(ringkv_rpc_key_errors_total{op="get"})"] == 1);
  CHECK(v[R"(ringkv_rpc_latency_seconds_bucket{op="get",le="0.0001"})"] == 1);
  CHECK(v[R"(ringkv_rpc_latency_seconds_bucket{op="get",le="0.001"})"] == 1);
  CHECK(v[R"(ringkv_rpc_latency_seconds_bucket{op="get",le="0.0025"})"] == 2);
  CHECK(v[R"(ringkv_rpc_latency_seconds_bucket{op="get",le="10"})"] == 2);
  CHECK(v[R"(ringkv_rpc_latency_seconds_bucket{op="get",le="+Inf"})"] == 3);
  CHECK(v[R"(ringkv_rpc_latency_seconds_count{op="get"})"] == 3);
  CHECK(v[R"(ringkv_rpc_latency_seconds_sum{op="get"})"] == Approx(20.00205));
  CHECK(v[R"(ringkv_rpc_latency_seconds_bucket{op="put",le="0.001"})"] == 1);
  CHECK(v[R"(ringkv_rpc_latency_seconds_bucket{op="put",le="0.0005"})"] == 0);
  CHECK(v[R"(ringkv_rpc_calls_total{op="replicate"})"] == 0);
}

TEST_CASE("the exposition groups each family under one HELP/TYPE header, whatever the sample order") {
  std::vector<MetricSample> samples = {
      {"hints_queued", "target=\"b\"", 2, MetricSample::kGauge, "hints held"},
      {"members", "status=\"up\"", 3, MetricSample::kGauge, "members"},
      {"hints_queued", "target=\"c\"", 5, MetricSample::kGauge, "hints held"},
      {"flushes_total", "", 7, MetricSample::kCounter, "flushes"},
  };
  std::string text = PrometheusText(samples);
  CHECK(text ==
        "# HELP ringkv_hints_queued hints held\n# TYPE ringkv_hints_queued gauge\n"
        "ringkv_hints_queued{target=\"b\"} 2\nringkv_hints_queued{target=\"c\"} 5\n"
        "# HELP ringkv_members members\n# TYPE ringkv_members gauge\nringkv_members{status=\"up\"} 3\n"
        "# HELP ringkv_flushes_total flushes\n# TYPE ringkv_flushes_total counter\nringkv_flushes_total 7\n");
  CHECK(samples[0].Key() == "hints_queued{target=\"b\"}");
  CHECK(samples[3].Key() == "flushes_total");
}

TEST_CASE("keys are counted by namespace and operation, and a flood of names folds into _other") {
  RpcMetrics metrics;
  metrics.CountNamespaceKey(RpcOp::kPut, "default");
  metrics.CountNamespaceKey(RpcOp::kPut, "carts");
  metrics.CountNamespaceKey(RpcOp::kPut, "carts");
  metrics.CountNamespaceKey(RpcOp::kGet, "carts");
  std::map<std::string, double> by_key;
  std::vector<MetricSample> samples;
  metrics.AppendSamples(&samples);
  for (const auto& s : samples) by_key[s.Key()] = s.value;
  CHECK(by_key["namespace_keys_total{namespace=\"default\",op=\"put\"}"] == 1);
  CHECK(by_key["namespace_keys_total{namespace=\"carts\",op=\"put\"}"] == 2);
  CHECK(by_key["namespace_keys_total{namespace=\"carts\",op=\"get\"}"] == 1);
  CHECK(by_key.count("namespace_keys_total{namespace=\"carts\",op=\"replicate\"}") == 0);

  for (size_t i = 0; i < RpcMetrics::kMaxNamespaceLabels + 50; ++i) {
    metrics.CountNamespaceKey(RpcOp::kGet, "ns" + std::to_string(i));
  }
  samples.clear();
  metrics.AppendSamples(&samples);
  size_t labelled = 0;
  double other = 0;
  for (const auto& s : samples) {
    if (s.name != "namespace_keys_total") continue;
    if (s.labels.find("namespace=\"_other\"") != std::string::npos)
      other += s.value;
    else
      ++labelled;
  }
  CHECK(labelled <= RpcMetrics::kMaxNamespaceLabels + 2);  // + the two ops of carts
  CHECK(other >= 50);
  CHECK(PrometheusText(samples).find("ringkv_namespace_keys_total{namespace=\"carts\",op=\"put\"} 2") !=
        std::string::npos);
}
