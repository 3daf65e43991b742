// What the client sees, against real nodes: Client::Metrics(), MetricsText() and the
// Tracer's spans after real requests, with a replica that is slow (paused) or gone.

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>

#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/local_cluster.h"
#include "tests/recording_tracer.h"

using namespace ringkv;
using ringkv::testing::Eventually;
using ringkv::testing::LocalCluster;
using ringkv::testing::RecordingTracer;
using ringkv::testing::StartCluster;

namespace {

constexpr auto kSettle = std::chrono::seconds(10);  // a bound on waits for calls still in flight

uint64_t Calls(Client& client, ReplicaCall call) { return client.Metrics().of(call).calls; }

}  // namespace

TEST_CASE("the client's metrics and spans account for every request it made and every replica call") {
  auto cluster = StartCluster();
  auto tracer = std::make_shared<RecordingTracer>();
  ClientOptions options;
  options.tracer = tracer;
  options.replica_timeout = std::chrono::seconds(5);  // a slow moment never moves a put to another coordinator
  options.hedging.enabled = false;  // nor adds a hedged call (docs/sdk.md): the counts below are exact
  options.timeout = std::chrono::seconds(10);
  auto client = ringkv::testing::ConnectTo(*cluster, options);
  REQUIRE(client->CreateNamespace("carts", NamespaceSettings{}).ok());

  for (int i = 0; i < 10; ++i) REQUIRE(client->Put("k" + std::to_string(i), "v").ok());
  for (int i = 0; i < 10; ++i) REQUIRE(client->Get("k" + std::to_string(i))->found);
  REQUIRE_FALSE(client->Get("never-written")->found);
  RequestOptions in_carts;
  in_carts.ns = "carts";
  REQUIRE(client->Put("cart:1", "milk", {}, in_carts).ok());
  // Two writers from one version: the read at ALL returns both.
  auto base = client->Get("cart:1", in_carts);
  REQUIRE(base.ok());
  REQUIRE(client->Put("cart:1", "milk,eggs", base->context, in_carts).ok());
  REQUIRE(client->Put("cart:1", "milk,bread", base->context, in_carts).ok());
  RequestOptions all = in_carts;
  all.level = Consistency::kAll;
  REQUIRE(client->Get("cart:1", all)->values.size() == 2);
  REQUIRE(client->Delete("k0").ok());
  REQUIRE(client->Scan("default").ok());
  CHECK(client->Get("").status().IsInvalidArgument());  // refused before it was sent

  ClientMetrics m = client->Metrics();
  const OpMetrics& put = m.of(ClientOp::kPut);
  const OpMetrics& get = m.of(ClientOp::kGet);
  CHECK(put.requests == 13);
  CHECK(put.errors == 0);
  CHECK(put.latency.count == 13);
  CHECK(put.replicas.count == 13);
  CHECK(put.replicas.sum >= 2 * 13);  // W = 2
  CHECK(get.requests == 14);
  CHECK(get.errors == 1);
  CHECK(get.errors_by_code == std::map<StatusCode, uint64_t>{{StatusCode::kInvalidArgument, 1}});
  CHECK(get.latency.count == 13);       // the refused one never reached the loop
  CHECK(get.siblings.buckets[0] == 1);  // never-written: no value
  CHECK(get.siblings.buckets[1] == 11);
  CHECK(get.siblings.buckets[2] == 1);  // the read at ALL
  CHECK(get.replicas.sum >= 2 * 13);    // R = 2 (3 for the read at ALL)
  CHECK(m.of(ClientOp::kDelete).requests == 1);
  CHECK(m.of(ClientOp::kScan).requests == 1);
  // Each put and delete has one healthy coordinator, plus one more call per retry: on a busy
  // machine a put can meet a node whose ring moved on (StaleRing), a refused coordinate
  // call that the SDK retries once it has the newer ring.
  INFO(client->MetricsText());
  uint64_t write_retries = put.retries + m.of(ClientOp::kDelete).retries;
  CHECK(m.of(ReplicaCall::kCoordinate).calls == 14 + write_retries);
  CHECK(m.of(ReplicaCall::kCoordinate).errors == write_retries);
  CHECK(m.internal_errors == 0);
  // Every replica is asked on a read and written on a put; the last of them may settle
  // after the request returned.
  CHECK(Eventually(kSettle, [&] { return Calls(*client, ReplicaCall::kGet) == 3 * 13; }));
  CHECK(Eventually(kSettle, [&] { return Calls(*client, ReplicaCall::kReplicate) >= 2 * 14; }));

  std::string text = client->MetricsText();
  CHECK_THAT(text, Catch::Contains("ringkv_client_requests_total{op=\"put\"} 13\n"));
  CHECK_THAT(text, Catch::Contains("ringkv_client_errors_total{op=\"get\",code=\"InvalidArgument\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("ringkv_client_siblings_per_read_bucket{op=\"get\",le=\"1\"} 12\n"));

  // Spans: one per request that reached the loop, each ended once; each replica call's
  // parent is one of them.
  REQUIRE(Eventually(kSettle, [&] {
    for (const auto& s : tracer->spans()) {
      if (s.ends != 1) return false;
    }
    return true;
  }));
  auto spans = tracer->spans();
  std::map<ClientOp, int> requests;
  std::set<int> parents;
  int calls = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    const auto& s = spans[i];
    if (s.request) {
      ++requests[s.op];
      CHECK(s.outcome == StatusCode::kOk);
      CHECK(s.end >= s.start);
      continue;
    }
    ++calls;
    // The only refused calls are the retried ones above.
    if (s.call == ReplicaCall::kCoordinate && s.outcome != StatusCode::kOk) CHECK(s.outcome == StatusCode::kStaleRing);
    REQUIRE(s.parent >= 0);
    CHECK(spans[static_cast<size_t>(s.parent)].request);
    CHECK_FALSE(s.node_id.empty());
    CHECK_FALSE(s.address.empty());
    parents.insert(s.parent);
  }
  CHECK(requests == std::map<ClientOp, int>{
                        {ClientOp::kGet, 13}, {ClientOp::kPut, 13}, {ClientOp::kDelete, 1}, {ClientOp::kScan, 1}});
  CHECK(parents.size() == 27);  // every get, put and delete called replicas (a scan's node calls are not spans)
  CHECK(calls >= 3 * 13 + 3 * 14);
  int in_carts_spans = 0;
  for (const auto& s : spans) in_carts_spans += s.request && s.ns == "carts";
  CHECK(in_carts_spans == 5);
}

