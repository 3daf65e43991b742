// The client's threading contract against real nodes: application threads and the
// client's own event-loop thread (where callbacks run), and what crosses between them.

#include <catch2/catch.hpp>
#include <atomic>
#include <future>
#include <thread>

#include "tests/cluster/local_cluster.h"

using namespace ringkv;
using ringkv::testing::LocalCluster;
using ringkv::testing::LocalClusterOptions;

namespace {

std::unique_ptr<LocalCluster> StartCluster(LocalClusterOptions options = {}) {
  auto c = LocalCluster::Start(std::move(options));
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return std::move(c).value();
}

}  // namespace

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
