// The namespace catalog on real nodes: changes through the SDK's admin calls, spread by
// gossip, kept across restarts, and bad input refused with nothing changed.

#include <catch2/catch.hpp>

#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/local_cluster.h"
#include "tests/cluster/partition.h"

using namespace ringkv;
using ringkv::testing::ConnectTo;
using ringkv::testing::Eventually;
using ringkv::testing::LocalCluster;
using ringkv::testing::Partition;
using ringkv::testing::StartCluster;

namespace {

constexpr auto kSpread = std::chrono::seconds(20);  // gossip rounds are 200 ms in tests

NamespaceSettings Carts() {
  NamespaceSettings s;
  s.conflict = ConflictMode::kLastWriterWins;
  s.default_ttl_s = 3600;
  s.max_value_bytes = 4096;
  return s;
}

// The settings of `name` as node `i` knows it, if it does.
std::optional<NamespaceSettings> KnownBy(Client& client, const LocalCluster& cluster, int i, const std::string& name) {
  auto list = client.ListNamespaces(cluster.id(i));
  if (!list.ok()) return std::nullopt;
  for (const NamespaceInfo& info : *list) {
    if (info.name == name) return info.settings;
  }
  return std::nullopt;
}

bool EveryNodeKnows(Client& client, const LocalCluster& cluster, const std::string& name,
                    const NamespaceSettings& settings) {
  for (int i = 0; i < cluster.size(); ++i) {
    if (KnownBy(client, cluster, i, name) != settings) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("a namespace created through one node reaches every node by gossip and survives a restart of all") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  REQUIRE(client->CreateNamespace("carts", Carts()).ok());
  CHECK(Eventually(kSpread, [&] { return EveryNodeKnows(*client, *cluster, "carts", Carts()); }));

  NamespaceSettings altered = Carts();
  altered.default_ttl_s = 60;
  REQUIRE(client->AlterNamespace("carts", altered).ok());
  CHECK(Eventually(kSpread, [&] { return EveryNodeKnows(*client, *cluster, "carts", altered); }));

  // Every node stopped, then one started alone: it has the catalog from its own disk.
  for (int i = 0; i < cluster->size(); ++i) REQUIRE(cluster->Stop(i).ok());
  REQUIRE(cluster->Restart(1).ok());
  auto alone = ConnectTo(*cluster);
  CHECK(KnownBy(*alone, *cluster, 1, "carts") == altered);
  CHECK(KnownBy(*alone, *cluster, 1, "default").has_value());
}

TEST_CASE("a dropped namespace disappears from every node, one down during the drop included") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  REQUIRE(client->CreateNamespace("sessions", {}).ok());
  REQUIRE(Eventually(kSpread, [&] { return EveryNodeKnows(*client, *cluster, "sessions", {}); }));
  REQUIRE(cluster->Stop(2).ok());
  REQUIRE(client->DropNamespace("sessions").ok());
  auto forgotten = [&] {
    for (int i = 0; i < cluster->size(); ++i) {
      if (!client->ListNamespaces(cluster->id(i)).ok() || KnownBy(*client, *cluster, i, "sessions")) return false;
    }
    return true;
  };
  // Node 2 comes back with "sessions" live in its own file; gossip brings it the drop.
  REQUIRE(cluster->Restart(2).ok());
  CHECK(Eventually(kSpread, forgotten));
  // The name can be used again, with new settings.
  CHECK(client->CreateNamespace("sessions", Carts()).ok());
  CHECK(Eventually(kSpread, [&] { return EveryNodeKnows(*client, *cluster, "sessions", Carts()); }));
}

TEST_CASE("bad namespace changes get a clear error and change nothing") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  REQUIRE(client->CreateNamespace("carts", {}).ok());
  auto refused = [&](Status s, std::string_view words) {
    INFO(s.ToString());
    CHECK_FALSE(s.ok());
    CHECK(s.message().find(words) != std::string::npos);
  };
  refused(client->CreateNamespace("Carts!", {}), "namespace name");
  NamespaceSettings bad;
  bad.w = 5;
  refused(client->CreateNamespace("orders", bad), "w is 5");
  refused(client->CreateNamespace("carts", {}), "already exists");
  NamespaceSettings five;
  five.n = 5;
  five.w = five.r = 3;
  refused(client->AlterNamespace("carts", five), "cannot change");
  refused(client->AlterNamespace("missing", {}), "does not exist");
  refused(client->DropNamespace("missing"), "does not exist");
  refused(client->DropNamespace("default"), "cannot be dropped");

