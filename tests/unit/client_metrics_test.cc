// What the client sees (ringkv/metrics.h, ringkv/tracing.h): the recorder's counters and
// histograms, their Prometheus text, and the spans a request and its replica calls report.

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <sstream>

#include "common/namespace.h"
#include "ringkv/metrics.h"
#include "sdk/metrics_recorder.h"
#include "sdk/request_trace.h"
#include "tests/recording_tracer.h"

using namespace ringkv;
using namespace std::chrono_literals;
using ringkv::testing::RecordingTracer;

namespace {

struct Exposition {
  std::map<std::string, double> values;            // series -> value
  std::map<std::string, std::string> types;        // family -> TYPE
  std::vector<std::string> families;               // in order of their TYPE lines
  std::vector<std::string> series_without_family;  // a series before its family's header
};

Exposition Parse(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("# TYPE ")) {
      std::string rest = line.substr(7);
      std::string family = rest.substr(0, rest.find(' '));
      e.types[family] = rest.substr(rest.find(' ') + 1);
      e.families.push_back(family);
      continue;
    }
    if (line.starts_with("#")) continue;
    auto space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    std::string series = line.substr(0, space);
    std::string name = series.substr(0, series.find('{'));
    bool known = false;
    for (const auto& f : e.families) known = known || name == f || name.starts_with(f + "_");
    if (!known) e.series_without_family.push_back(series);
    e.values[series] = std::stod(line.substr(space + 1));
  }
  return e;
}

}  // namespace

TEST_CASE("a request's latency lands in the first bucket whose bound it does not exceed") {
  sdk::MetricsRecorder m;
  m.RecordRequest(ClientOp::kGet, 100us, Status::OK(), 2, 1);  // exactly the first bound
  m.RecordRequest(ClientOp::kGet, 101us, Status::OK(), 2, 1);  // just over it
  m.RecordRequest(ClientOp::kGet, 3ms, Status::OK(), 3, 1);    // <= 5 ms
  m.RecordRequest(ClientOp::kGet, 20s, Status::OK(), 2, 1);    // over every bound
  const ClientMetrics snapshot = m.Snapshot();                 // held: `h` refers into it
  const LatencyHistogram& h = snapshot.of(ClientOp::kGet).latency;
  CHECK(h.buckets[0] == 1);
  CHECK(h.buckets[1] == 1);
  CHECK(h.buckets[5] == 1);
  CHECK(h.buckets.back() == 1);
  CHECK(h.count == 4);
  CHECK(h.sum == 100us + 101us + 3ms + 20s);
}

TEST_CASE("the latency quantile is the bound of the bucket that holds it") {
  LatencyHistogram h;
  CHECK(h.Quantile(0.5) == 0us);  // empty
  h.buckets[3] = 90;              // <= 1 ms
  h.buckets[8] = 9;               // <= 50 ms
  h.buckets.back() = 1;           // > 10 s
  h.count = 100;
  CHECK(h.Quantile(0.5) == 1000us);
  CHECK(h.Quantile(0.90) == 1000us);
  CHECK(h.Quantile(0.91) == 50000us);
  CHECK(h.Quantile(0.99) == 50000us);
  CHECK(h.Quantile(1.0) == 10s);  // the overflow bucket reports the last bound
}

TEST_CASE("errors count by status code, timeouts apart, and only successes count replicas and siblings") {
  sdk::MetricsRecorder m;
  m.RecordRequest(ClientOp::kGet, 1ms, Status::OK(), 3, 2);
  m.RecordRequest(ClientOp::kGet, 2s, Status::TimedOut(2000, 1, 2, ""), 1, 0);
  m.RecordRequest(ClientOp::kGet, 1ms, Status::QuorumNotReached(1, 2, ""), 1, 0);
  m.RecordRejected(ClientOp::kGet, Status::InvalidArgument("key too long"));
  m.RecordRequest(ClientOp::kPut, 1ms, Status::OK(), 2, -1);
  m.RecordRetry(ClientOp::kPut);
  m.RecordRetry(ClientOp::kPut);
  ClientMetrics s = m.Snapshot();
  const OpMetrics& get = s.of(ClientOp::kGet);
  CHECK(get.requests == 4);
  CHECK(get.errors == 3);
  CHECK(get.timeouts == 1);
  CHECK(get.errors_by_code == std::map<StatusCode, uint64_t>{{StatusCode::kInvalidArgument, 1},
                                                             {StatusCode::kTimedOut, 1},
                                                             {StatusCode::kQuorumNotReached, 1}});
  CHECK(get.latency.count == 3);  // the rejected request never reached the loop
  CHECK(get.replicas.count == 1);
  CHECK(get.replicas.sum == 3);
  CHECK(get.replicas.buckets[3] == 1);  // <= 3
  CHECK(get.siblings.count == 1);
  CHECK(get.siblings.buckets[2] == 1);  // <= 2
  const OpMetrics& put = s.of(ClientOp::kPut);
  CHECK(put.retries == 2);
  CHECK(put.replicas.sum == 2);
  CHECK(put.siblings.count == 0);  // not a read
  CHECK(s.of(ClientOp::kDelete).requests == 0);
}

