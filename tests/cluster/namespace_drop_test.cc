// Dropping a namespace on real nodes: its data is deleted on every node (one that was down
// included, once it is back), compaction gives the space back, hints held for it are
// discarded, and a namespace re-created under the name starts empty. And the conflict mode
// as a namespace setting: no client can choose another one.

#include <catch2/catch.hpp>

#include <filesystem>

#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/local_cluster.h"

using namespace ringkv;
using ringkv::testing::ConnectTo;
using ringkv::testing::Eventually;
using ringkv::testing::FastCluster;
using ringkv::testing::LocalCluster;
using ringkv::testing::StartCluster;

namespace {

constexpr auto kSpread = std::chrono::seconds(30);

RequestOptions In(const std::string& ns, std::optional<Consistency> level = std::nullopt) {
  RequestOptions o;
  o.ns = ns;
  o.level = level;
  return o;
}

// Bytes of the tables and blob files in node i's engine directory.
uint64_t TableAndBlobBytes(const LocalCluster& cluster, int i) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(cluster.data_dir(i) + "/engine", ec)) {
    auto ext = e.path().extension();
    if (ext == ".sst" || ext == ".blob") bytes += e.file_size(ec);
  }
  return bytes;
}

// The value of one metric (name with labels) on node i; -1 when it cannot be read.
double Stat(Client& client, const LocalCluster& cluster, int i, const std::string& name) {
  auto stats = client.NodeStats(cluster.id(i));
  if (!stats.ok()) return -1;
  for (const NodeStat& s : *stats) {
    if (s.name == name) return s.value;
  }
  return 0;
}

bool NoNodeKnows(Client& client, const LocalCluster& cluster, const std::string& name) {
  for (int i = 0; i < cluster.size(); ++i) {
    if (!cluster.IsRunning(i)) continue;
    auto list = client.ListNamespaces(cluster.id(i));
    if (!list.ok()) return false;
    for (const NamespaceInfo& ns : *list) {
      if (ns.name == name) return false;
    }
  }
  return true;
}

bool EveryNodeKnows(Client& client, const LocalCluster& cluster, const std::string& name,
                    const NamespaceSettings& settings) {
  for (int i = 0; i < cluster.size(); ++i) {
    auto list = client.ListNamespaces(cluster.id(i));
    if (!list.ok()) return false;
    bool known = false;
    for (const NamespaceInfo& ns : *list) known = known || (ns.name == name && ns.settings == settings);
    if (!known) return false;
  }
  return true;
}

std::string Erased(const std::string& ns) { return "namespace_erased_keys_total{namespace=\"" + ns + "\"}"; }

}  // namespace

TEST_CASE("dropping a namespace deletes its keys on every node and compaction gives the space back") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  uint64_t before = 0;
  for (int i = 0; i < cluster->size(); ++i) before += TableAndBlobBytes(*cluster, i);

  REQUIRE(client->CreateNamespace("tmp", {}).ok());
  REQUIRE(Eventually(kSpread, [&] { return EveryNodeKnows(*client, *cluster, "tmp", {}); }));
  constexpr int kKeys = 3000;
  const std::string small(100, 's'), large(64 << 10, 'L');  // large ones go to blob files
  for (int k = 0; k < kKeys; ++k) {
    auto put = client->Put("k" + std::to_string(k), k % 100 == 0 ? large : small, {}, In("tmp", Consistency::kAll));
    INFO(put.status().ToString());
    REQUIRE(put.ok());
  }
  // A clean restart flushes each node's memtable: the namespace is in tables and blob files.
  for (int i = 0; i < cluster->size(); ++i) {
    REQUIRE(cluster->Stop(i).ok());
    REQUIRE(cluster->Restart(i).ok());
  }
  client = ConnectTo(*cluster);
  uint64_t with_namespace = 0;
  for (int i = 0; i < cluster->size(); ++i) with_namespace += TableAndBlobBytes(*cluster, i);
  REQUIRE(with_namespace > before + 3 * 30 * (64u << 10));  // 30 large values on each of 3 nodes

  REQUIRE(client->DropNamespace("tmp").ok());
  // Each node (N=3 of 3: all hold every key) deletes all of them, then compacts.
  CHECK(Eventually(kSpread, [&] {
    for (int i = 0; i < cluster->size(); ++i) {
      if (Stat(*client, *cluster, i, Erased("tmp")) != kKeys) return false;
      if (Stat(*client, *cluster, i, "namespace_drops_pending") != 0) return false;
    }
    return true;
  }));
  uint64_t after = 0;
  for (int i = 0; i < cluster->size(); ++i) after += TableAndBlobBytes(*cluster, i);
  INFO("table+blob bytes: " << before << " before the namespace, " << with_namespace << " with it, " << after
                            << " after the drop");
  CHECK(after <= before + 64 * 1024);

  REQUIRE(client->CreateNamespace("tmp", {}).ok());
  REQUIRE(Eventually(kSpread, [&] { return EveryNodeKnows(*client, *cluster, "tmp", {}); }));
  for (int k : {0, 1, 100, kKeys - 1}) {
    auto got = client->Get("k" + std::to_string(k), In("tmp", Consistency::kAll));
    REQUIRE(got.ok());
    CHECK_FALSE(got->found);
  }
}

