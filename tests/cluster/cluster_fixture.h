#pragma once
// Catch 2 helpers for cluster tests: start a LocalCluster or connect a client, or fail the
// test case there with the reason.

#include <catch2/catch.hpp>

#include <memory>
#include <utility>

#include "tests/cluster/local_cluster.h"

namespace ringkv::testing {

inline std::unique_ptr<LocalCluster> StartCluster(LocalClusterOptions options = {}) {
  auto cluster = LocalCluster::Start(std::move(options));
  INFO(cluster.status().ToString());
  REQUIRE(cluster.ok());
  return std::move(cluster).value();
}

inline std::unique_ptr<Client> ConnectTo(const LocalCluster& cluster, ClientOptions options = {}) {
  auto client = cluster.Connect(std::move(options));
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  return std::move(client).value();
}

}  // namespace ringkv::testing
