// The SDK as coordinator against real nodes: quorums, failures, siblings, read repair,
// LWW and bad input. Every test starts its own LocalCluster on 127.0.0.x.

#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "ringkv/limits.h"
#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/local_cluster.h"

using namespace ringkv;
using ringkv::testing::Eventually;
using ringkv::testing::LocalCluster;
using ringkv::testing::LocalClusterOptions;
using ringkv::testing::ReadReplicaDirectly;
using ringkv::testing::StartCluster;

namespace {

// Clients here fail over sooner than the default (1.5 s unless a test sets its own timeout).
std::unique_ptr<Client> ConnectQuick(const LocalCluster& cluster, ClientOptions options = {}) {
  if (options.timeout == std::chrono::milliseconds(2000)) options.timeout = std::chrono::milliseconds(1500);
  return ringkv::testing::ConnectTo(cluster, std::move(options));
}

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("N=3 W=2 R=2: a put is readable and lands on all three replicas") {
  auto cluster = StartCluster();
  auto client = ConnectQuick(*cluster);
  auto put = client->Put("greeting", "hello");
  REQUIRE(put.ok());
  REQUIRE(put->acks >= 2);
  auto got = client->Get("greeting");
  REQUIRE(got.ok());
  REQUIRE(got->found);
  REQUIRE(got->values == std::vector<std::string>{"hello"});
  // The third replica gets it too, just not necessarily before Put returns.
  for (int i = 0; i < cluster->size(); ++i) {
    std::vector<std::string> held;
    for (int attempt = 0; attempt < 100 && held.empty(); ++attempt) {
      auto r = ReadReplicaDirectly(cluster->address(i), "greeting");
      if (r.ok())
        held = *r;
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(held == std::vector<std::string>{"hello"});
  }
}

TEST_CASE("with W+R>N and no failures every read sees the latest write") {
  auto cluster = StartCluster();
  auto writer = ConnectQuick(*cluster);
  auto reader = ConnectQuick(*cluster);
  Context ctx;
  for (int i = 0; i < 200; ++i) {
    std::string key = "ryw" + std::to_string(i % 20);
    auto before = reader->Get(key);
    REQUIRE(before.ok());
    auto put = writer->Put(key, "v" + std::to_string(i), before->context);
    REQUIRE(put.ok());
    auto after = reader->Get(key);
    REQUIRE(after.ok());
    REQUIRE(after->values == std::vector<std::string>{"v" + std::to_string(i)});
  }
}

TEST_CASE("with one node killed QUORUM still works and ALL fails with a clear error") {
  auto cluster = StartCluster();
  auto client = ConnectQuick(*cluster);
  REQUIRE(client->Put("k", "before").ok());
  REQUIRE(cluster->Kill(2).ok());

  auto ctx = client->Get("k");
  REQUIRE(ctx.ok());
  REQUIRE(ctx->values == std::vector<std::string>{"before"});
  RequestOptions quorum;
  quorum.level = Consistency::kQuorum;
  REQUIRE(client->Put("k", "after", ctx->context, quorum).ok());
  auto got = client->Get("k", quorum);
  REQUIRE(got.ok());
  REQUIRE(got->values == std::vector<std::string>{"after"});

  RequestOptions all;
  all.level = Consistency::kAll;
  // Keys whose replicas include the dead node fail at ALL; with 3 nodes and N=3 that is every key.
  auto put_all = client->Put("k2", "v", {}, all);
  REQUIRE_FALSE(put_all.ok());
  REQUIRE(put_all.status().IsQuorumNotReached());
  REQUIRE(put_all.status().needed() == 3);
  REQUIRE(put_all.status().acked() < 3);
  REQUIRE_THAT(put_all.status().message(), Catch::Contains(cluster->id(2)));
  CHECK(Occurrences(put_all.status().message(), cluster->id(2) + ":") == 1);  // one entry per replica
  auto get_all = client->Get("k", all);
  REQUIRE_FALSE(get_all.ok());
  REQUIRE(get_all.status().IsQuorumNotReached());
  CHECK(Occurrences(get_all.status().message(), cluster->id(2) + ":") == 1);
}

TEST_CASE("a read whose timeout passes before its quorum fails with TimedOut, naming the silent replica once") {
  auto cluster = StartCluster();
  ClientOptions options;
  // Health checks off: this case is about the timeout itself (with them, the paused node
  // turns unreachable and the read fails at once: tests/cluster/availability_test.cc).
  options.health_interval = std::chrono::milliseconds(0);
  auto client = ConnectQuick(*cluster, options);
  RequestOptions all;
  all.level = Consistency::kAll;
  REQUIRE(client->Put("k", "v", {}, all).ok());
  REQUIRE(cluster->Pause(2).ok());
  all.timeout = std::chrono::milliseconds(800);
  auto got = client->Get("k", all);
  REQUIRE(cluster->Resume(2).ok());
  REQUIRE_FALSE(got.ok());
  INFO(got.status().ToString());
  REQUIRE(got.status().IsTimedOut());
  CHECK(got.status().acked() == 2);
  CHECK(got.status().needed() == 3);
  CHECK(Occurrences(got.status().message(), cluster->id(2) + ": no answer in time") == 1);
  CHECK(Occurrences(got.status().message(), cluster->id(0) + ":") == 0);  // it answered
}

TEST_CASE("a request none of whose replicas can be reached fails with Unavailable") {
  auto cluster = StartCluster();
  auto client = ConnectQuick(*cluster);
  for (int i = 0; i < cluster->size(); ++i) REQUIRE(cluster->Kill(i).ok());
  auto got = client->Get("k");
  REQUIRE_FALSE(got.ok());
  INFO(got.status().ToString());
  CHECK(got.status().IsUnavailable());
  auto put = client->Put("k", "v");
  REQUIRE_FALSE(put.ok());
  INFO(put.status().ToString());
  CHECK(put.status().IsUnavailable());
}

TEST_CASE(
    "a write from a client whose clock is far behind the nodes' is refused with a clear error and nothing is written") {
  auto cluster = StartCluster();
  ClientOptions skewed;
  skewed.clock_offset = std::chrono::minutes(-2);  // beyond the nodes' --max-write-age-s of 60
  auto behind = ConnectQuick(*cluster, skewed);
  auto put = behind->Put("k", "from-the-past");
  REQUIRE_FALSE(put.ok());
  REQUIRE(put.status().IsInvalidArgument());
  CHECK_THAT(put.status().message(), Catch::Contains("--max-write-age") && Catch::Contains("clock is behind"));
  auto client = ConnectQuick(*cluster);
  RequestOptions all;
  all.level = Consistency::kAll;
  auto got = client->Get("k", all);
  REQUIRE(got.ok());
  CHECK_FALSE(got->found);
  for (int i = 0; i < cluster->size(); ++i) {
    CHECK(ReadReplicaDirectly(cluster->address(i), "k").status().IsNotFound());
  }
}

TEST_CASE("two puts with the same context through different coordinators become siblings, and a merge resolves them") {
  auto cluster = StartCluster();
  auto alice = ConnectQuick(*cluster);
  auto bob = ConnectQuick(*cluster);
  REQUIRE(alice->Put("cart", "milk").ok());
  auto seen = alice->Get("cart");
  REQUIRE(seen.ok());
  // Both start from the same version and write concurrently through different nodes.
  RequestOptions one;
  one.w = 1;
  auto a = alice->PutAsync("cart", "milk,eggs", seen->context, one);
  auto b = bob->PutAsync("cart", "milk,bread", seen->context, one);
  REQUIRE(a.get().ok());
  REQUIRE(b.get().ok());

  RequestOptions all;
  all.level = Consistency::kAll;
  auto both = alice->Get("cart", all);
  REQUIRE(both.ok());
  REQUIRE(Sorted(both->values) == std::vector<std::string>{"milk,bread", "milk,eggs"});  // neither lost
  // Each sibling says which write it is and when it was written, without opening the context.
  REQUIRE(both->siblings.size() == 2);
  CHECK(both->siblings[0].id != both->siblings[1].id);
  CHECK(both->siblings[0].written_ms <= both->siblings[1].written_ms);  // oldest first
  for (const SiblingInfo& s : both->siblings) {
    CHECK_FALSE(s.tombstone);
    CHECK(s.written_ms > 1'700'000'000'000);  // a wall-clock stamp
    CHECK(s.id.find(':') != std::string::npos);
  }
  REQUIRE(alice->Put("cart", "milk,bread,eggs", both->context).ok());
  auto merged = bob->Get("cart", all);
  REQUIRE(merged.ok());
  REQUIRE(merged->values == std::vector<std::string>{"milk,bread,eggs"});
  REQUIRE(merged->siblings.size() == 1);
}

TEST_CASE("a delete concurrent with a put shows as a tombstone sibling beside the value") {
  auto cluster = StartCluster();
  auto alice = ConnectQuick(*cluster);
  auto bob = ConnectQuick(*cluster);
  REQUIRE(alice->Put("k", "v1").ok());
  auto seen = alice->Get("k");
  REQUIRE(seen.ok());
  RequestOptions one;
  one.w = 1;
  REQUIRE(alice->Put("k", "v2", seen->context, one).ok());
  REQUIRE(bob->Delete("k", seen->context, one).ok());
  RequestOptions all;
  all.level = Consistency::kAll;
  auto got = alice->Get("k", all);
  REQUIRE(got.ok());
  REQUIRE(got->values == std::vector<std::string>{"v2"});
  REQUIRE(got->siblings.size() == 2);
  int tombstones = 0;
  for (const SiblingInfo& s : got->siblings) tombstones += s.tombstone ? 1 : 0;
  CHECK(tombstones == 1);
}

TEST_CASE("read repair fixes a replica that missed a write") {
  auto cluster = StartCluster();
  auto client = ConnectQuick(*cluster);
  const std::string key = "repair-me";
  REQUIRE(cluster->Kill(0).ok());
  REQUIRE(client->Put(key, "while-you-were-out").ok());
  REQUIRE(cluster->Restart(0).ok());
  REQUIRE(ReadReplicaDirectly(cluster->address(0), key).status().IsNotFound());

  RequestOptions all;
  all.level = Consistency::kAll;
  for (int attempt = 0; attempt < 50; ++attempt) {  // the client may still hold node1 as down
    if (client->Get(key, all).ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::vector<std::string> held;
  for (int attempt = 0; attempt < 100 && held.empty(); ++attempt) {
    auto r = ReadReplicaDirectly(cluster->address(0), key);
    if (r.ok())
      held = *r;
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(held == std::vector<std::string>{"while-you-were-out"});
}

TEST_CASE("a restarted node keeps its data") {
  auto cluster = StartCluster();
  auto client = ConnectQuick(*cluster);
  for (int i = 0; i < 100; ++i) REQUIRE(client->Put("persist" + std::to_string(i), "v" + std::to_string(i)).ok());
  for (int i = 0; i < cluster->size(); ++i) REQUIRE(cluster->Stop(i).ok());  // SIGTERM: clean shutdown
  for (int i = 0; i < cluster->size(); ++i) REQUIRE(cluster->Restart(i).ok());
  auto fresh = ConnectQuick(*cluster);
  RequestOptions one;
  one.r = 1;
  for (int i = 0; i < 100; ++i) {
    auto got = fresh->Get("persist" + std::to_string(i), one);
    REQUIRE(got.ok());
    REQUIRE(got->values == std::vector<std::string>{"v" + std::to_string(i)});
  }
}

TEST_CASE("oversized keys and values are refused with a clear error and nothing is written") {
  auto cluster = StartCluster();
  auto client = ConnectQuick(*cluster);
  auto big_value = client->Put("k", std::string(kMaxValueBytes + 1, 'v'));
  REQUIRE(big_value.status().IsInvalidArgument());
  REQUIRE_THAT(big_value.status().message(), Catch::Contains("1048577 bytes") && Catch::Contains("limit is 1048576"));
  auto big_key = client->Put(std::string(1025, 'k'), "v");
  REQUIRE(big_key.status().IsInvalidArgument());
  REQUIRE(client->Get(std::string(1025, 'k')).status().IsInvalidArgument());
  REQUIRE(client->Put("", "v").status().IsInvalidArgument());
  auto bad_context = client->Put("k", "v", Context("garbage"));
  REQUIRE(bad_context.status().IsInvalidArgument());
  auto got = client->Get("k");
  REQUIRE(got.ok());
  REQUIRE_FALSE(got->found);
}

TEST_CASE("a 1 MB value is written and read back at QUORUM, from every replica") {
  auto cluster = StartCluster();
  auto client = ConnectQuick(*cluster);
  std::string mb(kMaxValueBytes, '\0');
  for (size_t i = 0; i < mb.size(); ++i) mb[i] = static_cast<char>('a' + (i * 7919) % 26);
  RequestOptions quorum;
  quorum.level = Consistency::kQuorum;
  auto put = client->Put("big", mb, Context(), quorum);
  INFO(put.status().ToString());
  REQUIRE(put.ok());
  auto got = client->Get("big", quorum);
  REQUIRE(got.ok());
  REQUIRE(got->values == std::vector<std::string>{mb});
  RequestOptions all;
  all.level = Consistency::kAll;
  auto everywhere = client->Get("big", all);
  REQUIRE(everywhere.ok());
  REQUIRE(everywhere->values == std::vector<std::string>{mb});
}

TEST_CASE("last-writer-wins mode keeps only the newest of concurrent writes") {
  auto cluster = StartCluster();
  auto a = ConnectQuick(*cluster);
  auto b = ConnectQuick(*cluster);
  NamespaceSettings lww;  // the conflict mode is the namespace's, here the default one's
  lww.conflict = ConflictMode::kLastWriterWins;
  REQUIRE(a->AlterNamespace("default", lww).ok());
  REQUIRE(Eventually(std::chrono::seconds(30), [&] {
    for (int i = 0; i < cluster->size(); ++i) {
      auto list = a->ListNamespaces(cluster->id(i));
      if (!list.ok() || list->empty() || list->front().settings != lww) return false;  // "default" is the only one
    }
    return b->RefreshRing().ok();
  }));
  REQUIRE(a->Put("lww", "first").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a stamp apart: the order is the clocks'
  REQUIRE(b->Put("lww", "second").ok());                      // blind write, no context: would be a sibling outside LWW
  RequestOptions all;
  all.level = Consistency::kAll;
  auto got = a->Get("lww", all);
  REQUIRE(got.ok());
  REQUIRE(got->values == std::vector<std::string>{"second"});
}

TEST_CASE("a delete hides the key and a client of another cluster is refused") {
  auto cluster = StartCluster();
  auto client = ConnectQuick(*cluster);
  REQUIRE(client->Put("gone", "v").ok());
  auto seen = client->Get("gone");
  REQUIRE(client->Delete("gone", seen->context).ok());
  auto got = client->Get("gone");
  REQUIRE(got.ok());
  REQUIRE_FALSE(got->found);

  ClientOptions other;
  other.cluster_name = "someone-elses-cluster";
  auto wrong = cluster->Connect(other);
  REQUIRE_FALSE(wrong.ok());
  REQUIRE_THAT(wrong.status().message(), Catch::Contains("wrong cluster"));
}

TEST_CASE("a node refuses a data directory that belongs to another node") {
  auto cluster = StartCluster();
  REQUIRE(cluster->Stop(0).ok());
  std::string log_before = cluster->kvnode_log(0);
  // Start a process with node2's id on node1's data directory: it must refuse.
  std::string cmd = std::string(RINGKV_KVNODE_PATH) + " --id intruder --listen 127.0.0.1:1 --data " +
                    cluster->data_dir(0) + " --cluster-name test-cluster";
  auto run = ringkv::testing::RunCommand(cmd);
  REQUIRE(run.exit_code != 0);
  REQUIRE_THAT(run.output, Catch::Contains("belongs to node 'node1'") && Catch::Contains("refusing"));
}

TEST_CASE("one client is shared safely by many application threads, sync and async") {
  auto cluster = StartCluster();
  auto client = ConnectQuick(*cluster);
  constexpr int kThreads = 8, kOps = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        bool ok = (t % 2 == 0) ? client->Put(key, "v").ok() : client->PutAsync(key, "v").get().ok();
        auto got = client->Get(key);
        if (!ok || !got.ok() || got->values != std::vector<std::string>{"v"}) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(failures.load() == 0);
}