TEST_CASE("a node down during a drop deletes the namespace once back, and hints held for it are not delivered") {
  auto cluster = StartCluster(FastCluster(4));
  auto client = ConnectTo(*cluster);
  REQUIRE(client->CreateNamespace("tmp", {}).ok());
  REQUIRE(Eventually(kSpread, [&] { return EveryNodeKnows(*client, *cluster, "tmp", {}); }));
  for (int k = 0; k < 200; ++k) REQUIRE(client->Put("before" + std::to_string(k), "v", {}, In("tmp")).ok());

  REQUIRE(cluster->Stop(2).ok());
  // Writes for node 2's keys now go to another node as hints for it.
  auto stored = [&] {
    double n = 0;
    for (int i = 0; i < cluster->size(); ++i) n += i == 2 ? 0 : Stat(*client, *cluster, i, "hints_stored_total");
    return n;
  };
  for (int k = 0; k < 200; ++k) REQUIRE(client->Put("during" + std::to_string(k), "v", {}, In("tmp")).ok());
  REQUIRE(Eventually(kSpread, [&] { return stored() > 0; }));

  REQUIRE(client->DropNamespace("tmp").ok());
  REQUIRE(Eventually(kSpread, [&] { return NoNodeKnows(*client, *cluster, "tmp"); }));  // the live ones
  REQUIRE(cluster->Restart(2).ok());

  auto settled = [&] {
    for (int i = 0; i < cluster->size(); ++i) {
      if (Stat(*client, *cluster, i, "namespace_drops_pending") != 0) return false;
      if (Stat(*client, *cluster, i, "hints_queued_total") != 0) return false;
    }
    return NoNodeKnows(*client, *cluster, "tmp");
  };
  REQUIRE(Eventually(kSpread, settled));
  // Node 2 held about 3/4 of the keys written before it stopped, and deleted them.
  CHECK(Stat(*client, *cluster, 2, Erased("tmp")) > 50);
  double discarded = 0, delivered = 0;
  for (int i = 0; i < cluster->size(); ++i) {
    discarded += Stat(*client, *cluster, i, "hints_dropped_total{reason=\"namespace_dropped\"}");
    delivered += Stat(*client, *cluster, i, "hints_delivered_total");
  }
  CHECK(discarded > 0);
  CHECK(delivered == 0);
}

TEST_CASE("the conflict mode is the namespace's: a client cannot write one key under another rule") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  NamespaceSettings lww;
  lww.conflict = ConflictMode::kLastWriterWins;
  REQUIRE(client->CreateNamespace("carts", lww).ok());
  REQUIRE(Eventually(kSpread, [&] { return EveryNodeKnows(*client, *cluster, "carts", lww); }));

  // Two clients, blind concurrent writes: the lww namespace keeps one value, the default
  // (siblings) namespace keeps both, whatever the clients are (no option chooses the rule).
  auto other = ConnectTo(*cluster);
  auto all = [](const std::string& ns) { return In(ns, Consistency::kAll); };
  for (const std::string ns : {"carts", "default"}) {
    REQUIRE(client->Put("k", "first", {}, all(ns)).ok());
    REQUIRE(other->Put("k", "second", {}, all(ns)).ok());
  }
  auto carts = client->Get("k", all("carts"));
  REQUIRE(carts.ok());
  CHECK(carts->values == std::vector<std::string>{"second"});
  auto def = other->Get("k", all("default"));
  REQUIRE(def.ok());
  CHECK(def->values.size() == 2);
}

TEST_CASE("an lww namespace resolves concurrent writes to one value through hints and Merkle repair") {
  auto cluster = StartCluster(FastCluster(4));
  auto client = ConnectTo(*cluster);
  NamespaceSettings lww;
  lww.conflict = ConflictMode::kLastWriterWins;
  REQUIRE(client->CreateNamespace("carts", lww).ok());
  REQUIRE(Eventually(kSpread, [&] { return EveryNodeKnows(*client, *cluster, "carts", lww); }));

  // Concurrent blind writes while one replica is down: it gets them as hints, later.
  REQUIRE(cluster->Stop(1).ok());
  auto other = ConnectTo(*cluster);
  for (int k = 0; k < 20; ++k) {
    REQUIRE(client->Put("h" + std::to_string(k), "first", {}, In("carts")).ok());
    REQUIRE(other->Put("h" + std::to_string(k), "second", {}, In("carts")).ok());
  }
  REQUIRE(cluster->Restart(1).ok());
  // Every replica, the one that got hints included, holds one value per key; a read at
  // ALL that would repair finds nothing else.
  REQUIRE(Eventually(kSpread, [&] {
    for (int i = 0; i < cluster->size(); ++i) {
      if (Stat(*client, *cluster, i, "hints_queued_total") != 0) return false;
    }
    return true;
  }));
  for (int i = 0; i < cluster->size(); ++i) {
    auto report = client->Repair(cluster->id(i));
    INFO(report.status().ToString());
    REQUIRE(report.ok());
  }
  for (int k = 0; k < 20; ++k) {
    auto got = client->Get("h" + std::to_string(k), In("carts", Consistency::kAll));
    REQUIRE(got.ok());
    CHECK(got->values == std::vector<std::string>{"second"});
  }
}
