// CRDT values through CrdtClient on real processes: concurrent writers through different
// clients converge without losing an update, a partition's two sides merge after the heal
// (hinted handoff and repair bring every replica to the same state, and an add on one side
// survives a concurrent remove on the other), an increment whose put failed is carried by
// the next one instead of overlapping it, a delete stays deleted when the writer whose state
// it removed updates the key again, and an op on a value of another type writes nothing.

#include <algorithm>
#include <thread>

#include <catch2/catch.hpp>

#include "ringkv/crdt.h"
#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/partition.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;

namespace {

// A client that knows only node `i` as its seed (each writer starts from another node).
std::unique_ptr<Client> ClientOf(const LocalCluster& cluster, int i, ClientOptions options = {}) {
  options.seeds = {cluster.address(i)};
  return ConnectTo(cluster, std::move(options));
}

// What one replica holds for `key`, its siblings merged as T; NotFound if nothing.
template <typename T>
Result<T> OnReplica(const LocalCluster& cluster, int i, const std::string& key) {
  RINGKV_ASSIGN(std::vector<std::string> values, ReadReplicaDirectly(cluster.address(i), key));
  T merged;
  for (const std::string& v : values) {
    RINGKV_ASSIGN(T state, T::Decode(v));
    merged.Merge(state);
  }
  return merged;
}

}  // namespace