TEST_CASE("replica calls count failures, and the ones given up on as timeouts too") {
  sdk::MetricsRecorder m;
  m.RecordReplicaCall(ReplicaCall::kReplicate, Status::OK());
  m.RecordReplicaCall(ReplicaCall::kReplicate, Status::Unavailable("refused"));
  m.RecordReplicaCall(ReplicaCall::kReplicate, Status::TimedOut("no answer in time"));
  m.RecordReplicaCall(ReplicaCall::kHint, Status::OK());
  ClientMetrics s = m.Snapshot();
  CHECK(s.of(ReplicaCall::kReplicate).calls == 3);
  CHECK(s.of(ReplicaCall::kReplicate).errors == 2);
  CHECK(s.of(ReplicaCall::kReplicate).timeouts == 1);
  CHECK(s.of(ReplicaCall::kHint).calls == 1);
  CHECK(s.of(ReplicaCall::kGet).calls == 0);
}

TEST_CASE("the Prometheus text has one header per family and cumulative histograms that agree with their count") {
  sdk::MetricsRecorder m;
  m.RecordRequest(ClientOp::kGet, 50us, Status::OK(), 2, 1);
  m.RecordRequest(ClientOp::kGet, 2ms, Status::OK(), 3, 2);
  m.RecordRequest(ClientOp::kGet, 20s, Status::TimedOut("late"), 0, 0);
  m.RecordRequest(ClientOp::kPut, 700us, Status::OK(), 2, -1);
  m.RecordRetry(ClientOp::kGet);
  m.RecordReplicaCall(ReplicaCall::kGet, Status::TimedOut("late"));
  ClientMetrics s = m.Snapshot();
  s.internal_errors = 7;
  Exposition e = Parse(PrometheusText(s));

  CHECK(e.series_without_family.empty());
  std::set<std::string> unique(e.families.begin(), e.families.end());
  CHECK(unique.size() == e.families.size());
  CHECK(e.types["ringkv_client_request_latency_seconds"] == "histogram");
  CHECK(e.types["ringkv_client_requests_total"] == "counter");

  CHECK(e.values[R"(ringkv_client_requests_total{op="get"})"] == 3);
  CHECK(e.values[R"(ringkv_client_requests_total{op="scan"})"] == 0);
  CHECK(e.values[R"(ringkv_client_errors_total{op="get",code="TimedOut"})"] == 1);
  CHECK(e.values[R"(ringkv_client_timeouts_total{op="get"})"] == 1);
  CHECK(e.values[R"(ringkv_client_retries_total{op="get"})"] == 1);
  CHECK(e.values[R"(ringkv_client_request_latency_seconds_bucket{op="get",le="0.0001"})"] == 1);
  CHECK(e.values[R"(ringkv_client_request_latency_seconds_bucket{op="get",le="0.0025"})"] == 2);
  CHECK(e.values[R"(ringkv_client_request_latency_seconds_bucket{op="get",le="10"})"] == 2);
  CHECK(e.values[R"(ringkv_client_request_latency_seconds_bucket{op="get",le="+Inf"})"] == 3);
  CHECK(e.values[R"(ringkv_client_request_latency_seconds_count{op="get"})"] == 3);
  CHECK(e.values[R"(ringkv_client_request_latency_seconds_sum{op="get"})"] == Approx(20.00205));
  CHECK(e.values[R"(ringkv_client_replicas_used_bucket{op="get",le="2"})"] == 1);
  CHECK(e.values[R"(ringkv_client_replicas_used_bucket{op="get",le="+Inf"})"] == 2);
  CHECK(e.values[R"(ringkv_client_replicas_used_sum{op="put"})"] == 2);
  CHECK(e.values[R"(ringkv_client_siblings_per_read_bucket{op="get",le="1"})"] == 1);
  CHECK(e.values[R"(ringkv_client_siblings_per_read_sum{op="get"})"] == 3);
  CHECK(e.values[R"(ringkv_client_replica_call_timeouts_total{call="get"})"] == 1);
  CHECK(e.values[R"(ringkv_client_replica_calls_total{call="coordinate"})"] == 0);
  CHECK(e.values["ringkv_client_internal_errors_total"] == 7);
  // Cumulative: every bucket holds at least the one before it.
  double previous = 0;
  for (auto bound : LatencyHistogram::kBounds) {
    std::ostringstream le;
    le << std::chrono::duration<double>(bound).count();
    double v = e.values[R"(ringkv_client_request_latency_seconds_bucket{op="put",le=")" + le.str() + "\"}"];
    CHECK(v >= previous);
    previous = v;
  }
  CHECK(previous == 1);
}