  auto list = client->ListNamespaces(cluster->id(0));
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].name == "carts");
  CHECK((*list)[0].settings == NamespaceSettings{});
  CHECK((*list)[1].name == "default");
}

TEST_CASE("a key lives in its namespace: the same key in three namespaces holds three values") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  REQUIRE(client->CreateNamespace("carts", Carts()).ok());
  REQUIRE(client->CreateNamespace("users", {}).ok());
  RequestOptions carts, users;
  carts.ns = "carts";
  users.ns = "users";
  // The creating client uses a namespace at once; its puts are not waiting for gossip.
  REQUIRE(client->Put("k", "plain").ok());
  REQUIRE(client->Put("k", "cart", {}, carts).ok());
  REQUIRE(client->Put("k", "user", {}, users).ok());
  for (auto [options, want] : {std::pair{RequestOptions{}, "plain"}, {carts, "cart"}, {users, "user"}}) {
    options.level = Consistency::kAll;
    auto got = client->Get("k", options);
    REQUIRE(got.ok());
    CHECK(got->values == std::vector<std::string>{want});
  }
  // Deleting in one namespace leaves the others alone.
  REQUIRE(client->Delete("k", {}, carts).ok());
  CHECK_FALSE(client->Get("k", carts)->found);
  CHECK(client->Get("k", users)->values == std::vector<std::string>{"user"});
  CHECK(client->Get("k")->values == std::vector<std::string>{"plain"});
}

TEST_CASE(
    "a namespace's conflict mode decides: concurrent writes are siblings in one and the newest wins in the other") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  REQUIRE(client->CreateNamespace("carts", Carts()).ok());  // lww
  REQUIRE(client->CreateNamespace("users", {}).ok());       // siblings
  for (std::string ns : {"carts", "users"}) {
    RequestOptions o;
    o.ns = ns;
    o.level = Consistency::kAll;
    REQUIRE(client->Put("k", "first", {}, o).ok());  // both without a context: concurrent
    REQUIRE(client->Put("k", "second", {}, o).ok());
    auto got = client->Get("k", o);
    INFO(ns << ": " << got.status().ToString());
    REQUIRE(got.ok());
    if (ns == "carts") {
      CHECK(got->values == std::vector<std::string>{"second"});
    } else {
      CHECK(got->values.size() == 2);
    }
  }
}

TEST_CASE(
    "requests naming an unknown namespace, a value over its limit or a reserved key are refused, nothing written") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  NamespaceSettings small;
  small.max_value_bytes = 16;
  REQUIRE(client->CreateNamespace("small", small).ok());
  RequestOptions o;
  o.ns = "small";
  auto big = client->Put("k", std::string(17, 'v'), {}, o);
  CHECK(big.status().IsInvalidArgument());
  CHECK(big.status().message().find("namespace 'small' allows at most 16") != std::string::npos);
  CHECK(client->Put("k", std::string(16, 'v'), {}, o).ok());
  CHECK(client->Get("k", o)->values == std::vector<std::string>{std::string(16, 'v')});

  RequestOptions unknown;
  unknown.ns = "nowhere";
  auto put = client->Put("k", "v", {}, unknown);
  CHECK(put.status().IsInvalidArgument());
  CHECK(put.status().message().find("'nowhere' does not exist") != std::string::npos);
  CHECK(client->Get("k", unknown).status().IsInvalidArgument());
  RequestOptions bad_name;
  bad_name.ns = "No Such";
  CHECK(client->Get("k", bad_name).status().IsInvalidArgument());
  CHECK(client->Put(std::string("\x00\xFFsmall", 7), "v").status().IsInvalidArgument());
}

