// TTL on real nodes: a value written with a time to live (per put, or the namespace's
// default) is absent everywhere once it expires — at R=N, on each replica read alone — and
// no repair path brings it (or the value it replaced) back to a replica that was down
// while it expired. Bad TTL input is refused before anything is written. TTLs are 1-2 s;
// every wait is for a condition, bounded.

#include <chrono>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include "ringkv/limits.h"
#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/local_cluster.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;

namespace {

RequestOptions Level(Consistency level) {
  RequestOptions o;
  o.level = level;
  return o;
}

RequestOptions WithTtl(std::chrono::milliseconds ttl) {
  RequestOptions o;
  o.ttl = ttl;
  return o;
}

// What `node` holds for `key` read on its own (no SDK merge): its live values, or NotFound.
Result<std::vector<std::string>> OnNode(const LocalCluster& cluster, int node, const std::string& key) {
  return ReadReplicaDirectly(cluster.address(node), key);
}

bool AbsentEverywhere(Client& client, const LocalCluster& cluster, const std::string& key) {
  auto all = client.Get(key, Level(Consistency::kAll));
  if (!all.ok() || all->found) return false;
  for (int i = 0; i < cluster.size(); ++i) {
    if (!cluster.IsRunning(i)) continue;
    if (!OnNode(cluster, i, key).status().IsNotFound()) return false;
  }
  return true;
}

CommandResult Kv(const LocalCluster& cluster, const std::string& args) {
  return RunCommand(std::string(RINGKV_KV_PATH) + " --cluster " + cluster.seeds() + " --cluster-name test-cluster " +
                    args);
}

}  // namespace

TEST_CASE("a value written with a ttl expires on every replica: absent at R=N and on each node read alone") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  constexpr auto kTtl = 1500ms;
  auto before_put = std::chrono::steady_clock::now();
  auto put = client->Put("ttl-key", "short-lived", {}, WithTtl(kTtl));
  REQUIRE(put.ok());
  REQUIRE(client->Put("plain-key", "stays").ok());

  auto read = client->Get("ttl-key", Level(Consistency::kAll));
  REQUIRE(read.ok());
  if (std::chrono::steady_clock::now() - before_put < kTtl) {  // the write was stamped after before_put
    CHECK(read->found);
    REQUIRE(read->siblings.size() == 1);
    CHECK(read->siblings[0].expires_ms == read->siblings[0].written_ms + kTtl.count());
  }

  REQUIRE(Eventually(10s, [&] { return AbsentEverywhere(*client, *cluster, "ttl-key"); }));
  for (int i = 0; i < cluster->size(); ++i) {
    INFO("node " << cluster->id(i));
    CHECK(OnNode(*cluster, i, "ttl-key").status().IsNotFound());  // R=1 from each replica
  }
  auto one = client->Get("ttl-key", Level(Consistency::kOne));
  REQUIRE(one.ok());
  CHECK_FALSE(one->found);
  auto plain = client->Get("plain-key", Level(Consistency::kAll));
  REQUIRE(plain.ok());
  CHECK(plain->values == std::vector<std::string>{"stays"});  // no ttl: no expiry
  CHECK(plain->siblings[0].expires_ms == 0);
}

TEST_CASE("a namespace's default ttl applies to puts that set none, and a put's own ttl overrides it") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  NamespaceSettings settings;
  settings.default_ttl_s = 1;
  REQUIRE(client->CreateNamespace("short", settings).ok());
  RequestOptions in_ns;
  in_ns.ns = "short";
  RequestOptions longer = in_ns;
  longer.ttl = 1h;

  REQUIRE(client->Put("default-ttl", "goes", {}, in_ns).ok());
  REQUIRE(client->Put("own-ttl", "stays", {}, longer).ok());
  auto own = client->Get("own-ttl", in_ns);
  REQUIRE(own.ok());
  REQUIRE(own->found);
  CHECK(own->siblings[0].expires_ms == own->siblings[0].written_ms + 3'600'000);

  RequestOptions all = in_ns;
  all.level = Consistency::kAll;
  REQUIRE(Eventually(10s, [&] {
    auto got = client->Get("default-ttl", all);
    return got.ok() && !got->found;
  }));
  auto still = client->Get("own-ttl", all);
  REQUIRE(still.ok());
  CHECK(still->values == std::vector<std::string>{"stays"});
}