TEST_CASE("a paused replica shows as timeouts and a killed one as failed calls and errors") {
  auto cluster = StartCluster();
  auto tracer = std::make_shared<RecordingTracer>();
  ClientOptions options;
  options.tracer = tracer;
  options.replica_timeout = std::chrono::milliseconds(200);
  options.timeout = std::chrono::milliseconds(1000);
  // Health checks off: this case is about timeouts (with them, the paused replica turns
  // unreachable and its calls fail at once: tests/cluster/availability_test.cc).
  options.health_interval = std::chrono::milliseconds(0);
  auto client = ringkv::testing::ConnectTo(*cluster, options);
  REQUIRE(client->Put("k", "v").ok());

  REQUIRE(cluster->Pause(2).ok());
  // W = 2 of the two live replicas; the third is given up on after replica_timeout.
  CHECK(client->Put("k", "v2").ok());
  CHECK(Eventually(kSettle, [&] {
    ClientMetrics m = client->Metrics();
    return m.of(ReplicaCall::kReplicate).timeouts + m.of(ReplicaCall::kCoordinate).timeouts >= 1;
  }));
  RequestOptions all;
  all.level = Consistency::kAll;
  CHECK(client->Get("k", all).status().IsTimedOut());
  CHECK(client->Metrics().of(ClientOp::kGet).timeouts == 1);
  REQUIRE(cluster->Resume(2).ok());

  REQUIRE(cluster->Kill(1).ok());
  auto dead = client->Get("k", all);
  REQUIRE_FALSE(dead.ok());
  CHECK(Eventually(kSettle, [&] { return client->Metrics().of(ReplicaCall::kGet).errors >= 1; }));
  ClientMetrics m = client->Metrics();
  const OpMetrics& get = m.of(ClientOp::kGet);
  CHECK(get.requests == 2);
  CHECK(get.errors == 2);
  CHECK(get.errors_by_code.at(StatusCode::kTimedOut) == 1);
  CHECK(get.errors_by_code.at(dead.status().code()) >= 1);
  CHECK(m.of(ClientOp::kPut).errors == 0);
  CHECK_THAT(client->MetricsText(), Catch::Contains("ringkv_client_timeouts_total{op=\"get\"} 1\n"));

  // The failed reads' spans carry their outcomes.
  std::multiset<StatusCode> get_outcomes;
  for (const auto& s : tracer->spans()) {
    if (s.request && s.op == ClientOp::kGet && s.outcome) get_outcomes.insert(*s.outcome);
  }
  CHECK(get_outcomes.count(StatusCode::kTimedOut) == 1);
  CHECK(get_outcomes.count(dead.status().code()) >= 1);
}

TEST_CASE("the tracing sample prints every request with its replica calls") {
  auto cluster = StartCluster();
  auto run = ringkv::testing::RunCommand(std::string(RINGKV_SAMPLE_tracing) + " " + cluster->seeds());
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.output, Catch::Contains("tracing ok"));
  CHECK_THAT(run.output, Catch::Contains("call coordinate"));
}