TEST_CASE("another client learns a namespace from the ring, and a re-created namespace starts empty") {
  auto cluster = StartCluster();
  auto creator = ConnectTo(*cluster);
  REQUIRE(creator->CreateNamespace("tmp", {}).ok());
  RequestOptions o;
  o.ns = "tmp";
  o.level = Consistency::kAll;
  REQUIRE(creator->Put("k", "old", {}, o).ok());
  REQUIRE(Eventually(kSpread, [&] { return EveryNodeKnows(*creator, *cluster, "tmp", {}); }));
  auto other = ConnectTo(*cluster);
  auto seen = other->Get("k", o);
  REQUIRE(seen.ok());
  CHECK(seen->values == std::vector<std::string>{"old"});

  REQUIRE(creator->DropNamespace("tmp").ok());
  CHECK(creator->Get("k", o).status().IsInvalidArgument());
  Status recreated = creator->CreateNamespace("tmp", {});
  INFO(recreated.ToString());
  REQUIRE(recreated.ok());
  auto fresh = creator->Get("k", o);
  REQUIRE(fresh.ok());
  CHECK_FALSE(fresh->found);  // the old incarnation's data is not the new namespace's
}

TEST_CASE("a client whose seed has not heard of a namespace yet asks the other nodes before calling it unknown") {
  // A fresh client gets its catalog from its seed; gossip may not have brought it a
  // namespace created a moment before through another node.
  auto cluster = StartCluster();
  auto cut = Partition::Create({"127.0.0.1", "127.0.0.2"}, {"127.0.0.3"});  // node3 hears of nothing
  REQUIRE(cut.ok());
  ClientOptions on_node1;
  on_node1.bind_host = "127.0.0.1";  // cut off from node3 too: the change is made through node1 or node2
  auto creator = ConnectTo(*cluster, on_node1);
  REQUIRE(creator->CreateNamespace("late", {}).ok());
  ClientOptions seeded_by_node3;
  seeded_by_node3.bind_host = "127.0.0.104";
  seeded_by_node3.seeds = {cluster->address(2)};
  auto late = ConnectTo(*cluster, seeded_by_node3);
  auto on_node3 = late->ListNamespaces(cluster->id(2));
  REQUIRE(on_node3.ok());
  for (const NamespaceInfo& info : *on_node3) REQUIRE(info.name != "late");

  RequestOptions o;
  o.ns = "late";
  auto put = late->Put("k", "v", {}, o);
  INFO(put.status().ToString());
  REQUIRE(put.ok());
  auto got = late->Get("k", o);
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"v"});
  o.ns = "never-made";
  Status unknown = late->Put("k", "v", {}, o).status();
  CHECK(unknown.IsInvalidArgument());
  CHECK_THAT(unknown.message(), Catch::Contains("namespace 'never-made' does not exist"));
}

TEST_CASE("the nodes apply a namespace's conflict mode: the default namespace altered to lww has no siblings") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  RequestOptions all;
  all.level = Consistency::kAll;
  REQUIRE(client->Put("before", "first", {}, all).ok());
  REQUIRE(client->Put("before", "second", {}, all).ok());
  CHECK(client->Get("before", all)->values.size() == 2);  // siblings, as the default namespace had

  NamespaceSettings lww;
  lww.conflict = ConflictMode::kLastWriterWins;
  REQUIRE(client->AlterNamespace("default", lww).ok());
  REQUIRE(Eventually(kSpread, [&] { return EveryNodeKnows(*client, *cluster, "default", lww); }));
  REQUIRE(client->Put("after", "first", {}, all).ok());
  REQUIRE(client->Put("after", "second", {}, all).ok());
  auto got = client->Get("after", all);
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"second"});
}

TEST_CASE("a node that joins later learns the namespaces by gossip") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  REQUIRE(client->CreateNamespace("carts", Carts()).ok());
  auto joined = cluster->AddJoiningNode();
  REQUIRE(joined.ok());
  CHECK(Eventually(kSpread, [&] {
    (void)client->RefreshRing();  // the client learns the new member's address
    return KnownBy(*client, *cluster, *joined, "carts") == Carts();
  }));
}
