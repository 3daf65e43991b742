// Tail latency (issue 15): one slow or stopped replica must not set the pace of requests.
// The client asks the R fastest replicas, hedges to another after a delay, and routes
// around a node whose calls stop coming back (sdk/replica_choice.h). A replica is slowed by
// the node's test hook (admin /test/reply-delay: its data replies are held back), or
// paused with SIGSTOP. The tests count which replicas each request asked and whose answers
// it used (the client's trace spans), not how long anything took.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/http_client.h"
#include "tests/recording_tracer.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;

namespace {

// Far below replica_timeout (500 ms: the node is then only slow, not treated as down) and
// far above the hedge delay's upper bound (50 ms): a get answered without this node never
// waits for it.
constexpr int kSlowMs = 300;
const std::string kPutKeysStat = "rpc_keys_total{op=\"put\"}";  // keys of coordinated puts a node served

void SetReplyDelay(const LocalCluster& cluster, int i, int ms) {
  auto reply = HttpGet(cluster.admin_address(i), "/test/reply-delay?ms=" + std::to_string(ms));
  INFO((reply.ok() ? reply->body : reply.status().ToString()));
  REQUIRE(reply.ok());
  REQUIRE(reply->status == 200);
}

struct Traced {
  std::shared_ptr<RecordingTracer> tracer = std::make_shared<RecordingTracer>();
  std::unique_ptr<Client> client;
};

Traced ConnectTraced(const LocalCluster& cluster) {
  Traced t;
  ClientOptions options;
  options.tracer = t.tracer;
  t.client = ConnectTo(cluster, options);
  return t;
}

// For the requests of `op` whose spans start at index `from` or later: per request, the
// replica calls of `call` it made.
std::vector<std::vector<RecordingTracer::Recorded>> CallsPerRequest(const RecordingTracer& tracer, ClientOp op,
                                                                    ReplicaCall call, size_t from) {
  auto spans = tracer.spans();
  std::map<int, std::vector<RecordingTracer::Recorded>> by_request;
  for (size_t i = from; i < spans.size(); ++i) {
    if (spans[i].request && spans[i].op == op) by_request[static_cast<int>(i)];
  }
  for (const auto& s : spans) {
    if (!s.request && s.call == call && by_request.count(s.parent)) by_request[s.parent].push_back(s);
  }
  std::vector<std::vector<RecordingTracer::Recorded>> out;
  for (auto& [request, calls] : by_request) out.push_back(std::move(calls));
  return out;
}

int Asking(const std::vector<std::vector<RecordingTracer::Recorded>>& requests, const std::string& node) {
  int n = 0;
  for (const auto& calls : requests) {
    for (const auto& c : calls) n += c.node_id == node ? 1 : 0;
  }
  return n;
}

}  // namespace

TEST_CASE("with one replica slowed, R=2 gets are answered by the two others and rarely ask the slow one") {
  auto cluster = StartCluster();
  Traced t = ConnectTraced(*cluster);
  const int slow = 2;
  const std::string slow_id = cluster->id(slow);
  constexpr int kKeys = 30;
  for (int i = 0; i < kKeys; ++i) REQUIRE(t.client->Put("k" + std::to_string(i), "v").ok());
  SetReplyDelay(*cluster, slow, kSlowMs);

  // The client learns the slow node's latency from the first calls it makes to it.
  for (int i = 0; i < kKeys; ++i) REQUIRE(t.client->Get("k" + std::to_string(i)).ok());
  size_t from = t.tracer->spans().size();
  constexpr int kGets = 150;
  for (int round = 0; round < kGets / kKeys; ++round) {
    for (int i = 0; i < kKeys; ++i) {
      auto got = t.client->Get("k" + std::to_string(i));
      REQUIRE(got.ok());
      REQUIRE(got->values == std::vector<std::string>{"v"});
    }
  }
  auto gets = CallsPerRequest(*t.tracer, ClientOp::kGet, ReplicaCall::kGet, from);
  REQUIRE(gets.size() == static_cast<size_t>(kGets));
  int asked_slow = Asking(gets, slow_id);
  INFO("the slow node was asked by " << asked_slow << " of " << kGets << " gets");
  // Asking every replica (the behaviour before) asks it in all of them; a hedge asks it only
  // when both fast replicas are late beyond their p95.
  CHECK(asked_slow < kGets / 3);
  // No get waited for the slow node: each had two answers from the others.
  for (const auto& calls : gets) {
    int fast_answers = 0;
    for (const auto& c : calls) fast_answers += c.node_id != slow_id && c.outcome == StatusCode::kOk ? 1 : 0;
    CHECK(fast_answers >= 2);
  }
  SetReplyDelay(*cluster, slow, 0);
}