TEST_CASE("a traced request's span names its namespace and its replica calls name the request as parent") {
  RecordingTracer tracer;
  sdk::MetricsRecorder m;
  auto request = sdk::RequestScope::Begin(&tracer, ClientOp::kPut, StoredKey("carts", 3, "cart:1"));
  REQUIRE(request.trace != nullptr);
  sdk::ReplicaCallReport coordinate(&m, request.trace.get(), ReplicaCall::kCoordinate, {"node1", "127.0.0.1:7001", ""});
  sdk::ReplicaCallReport hint(&m, request.trace.get(), ReplicaCall::kHint, {"node4", "127.0.0.4:7001", ""}, "node2");
  coordinate.Settled(Status::OK());
  coordinate.Settled(Status::TimedOut("the call's timeout path, after its answer"));  // ignored: ended already
  hint.Settled(Status::Unavailable("refused"));
  request.End(m, Status::OK(), 2, -1);

  auto spans = tracer.spans();
  REQUIRE(spans.size() == 3);
  CHECK(spans[0].request);
  CHECK(spans[0].op == ClientOp::kPut);
  CHECK(spans[0].ns == "carts");
  CHECK(spans[0].outcome == StatusCode::kOk);
  CHECK(spans[0].replicas == 2);
  CHECK(spans[0].siblings == 0);
  CHECK(spans[0].end >= spans[0].start);
  CHECK(spans[1].call == ReplicaCall::kCoordinate);
  CHECK(spans[1].node_id == "node1");
  CHECK(spans[1].address == "127.0.0.1:7001");
  CHECK(spans[1].parent == 0);
  CHECK(spans[1].ends == 1);
  CHECK(spans[1].outcome == StatusCode::kOk);
  CHECK(spans[2].hint_for == "node2");
  CHECK(spans[2].outcome == StatusCode::kUnavailable);
  ClientMetrics s = m.Snapshot();
  CHECK(s.of(ReplicaCall::kCoordinate).calls == 1);  // counted once, like its span
  CHECK(s.of(ReplicaCall::kCoordinate).timeouts == 0);
  CHECK(s.of(ClientOp::kPut).requests == 1);
}

TEST_CASE("a request in the default namespace is traced as \"default\", and an untraced one starts no call spans") {
  RecordingTracer tracer;
  sdk::MetricsRecorder m;
  auto plain = sdk::RequestScope::Begin(&tracer, ClientOp::kGet, "user:1");
  plain.End(m, Status::OK(), 2, 1);
  tracer.TraceRequests(false);  // the app's sampler says no
  auto sampled_out = sdk::RequestScope::Begin(&tracer, ClientOp::kGet, "user:2");
  CHECK(sampled_out.trace == nullptr);
  sdk::ReplicaCallReport call(&m, sampled_out.trace.get(), ReplicaCall::kGet, {"node1", "127.0.0.1:7001", ""});
  call.Settled(Status::OK());
  sampled_out.End(m, Status::OK(), 2, 1);

  auto spans = tracer.spans();
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].ns == "default");
  CHECK(spans[0].siblings == 1);
  CHECK(m.Snapshot().of(ClientOp::kGet).requests == 2);  // metrics count every request
  CHECK(m.Snapshot().of(ReplicaCall::kGet).calls == 1);
}

TEST_CASE("without a tracer a request carries no trace") {
  sdk::MetricsRecorder m;
  auto request = sdk::RequestScope::Begin(nullptr, ClientOp::kDelete, "k");
  CHECK(request.trace == nullptr);
  request.End(m, Status::OK(), 3, -1);
  CHECK(m.Snapshot().of(ClientOp::kDelete).replicas.sum == 3);
}
