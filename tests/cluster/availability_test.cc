// Availability under faults (issue 15): the client learns that a node is paused or cut off
// from its connection's health checks (capnp/connection_pool.h) and stops waiting on it —
// reads whose quorum is unreachable fail at once with QuorumNotReached instead of waiting
// for their timeout, and writes go to the reachable nodes (sloppy quorum, hints) — and
// after a heal it talks to the node again on a fresh connection.

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/partition.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;

namespace {

// A key whose N=3 replicas satisfy `fits` (ids as Client::PreferenceList gives them).
template <typename Fits>
std::string KeyWhere(Client& client, const std::string& prefix, Fits fits) {
  for (int i = 0; i < 10000; ++i) {
    std::string key = prefix + std::to_string(i);
    if (fits(client.PreferenceList(key, 3))) return key;
  }
  std::string example;
  for (const auto& id : client.PreferenceList(prefix + "0", 3)) example += id + " ";
  FAIL("no key with the replicas wanted among 10000 (" << prefix << "0 is on " << example << ")");
  return "";
}

bool Has(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Keys that need the other side of a {node1, node2} | {node3, node4, node5} split: from
// node1's side, the primary and exactly two replicas are across (one replica reachable: a
// quorum read is QuorumNotReached; with none reachable it would be Unavailable); from the
// other side, the primary and two replicas are node1 and node2.
bool FarFromA(const std::vector<std::string>& r) {
  return r.size() == 3 && r[0] != "node1" && r[0] != "node2" && (Has(r, "node1") + Has(r, "node2")) == 1;
}
bool FarFromB(const std::vector<std::string>& r) {
  return r.size() == 3 && (r[0] == "node1" || r[0] == "node2") && Has(r, "node1") && Has(r, "node2");
}
// Keys with every replica across the split from node1's side.
bool AllFarFromA(const std::vector<std::string>& r) { return r.size() == 3 && !Has(r, "node1") && !Has(r, "node2"); }

}  // namespace

TEST_CASE(
    "a read whose R replicas are paused fails with QuorumNotReached naming them unreachable, not at its timeout") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  RequestOptions all;
  all.level = Consistency::kAll;
  REQUIRE(client->Put("k", "v", {}, all).ok());
  REQUIRE(cluster->Pause(1).ok());
  REQUIRE(cluster->Pause(2).ok());
  RequestOptions patient;
  patient.timeout = 20s;  // far beyond the health check: only its verdict can end the read early
  auto got = client->Get("k", patient);
  auto again = client->Get("k", patient);  // known unreachable now: fails at once
  REQUIRE(cluster->Resume(1).ok());
  REQUIRE(cluster->Resume(2).ok());
  REQUIRE_FALSE(got.ok());
  INFO(got.status().ToString());
  CHECK(got.status().IsQuorumNotReached());
  CHECK(got.status().needed() == 2);
  CHECK_THAT(got.status().message(), Catch::Contains(cluster->id(1)) && Catch::Contains(cluster->id(2)));
  REQUIRE_FALSE(again.ok());
  INFO(again.status().ToString());
  CHECK(again.status().IsQuorumNotReached());
  CHECK_THAT(again.status().message(), Catch::Contains("unreachable"));
  // Resumed: the client's probes find the nodes again and reads succeed.
  CHECK(Eventually(15s, [&] {
    auto r = client->Get("k");
    return r.ok() && r->values == std::vector<std::string>{"v"};
  }));
}

TEST_CASE(
    "during a 2|3 split each side's puts are acknowledged through hints without waiting on the other side, and "
    "reads needing it fail fast, without a retry") {
  auto cluster = StartCluster(FastCluster(5));
  ClientOptions a_options, b_options;
  a_options.bind_host = "127.0.0.101";  // with node1 and node2
  b_options.bind_host = "127.0.0.102";  // with node3, node4 and node5
  // A slow moment of a reachable node must not count as a fault here: only the health
  // checks may turn a node away (and they wait as long, so they are slow but sure).
  a_options.replica_timeout = b_options.replica_timeout = 2s;
  auto a = ConnectTo(*cluster, a_options);
  auto b = ConnectTo(*cluster, b_options);
  // Both clients hold the settled ring (five members, none still joining) before keys are
  // picked by it.
  auto settled = [](Client& c) {
    auto members = c.Members();
    return AllMembersUp(c) && members.size() == 5 &&
           std::all_of(members.begin(), members.end(), [](const RingMember& m) { return m.state == "normal"; });
  };
  REQUIRE(Eventually(20s, [&] { return settled(*a) && settled(*b) && a->RingVersion() == b->RingVersion(); }));
  REQUIRE(cluster->id(0) == "node1");
  REQUIRE(cluster->id(1) == "node2");
  std::string far_from_a = KeyWhere(*a, "far-a-", FarFromA);
  std::string far_from_b = KeyWhere(*b, "far-b-", FarFromB);
  std::string all_far_from_a = KeyWhere(*a, "all-far-a-", AllFarFromA);
  RequestOptions all;
  all.level = Consistency::kAll;
  REQUIRE(b->Put(far_from_a, "before", {}, all).ok());
  REQUIRE(b->Put(far_from_b, "before", {}, all).ok());

  {
    auto partition = Partition::Create({"127.0.0.1", "127.0.0.2", "127.0.0.101"},
                                       {"127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.102"});
    REQUIRE(partition.ok());  // fails loudly without root or iptables
    RequestOptions patient;
    patient.timeout = 30s;  // far beyond the health check: only its verdict can end the read early
    for (auto [client, key] : {std::pair{a.get(), far_from_a}, std::pair{b.get(), far_from_b}}) {
      auto got = client->Get(key, patient);
      REQUIRE_FALSE(got.ok());
      INFO(got.status().ToString());
      CHECK(got.status().IsQuorumNotReached());
    }
    // None of its replicas reachable: Unavailable, and not retried either (a retry would
    // fail the same way; a cart writer's read waited ~20 ms of backoff for it).
    uint64_t retries = a->Metrics().of(ClientOp::kGet).retries;
    auto none = a->Get(all_far_from_a, patient);
    REQUIRE_FALSE(none.ok());
    INFO(none.status().ToString());
    CHECK(none.status().IsUnavailable());
    CHECK(a->Metrics().of(ClientOp::kGet).retries == retries);
    // Known unreachable: a put whose primary is across the split is coordinated on this
    // side at once (before, the unreachable primary was tried first and waited on for the
    // whole replica timeout, here the request's).
    for (int i = 0; i < 10; ++i) {
      std::string prefix = "split-" + std::to_string(i) + "-";
      auto pa = a->Put(KeyWhere(*a, prefix, FarFromA), "a");
      INFO(pa.status().ToString());
      REQUIRE(pa.ok());
      CHECK(pa->acks >= 2);
      auto pb = b->Put(KeyWhere(*b, prefix, FarFromB), "b");
      INFO(pb.status().ToString());
      REQUIRE(pb.ok());
      CHECK(pb->acks >= 2);
    }
    REQUIRE(partition->Heal().ok());
  }
  // Healed: both clients reach the other side again (on fresh connections).
  CHECK(Eventually(15s, [&] { return a->Get(far_from_a).ok(); }));
  CHECK(Eventually(15s, [&] { return b->Get(far_from_b).ok(); }));
}
