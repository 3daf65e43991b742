// The client's threading contract against real nodes: application threads and the
// client's own event-loop thread (where callbacks run), and what crosses between them.

#include <dirent.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/local_cluster.h"

using namespace ringkv;
using ringkv::testing::ConnectTo;
using ringkv::testing::Eventually;
using ringkv::testing::LocalCluster;
using ringkv::testing::LocalClusterOptions;
using ringkv::testing::StartCluster;

namespace {}  // namespace

// The cluster name a client learns from the ring used to be written into the client's
// options on the loop thread at every ring install (when it was empty) while application
// threads read it unlocked to stamp each request. It now lives with the ring, under the
// ring's lock (clang's -Wthread-safety checks every access).
TEST_CASE("a client that learns its cluster name from the ring serves many threads while rings are installed") {
  LocalClusterOptions options;
  options.cluster_name = "";  // the nodes' rings carry no name: every install re-learns it
  auto cluster = StartCluster(options);
  ClientOptions client_options;
  for (int i = 0; i < cluster->size(); ++i) client_options.seeds.push_back(cluster->address(i));
  client_options.ring_refresh = std::chrono::milliseconds(1);  // the loop installs rings all the time
  auto connected = Client::Connect(client_options);
  REQUIRE(connected.ok());
  auto client = std::move(connected).value();

  std::atomic<bool> stop{false};
  std::atomic<int> refreshes{0};
  std::thread refresher([&] {
    while (!stop.load()) {
      if (client->RefreshRing().ok()) refreshes.fetch_add(1);
    }
  });
  constexpr int kThreads = 4, kOps = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        std::string key = "race-" + std::to_string(t) + "-" + std::to_string(i);
        if (!client->Put(key, "v").ok()) failures.fetch_add(1);
        auto got = client->GetAsync(key).get();
        if (!got.ok() || got->values != std::vector<std::string>{"v"}) failures.fetch_add(1);
        if (!client->NodeStats(cluster->id(i % cluster->size())).ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  stop = true;
  refresher.join();
  CHECK(refreshes.load() > 0);
  REQUIRE(failures.load() == 0);
}

// A callback runs on the client's loop thread; a sync call made there would wait for that
// same loop. It used to throw out of the callback (a KJ "executeSync() on own thread"
// exception that was then dropped, so the app never heard back); now every sync call
// returns InvalidArgument at once, and the async forms work from a callback.
TEST_CASE("a sync call made inside a callback returns a clear error instead of waiting on itself") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  REQUIRE(client->Put("k", "v").ok());

  struct Seen {  // no Catch2 macros on the loop thread: the callback records, the test checks
    Status first, get, put, del, refresh, stats, repair, decommission, remove;
  };
  std::promise<Seen> seen;
  auto result = seen.get_future();
  client->GetAsync("k", {}, [&](Result<GetResult> first) {
    Seen s;
    s.first = first.status();
    s.get = client->Get("k").status();
    s.put = client->Put("k", "w").status();
    s.del = client->Delete("k").status();
    s.refresh = client->RefreshRing();
    s.stats = client->NodeStats(cluster->id(0)).status();
    s.repair = client->Repair(cluster->id(0)).status();
    s.decommission = client->Decommission(cluster->id(0));
    s.remove = client->RemoveNode(cluster->id(0));
    seen.set_value(s);
  });
  REQUIRE(result.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  Seen s = result.get();
  REQUIRE(s.first.ok());
  for (const Status& st : {s.get, s.put, s.del, s.refresh, s.stats, s.repair, s.decommission, s.remove}) {
    INFO(st.ToString());
    CHECK(st.IsInvalidArgument());
    CHECK_THAT(st.message(), Catch::Contains("callback") && Catch::Contains("async"));
  }
  // Nothing was written or removed by the refused calls, and the client still works.
  auto got = client->Get("k");
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"v"});
  CHECK(client->Members().size() == 3);
}

TEST_CASE("an async call made inside a callback completes") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  std::promise<Result<GetResult>> read;
  auto result = read.get_future();
  client->PutAsync("chain", "v1", {}, {}, [&](Result<PutResult> put) {
    if (!put.ok()) return read.set_value(put.status());
    client->GetAsync("chain", {}, [&](Result<GetResult> got) { read.set_value(std::move(got)); });
  });
  REQUIRE(result.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  auto got = result.get();
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"v1"});
}

namespace {
size_t ThreadsInProcess() {
  size_t n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}
}  // namespace

// Destroying a client joins its loop thread; from a callback (on that thread) the join
// used to throw std::system_error out of a destructor: std::terminate. Now the loop thread
// is detached and frees the client itself once the callback returns.
TEST_CASE("a client destroyed inside its own callback shuts down without joining itself") {
  auto cluster = StartCluster();
  size_t threads_before = ThreadsInProcess();
  auto client = ConnectTo(*cluster);
  REQUIRE(client->Put("k", "v").ok());
  REQUIRE(ThreadsInProcess() > threads_before);

  std::promise<bool> destroyed;
  auto result = destroyed.get_future();
  Client* raw = client.release();
  raw->GetAsync("k", {}, [&](Result<GetResult> got) {
    bool ok = got.ok();
    delete raw;  // the last use of the client: its loop ends after this callback returns
    destroyed.set_value(ok);
  });
  REQUIRE(result.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  CHECK(result.get());
  // The loop thread ends by itself.
  REQUIRE(Eventually(std::chrono::seconds(10), [&] { return ThreadsInProcess() == threads_before; }));
  // A new client of the same cluster works as before.
  auto again = ConnectTo(*cluster);
  REQUIRE(again->Get("k").ok());
}