TEST_CASE("counters and sets written concurrently through different clients converge with every update") {
  auto cluster = StartCluster();
  constexpr int kWriters = 3, kOps = 20, kThreadsPerWriter = 2;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::unique_ptr<CrdtClient>> crdts;
  for (int i = 0; i < kWriters; ++i) {
    clients.push_back(ClientOf(*cluster, i));
    crdts.push_back(std::make_unique<CrdtClient>(*clients.back()));
  }
  // Two threads share each CrdtClient (so one actor updates the key from two threads).
  std::vector<std::thread> threads;
  std::vector<std::string> errors(kWriters * kThreadsPerWriter);
  for (int t = 0; t < kWriters * kThreadsPerWriter; ++t) {
    threads.emplace_back([&, t] {
      CrdtClient& crdt = *crdts[t / kThreadsPerWriter];
      for (int op = 0; op < kOps && errors[t].empty(); ++op) {
        auto inc = crdt.Increment("likes", 1);
        Status add = crdt.AddToSet("cart", {"item-" + std::to_string(t) + "-" + std::to_string(op)});
        if (!inc.ok()) errors[t] = inc.status().ToString();
        if (!add.ok()) errors[t] = add.ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const std::string& e : errors) REQUIRE(e.empty());

  RequestOptions all;
  all.level = Consistency::kAll;
  for (auto& crdt : crdts) {
    auto likes = crdt->GetCounter("likes", all);
    REQUIRE(likes.ok());
    CHECK(likes->Value() == kWriters * kThreadsPerWriter * kOps);
    auto cart = crdt->GetSet("cart", all);
    REQUIRE(cart.ok());
    CHECK(cart->size() == static_cast<size_t>(kWriters * kThreadsPerWriter * kOps));
  }
}

TEST_CASE("an op on a key of another type, or on a plain value, is InvalidArgument and writes nothing") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  CrdtClient crdt(*client);
  REQUIRE(client->Put("plain", "milk,eggs").ok());
  Status add = crdt.AddToSet("plain", {"bread"});
  REQUIRE(add.IsInvalidArgument());
  CHECK_THAT(add.message(), Catch::Contains("plain value"));
  REQUIRE(crdt.Increment("visits", 3).ok());
  Status wrong = crdt.AddToSet("visits", {"bread"});
  REQUIRE(wrong.IsInvalidArgument());
  CHECK_THAT(wrong.message(), Catch::Contains("a counter, not a set"));
  CHECK(crdt.GetSet("visits").status().IsInvalidArgument());
  CHECK(crdt.AddToSet("cart", {}).IsInvalidArgument());

  RequestOptions all;
  all.level = Consistency::kAll;
  auto plain = client->Get("plain", all);
  REQUIRE(plain.ok());
  CHECK(plain->values == std::vector<std::string>{"milk,eggs"});
  auto visits = client->Get("visits", all);
  REQUIRE(visits.ok());
  REQUIRE(visits->values.size() == 1);
  CHECK(PnCounter::Decode(visits->values[0]).value().Value() == 3);
}

TEST_CASE("an increment whose put failed is carried by the next one instead of overlapping it") {
  auto cluster = StartCluster(FastCluster());
  auto client = ClientOf(*cluster, 0);
  CrdtClient crdt(*client);
  RequestOptions all;
  all.level = Consistency::kAll;
  REQUIRE(crdt.Increment("hits", 1, all).ok());  // on every replica before 1 and 2 die
  // Only node 0 is up: the read (R=1) finds 1, the put lands there and fails (W=2): an
  // outcome the writer cannot know.
  REQUIRE(cluster->Kill(1).ok());
  REQUIRE(cluster->Kill(2).ok());
  RequestOptions r1;
  r1.r = 1;
  auto failed = crdt.Increment("hits", 1, r1);
  INFO(failed.status().ToString());
  REQUIRE_FALSE(failed.ok());
  REQUIRE(OnReplica<PnCounter>(*cluster, 0, "hits").value().Value() == 2);
  // The next read misses node 0 (paused): it finds 1, and without the client's memory of
  // what it wrote the next increment would write this actor's count 2 again.
  // Node 0 is paused before 1 and 2 come back, or it may hand them the failed put's
  // copy first (then the read finds 2 and the case is not made).
  REQUIRE(cluster->Pause(0).ok());
  REQUIRE(cluster->Restart(1).ok());
  REQUIRE(cluster->Restart(2).ok());
  std::string last_read;
  bool missed = Eventually(20s, [&] {  // nodes 1 and 2 answer again (a read writes nothing)
    auto read = crdt.GetCounter("hits");
    last_read = read.ok() ? std::to_string(read->Value()) : read.status().ToString();
    return read.ok() && read->Value() == 1;
  });
  INFO("the read found " << last_read);
  REQUIRE(missed);
  auto next = crdt.Increment("hits", 1);
  INFO(next.status().ToString());
  REQUIRE(next.ok());
  REQUIRE(cluster->Resume(0).ok());
  Result<PnCounter> hits = Status::NotFound("not yet");
  REQUIRE(Eventually(20s, [&] {
    hits = crdt.GetCounter("hits", all);
    return hits.ok();
  }));
  // The failed increment counts (it landed), and the next one came on top of it.
  CHECK(*next == 3);
  CHECK(hits->Value() == 3);
}

TEST_CASE("a counter and a set deleted by another client stay deleted when the first writer updates them again") {
  auto cluster = StartCluster();
  auto a = ClientOf(*cluster, 0);
  auto b = ClientOf(*cluster, 1);
  CrdtClient crdt_a(*a), crdt_b(*b);
  RequestOptions all;
  all.level = Consistency::kAll;
  REQUIRE(crdt_a.Increment("likes", 5, all).ok());
  REQUIRE(crdt_a.AddToSet("cart", {"milk", "eggs"}, all).ok());
  // b deletes both with its read's context: a plain Client::Delete for the counter,
  // CrdtClient::Delete for the set.
  auto read = b->Get("likes", all);
  REQUIRE(read.ok());
  REQUIRE(read->found);
  REQUIRE(b->Delete("likes", read->context, all).ok());
  REQUIRE(crdt_b.Delete("cart", all).ok());
  REQUIRE_FALSE(b->Get("likes", all).value().found);
  REQUIRE_FALSE(b->Get("cart", all).value().found);
  // a, which still remembers what it wrote, updates both again: only the new update shows.
  auto likes = crdt_a.Increment("likes", 2, all);
  REQUIRE(likes.ok());
  CHECK(*likes == 2);
  REQUIRE(crdt_a.AddToSet("cart", {"bread"}, all).ok());
  CHECK(crdt_b.GetCounter("likes", all).value().Value() == 2);
  CHECK(crdt_b.GetSet("cart", all).value().Elements() == std::vector<std::string>{"bread"});
  // A delete through a's own CrdtClient stays deleted for a's next update too.
  REQUIRE(crdt_a.Delete("likes", all).ok());
  REQUIRE(crdt_a.Increment("likes", 1, all).ok());
  CHECK(crdt_b.GetCounter("likes", all).value().Value() == 1);
}

TEST_CASE(
    "after a delete its read saw, the writer goes on as a fresh actor and a concurrent copy of its old state keeps "
    "every increment") {
  auto cluster = StartCluster(FastCluster());
  ClientOptions c_options, ab_options;
  c_options.bind_host = "127.0.0.101";  // with node 0 alone
  c_options.w = c_options.r = 1;
  ab_options.bind_host = "127.0.0.102";  // with nodes 1, 2
  auto a = ClientOf(*cluster, 1, ab_options);
  auto b = ClientOf(*cluster, 2, ab_options);
  auto c = ClientOf(*cluster, 0, c_options);
  CrdtClient crdt_a(*a);
  RequestOptions all;
  all.level = Consistency::kAll;
  REQUIRE(crdt_a.Increment("likes", 5, all).ok());
  auto before = b->Get("likes", all);
  REQUIRE(before.ok());
  REQUIRE(before->values.size() == 1);
  {
    auto partition = Partition::Create({"127.0.0.1", "127.0.0.101"}, {"127.0.0.2", "127.0.0.3", "127.0.0.102"});
    REQUIRE(partition.ok());
    // On node 0's side, c adds 1 to the state it read (a's 5): a version concurrent with
    // b's delete, holding a's old steps.
    PnCounter old = PnCounter::Decode(before->values[0]).value();
    old.Add(77, 1);
    REQUIRE(c->Put("likes", old.Encode(), before->context).ok());
    // On the other side b deletes what it read, and a's next read (nodes 1, 2) covers a's
    // write but holds none of it: a must not restart its own actor at 0 (its 2 would
    // overlap the 5 in c's copy and be lost), so it goes on as a fresh one.
    REQUIRE(b->Delete("likes", before->context).ok());
    auto likes = crdt_a.Increment("likes", 2);
    REQUIRE(likes.ok());
    CHECK(*likes == 2);
    REQUIRE(partition->Heal().ok());
  }
  // c's copy and a's new state are siblings: their merge keeps 5 + 1 + 2.
  Result<PnCounter> merged = Status::NotFound("not yet");
  REQUIRE(Eventually(20s, [&] {
    merged = crdt_a.GetCounter("likes", all);
    return merged.ok();
  }));
  CHECK(merged->Value() == 8);
}

TEST_CASE("a full cache rotates the actor and forgets, and counts stay exact") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  CrdtClient crdt(*client, {.max_cached_keys = 2});
  ActorId first = crdt.actor();
  REQUIRE(crdt.Increment("k1", 1).ok());
  REQUIRE(crdt.Increment("k2", 1).ok());
  CHECK(crdt.actor() == first);
  REQUIRE(crdt.Increment("k3", 1).ok());  // a third key: a fresh actor
  CHECK(crdt.actor() != first);
  REQUIRE(crdt.Increment("k1", 5).ok());
  CHECK(crdt.GetCounter("k1").value().Value() == 6);
}

TEST_CASE("both sides of a partition update a counter and a set, and after the heal every replica holds the merge") {
  LocalClusterOptions options = FastCluster(4);  // a fourth node holds the hints for the cut-off one
  auto cluster = StartCluster(options);
  ClientOptions a_options, b_options;
  a_options.bind_host = "127.0.0.101";  // with node 0 alone
  a_options.w = a_options.r = 1;
  b_options.bind_host = "127.0.0.102";  // with nodes 1, 2, 3
  auto a = ClientOf(*cluster, 0, a_options);
  auto b = ClientOf(*cluster, 1, b_options);
  CrdtClient crdt_a(*a), crdt_b(*b);
  // Keys whose replicas are nodes 0, 1, 2: node 3 holds b's hints for node 0.
  auto on_first_three = [&](const std::string& k) {
    auto prefs = b->PreferenceList(k, 3);
    return std::find(prefs.begin(), prefs.end(), cluster->id(3)) == prefs.end();
  };
  std::string key, counter;
  for (int i = 0; i < 1000 && key.empty(); ++i) {
    std::string k = "cart-" + std::to_string(i);
    if (on_first_three(k) && on_first_three(k + "-count")) key = k;
  }
  REQUIRE(!key.empty());
  counter = key + "-count";
  RequestOptions all;
  all.level = Consistency::kAll;
  REQUIRE(crdt_b.AddToSet(key, {"milk"}, all).ok());
  // Both clients hold the settled ring before the cut: a ring that moves on right after the
  // start (on a busy machine) is otherwise learned only from node 0 once a is cut off.
  REQUIRE(
      Eventually(15s, [&] { return AllMembersUp(*a) && AllMembersUp(*b) && a->RingVersion() == b->RingVersion(); }));
  REQUIRE(crdt_a.GetSet(key, all).ok());

  constexpr int kOps = 8;
  {
    auto partition =
        Partition::Create({"127.0.0.1", "127.0.0.101"}, {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.102"});
    REQUIRE(partition.ok());
    Status removed = crdt_a.RemoveFromSet(key, {"milk"});  // a removes the milk it saw...
    INFO(removed.ToString());
    REQUIRE(removed.ok());
    REQUIRE(crdt_b.AddToSet(key, {"milk"}).ok());  // ...b adds milk again, concurrently
    for (int i = 0; i < kOps; ++i) {
      INFO(i);
      REQUIRE(crdt_a.Increment(counter, 1).ok());
      REQUIRE(crdt_b.Increment(counter, 2).ok());
      REQUIRE(crdt_a.AddToSet(key, {"a" + std::to_string(i)}).ok());
      REQUIRE(crdt_b.AddToSet(key, {"b" + std::to_string(i)}).ok());
    }
    // b's copies for node 0 go to node 3 once node 0 is given up on (replica_timeout): wait
    // for that before the heal (a heal first lets the late copies reach node 0 itself).
    CHECK(Eventually(15s, [&] { return StatValue(*b, cluster->id(3), "hints_stored_total") > 0; }));
    REQUIRE(partition->Heal().ok());
  }
  CHECK(Eventually(15s, [&] { return AllMembersUp(*b); }));
  for (int i = 0; i < cluster->size(); ++i) {
    auto report = RepairWhenSettled(*b, cluster->id(i));
    INFO(report.status().ToString());
    REQUIRE(report.ok());
  }
  std::vector<std::string> expected = {"milk"};
  for (int i = 0; i < kOps; ++i) {
    expected.push_back("a" + std::to_string(i));
    expected.push_back("b" + std::to_string(i));
  }
  std::sort(expected.begin(), expected.end());
  for (int i = 0; i < 3; ++i) {  // the key's replicas: nodes 0, 1, 2
    std::string held;
    bool converged = Eventually(20s, [&] {
      auto set = OnReplica<OrSet>(*cluster, i, key);
      auto count = OnReplica<PnCounter>(*cluster, i, counter);
      held = set.ok() ? std::to_string(set->size()) + " elements" : set.status().ToString();
      held += count.ok() ? ", count " + std::to_string(count->Value()) : ", " + count.status().ToString();
      return set.ok() && count.ok() && set->Elements() == expected && count->Value() == 3 * kOps;
    });
    INFO("node " << i << " holds " << held);
    REQUIRE(converged);
  }
  // Client a saw nodes 1-3 fail during the cut and routes around them for a while: read at
  // ALL once it asks them again.
  Result<OrSet> seen = Status::Unavailable("not read yet");
  bool read_all = Eventually(20s, [&] {
    seen = crdt_a.GetSet(key, all);
    return seen.ok();
  });
  INFO(seen.status().ToString());
  REQUIRE(read_all);
  CHECK(seen->Elements() == expected);
}

TEST_CASE("kv counter and kv set show and update CRDT values, with --json, and refuse bad input with exit 2") {
  auto cluster = StartCluster();
  auto kv = [&](const std::string& args) {
    return RunCommand(std::string(RINGKV_KV_PATH) + " --cluster " + cluster->seeds() + " --cluster-name test-cluster " +
                      args + " 2>&1");
  };
  CHECK(kv("counter get visits").output == "0\n");
  CHECK(kv("counter incr visits 5").output == "5\n");
  CHECK(kv("counter decr visits").output == "4\n");
  auto json = kv("--json counter get visits");
  CHECK(json.exit_code == 0);
  CHECK(json.output == R"({"key":"visits","type":"counter","value":4})"
                       "\n");
  auto bad = kv("counter incr visits 0");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.output, Catch::Contains("positive"));
  CHECK(kv("counter get visits").output == "4\n");

  CHECK(kv("set add cart milk eggs").exit_code == 0);
  CHECK(kv("set remove cart eggs").exit_code == 0);
  CHECK(kv("set add cart bread").exit_code == 0);
  CHECK(kv("set get cart").output == "bread\nmilk\n");
  CHECK(kv("--json set get cart").output == R"({"key":"cart","type":"set","elements":["bread","milk"]})"
                                            "\n");
  auto wrong = kv("set add visits x");  // a counter
  CHECK(wrong.exit_code == 2);
  CHECK_THAT(wrong.output, Catch::Contains("a counter, not a set"));
  CHECK(kv("put plain v").exit_code == 0);
  CHECK(kv("counter incr plain").exit_code == 2);
  CHECK(kv("get plain").output == "v\n");
  CHECK(kv("set frob cart").exit_code == 2);
}