TEST_CASE("a replica down while a value expired brings back neither it nor the value it replaced") {
  auto cluster = StartCluster(FastCluster(3));
  ClientOptions options;
  options.timeout = 1500ms;
  auto client = ConnectTo(*cluster, options);
  const std::string key = "expired-while-down";
  const int down = 2;

  REQUIRE(client->Put(key, "old", {}, Level(Consistency::kAll)).ok());  // every replica holds "old"
  REQUIRE(cluster->Stop(down).ok());
  auto read = client->Get(key);
  REQUIRE(read.ok());
  // Replaces "old" on the two live replicas (a hint keeps it for the stopped one).
  REQUIRE(client->Put(key, "new", read->context, WithTtl(1000ms)).ok());
  REQUIRE(Eventually(10s, [&] {
    auto got = client->Get(key);
    return got.ok() && !got->found;
  }));

  REQUIRE(cluster->Restart(down).ok());
  REQUIRE(Eventually(20s, [&] { return AllMembersUp(*client); }));

  // A read at ALL meets "old" on the returning replica: the expired write still supersedes it.
  auto all = client->Get(key, Level(Consistency::kAll));
  REQUIRE(all.ok());
  CHECK_FALSE(all->found);
  // Read repair and hinted handoff bring the replica the expired write, not a value.
  REQUIRE(Eventually(10s, [&] { return OnNode(*cluster, down, key).status().IsNotFound(); }));
  // A Merkle repair between every pair changes nothing.
  for (int i = 0; i < cluster->size(); ++i) REQUIRE(RepairWhenSettled(*client, cluster->id(i)).ok());
  for (int i = 0; i < cluster->size(); ++i) {
    INFO("node " << cluster->id(i));
    CHECK(OnNode(*cluster, i, key).status().IsNotFound());
  }
  auto after = client->Get(key, Level(Consistency::kAll));
  REQUIRE(after.ok());
  CHECK_FALSE(after->found);
}

TEST_CASE("a ttl of zero, below zero or over 10 years, or on a delete, is refused and nothing is written") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  for (auto ttl :
       {std::chrono::milliseconds(0), std::chrono::milliseconds(-1000), std::chrono::milliseconds(kMaxTtlMs + 1)}) {
    auto put = client->Put("bad-ttl", "v", {}, WithTtl(ttl));
    INFO(ttl.count() << " ms: " << put.status().ToString());
    REQUIRE(put.status().IsInvalidArgument());
    CHECK_THAT(put.status().message(), Catch::Contains("ttl") && Catch::Contains("nothing was written"));
  }
  auto del = client->Delete("bad-ttl", {}, WithTtl(1s));
  REQUIRE(del.status().IsInvalidArgument());
  auto nothing = client->Get("bad-ttl", Level(Consistency::kAll));
  REQUIRE(nothing.ok());
  CHECK_FALSE(nothing->found);
  CHECK(nothing->siblings.empty());

  for (const char* bad : {"abc", "0s", "-5s", "10", "3w", "20000d"}) {
    CommandResult run = Kv(*cluster, std::string("put bad-ttl v --ttl ") + bad);
    INFO("--ttl " << bad << ": " << run.output);
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.output, Catch::Contains("--ttl"));
  }
  CHECK(Kv(*cluster, "get bad-ttl").exit_code == 1);  // not found: nothing was written

  CommandResult good = Kv(*cluster, "put good-ttl v --ttl 30s");
  INFO(good.output);
  REQUIRE(good.exit_code == 0);
  CommandResult shown = Kv(*cluster, "--json get good-ttl");
  INFO(shown.output);
  REQUIRE(shown.exit_code == 0);
  auto json = boost::json::parse(shown.output).as_object();
  auto version = json.at("versions").as_array().at(0).as_object();
  CHECK(json.at("expires_ms").to_number<int64_t>() == version.at("written_ms").to_number<int64_t>() + 30'000);
  CHECK(version.at("expires_ms").to_number<int64_t>() == json.at("expires_ms").to_number<int64_t>());
}