TEST_CASE("a put whose coordinator is slow is hedged to the next replica and stays one write") {
  auto cluster = StartCluster();
  // The client orders coordinators by the latency it has seen, and on a loaded machine it
  // can rank the primary below the others (outside FastestFirst's band) before anything is
  // slowed: then the primary is not asked first and nothing hedges. So an attempt whose put
  // did not go to the primary first is repeated with a fresh client (fresh latencies) and a
  // fresh key; bounded.
  Traced t;
  std::string key;
  std::map<std::string, double> puts_before;  // coordinated keys per node
  std::vector<std::vector<RecordingTracer::Recorded>> coordinations;
  for (int attempt = 0; attempt < 5; ++attempt) {
    SetReplyDelay(*cluster, 0, 0);
    t = ConnectTraced(*cluster);
    // The client learns every node's write latency (a put hedges only against a known p95).
    for (int i = 0; i < 30; ++i) REQUIRE(t.client->Put("warm-" + std::to_string(i), "v").ok());
    key.clear();
    for (int i = 0; i < 1000 && key.empty(); ++i) {
      std::string k = "hedged-put-" + std::to_string(attempt) + "-" + std::to_string(i);
      if (t.client->PreferenceList(k, 3).front() == cluster->id(0)) key = k;
    }
    REQUIRE(!key.empty());
    for (int i = 0; i < cluster->size(); ++i)
      puts_before[cluster->id(i)] = StatValue(*t.client, cluster->id(i), kPutKeysStat);
    SetReplyDelay(*cluster, 0, kSlowMs);

    size_t from = t.tracer->spans().size();
    auto put = t.client->Put(key, "once");
    INFO(put.status().ToString());
    REQUIRE(put.ok());
    coordinations = CallsPerRequest(*t.tracer, ClientOp::kPut, ReplicaCall::kCoordinate, from);
    REQUIRE(coordinations.size() == 1);
    REQUIRE(!coordinations[0].empty());
    if (coordinations[0][0].node_id == cluster->id(0)) break;
    WARN("attempt " << attempt << ": the client asked " << coordinations[0][0].node_id << " first; again");
  }
  // Both coordinated the same write: the primary (late) and another replica (the hedge).
  REQUIRE(coordinations[0].size() == 2);
  CHECK(coordinations[0][0].node_id == cluster->id(0));
  const std::string second = coordinations[0][1].node_id;
  CHECK(second != cluster->id(0));
  const double slow_puts = puts_before[cluster->id(0)], second_puts = puts_before[second];
  CHECK(Eventually(10s, [&] { return StatValue(*t.client, cluster->id(0), kPutKeysStat) >= slow_puts + 1; }));
  CHECK(StatValue(*t.client, second, kPutKeysStat) >= second_puts + 1);
  SetReplyDelay(*cluster, 0, 0);

  // Each coordinator stored it under its own dot; the replicas agree on one sibling and on
  // the context (both dots), byte for byte, before any read repairs them: else Merkle
  // repair would move the key on every run.
  std::vector<std::string> versions(cluster->size());
  CHECK(Eventually(10s, [&] {
    for (int i = 0; i < cluster->size(); ++i) {
      auto set = ReadReplicaVersions(cluster->address(i), key);
      versions[i] = set.ok() ? set->EncodeVersions() : set.status().ToString();
    }
    return versions[0] == versions[1] && versions[1] == versions[2];
  }));
  for (int i = 0; i < cluster->size(); ++i) {
    auto set = ReadReplicaVersions(cluster->address(i), key);
    REQUIRE(set.ok());
    INFO(cluster->id(i) << " context " << set->context().ToString());
    CHECK(set->siblings().size() == 1);
  }

  // One write: one version on every replica and at ALL, no siblings.
  RequestOptions all;
  all.level = Consistency::kAll;
  auto got = t.client->Get(key, all);
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"once"});
  CHECK(got->siblings.size() == 1);
  for (int i = 0; i < cluster->size(); ++i) {
    std::vector<std::string> held;
    CHECK(Eventually(10s, [&] {
      auto r = ReadReplicaDirectly(cluster->address(i), key);
      if (r.ok()) held = *r;
      return held == std::vector<std::string>{"once"};
    }));
    INFO(cluster->id(i) << " holds " << held.size() << " values");
    CHECK(held == std::vector<std::string>{"once"});
  }
}

TEST_CASE("a paused replica is routed around once its calls stop coming back, before any timeout") {
  auto cluster = StartCluster();
  Traced t = ConnectTraced(*cluster);
  constexpr int kKeys = 30;
  for (int i = 0; i < kKeys; ++i) REQUIRE(t.client->Put("p" + std::to_string(i), "v").ok());
  const int paused = 1;
  const std::string paused_id = cluster->id(paused);
  REQUIRE(cluster->Pause(paused).ok());
  struct ResumeOnExit {
    LocalCluster& c;
    int i;
    ~ResumeOnExit() { (void)c.Resume(i); }
  } resume{*cluster, paused};

  size_t from = t.tracer->spans().size();
  constexpr int kGets = 150;
  for (int round = 0; round < kGets / kKeys; ++round) {
    for (int i = 0; i < kKeys; ++i) {
      auto got = t.client->Get("p" + std::to_string(i));
      INFO(got.status().ToString());
      REQUIRE(got.ok());
      REQUIRE(got->values == std::vector<std::string>{"v"});
    }
  }
  auto gets = CallsPerRequest(*t.tracer, ClientOp::kGet, ReplicaCall::kGet, from);
  REQUIRE(gets.size() == static_cast<size_t>(kGets));
  int asked_paused = Asking(gets, paused_id);
  INFO("the paused node was asked by " << asked_paused << " of " << kGets << " gets");
  CHECK(asked_paused < kGets / 3);

  // Its unanswered reads mark it: puts now never pick it as coordinator.
  from = t.tracer->spans().size();
  for (int i = 0; i < kKeys; ++i) REQUIRE(t.client->Put("p" + std::to_string(i), "w").ok());
  auto puts = CallsPerRequest(*t.tracer, ClientOp::kPut, ReplicaCall::kCoordinate, from);
  REQUIRE(puts.size() == static_cast<size_t>(kKeys));
  CHECK(Asking(puts, paused_id) == 0);
}
