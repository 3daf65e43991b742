// Failure handling on real processes: kill -9, SIGSTOP pauses and iptables partitions,
// with gossip marking nodes suspect/down, sloppy quorum keeping writes going, hinted
// handoff and Merkle repair bringing every replica back.

#include <atomic>
#include <map>
#include <optional>
#include <ostream>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/cluster/local_cluster.h"
#include "tests/cluster/partition.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;

namespace {

// A node's hint accounting, from one stats snapshot (so the four sides are of one moment).
struct HintCounts {
  double stored = 0, merged = 0, delivered = 0, dropped = 0, queued = 0;
  bool Balanced() const { return stored == delivered + dropped + queued; }
};

std::ostream& operator<<(std::ostream& out, const HintCounts& c) {
  return out << "stored " << c.stored << ", merged " << c.merged << ", delivered " << c.delivered << ", dropped "
             << c.dropped << ", queued " << c.queued;
}

std::optional<HintCounts> HintCountsOf(Client& client, const std::string& node) {
  auto stats = client.NodeStats(node);
  if (!stats.ok()) return std::nullopt;
  HintCounts c;
  for (const NodeStat& s : *stats) {
    if (s.name == "hints_stored_total")
      c.stored = s.value;
    else if (s.name == "hints_merged_total")
      c.merged = s.value;
    else if (s.name == "hints_delivered_total")
      c.delivered = s.value;
    else if (s.name.starts_with("hints_dropped_total{"))
      c.dropped += s.value;
    else if (s.name == "hints_queued_total")
      c.queued = s.value;
  }
  return c;
}

std::string StatusOf(Client& client, const std::string& id) {
  for (const auto& m : client.Members()) {
    if (m.id == id) return m.status;
  }
  return "absent";
}

// How many of `nodes` hold exactly `expected` for every key (checked on each replica).
void RequireOnEveryReplica(const LocalCluster& cluster, const std::map<std::string, std::string>& expected) {
  std::vector<std::string> keys;
  for (const auto& [k, _] : expected) keys.push_back(k);
  for (int i = 0; i < cluster.size(); ++i) {
    if (!cluster.IsRunning(i)) continue;
    auto held = ReadReplicaBatch(cluster.address(i), keys);
    REQUIRE(held.ok());
    size_t missing = 0;
    for (size_t k = 0; k < keys.size(); ++k) {
      const auto& r = (*held)[k];
      if (!r.ok() || std::find(r->begin(), r->end(), expected.at(keys[k])) == r->end()) ++missing;
    }
    INFO(cluster.id(i) << " lacks " << missing << " of " << keys.size() << " acknowledged writes");
    CHECK(missing == 0);
  }
}

}  // namespace

TEST_CASE(
    "kill -9 of one of three nodes under W=2 writes loses nothing, and hinted handoff completes after the restart") {
  // durability=always: an ack means the replica's WAL was fsync'd, so what node3 acked
  // before the kill must still be there, and what it missed must come by handoff.
  auto options = FastCluster();
  options.durability = "always";
  auto cluster = LocalCluster::Start(options);
  REQUIRE(cluster.ok());
  auto client = (*cluster)->Connect();
  REQUIRE(client.ok());
  std::map<std::string, std::string> acked;
  auto write = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      std::string key = "k" + std::to_string(i), value = "v" + std::to_string(i);
      auto put = (*client)->Put(key, value);
      REQUIRE(put.ok());
      acked[key] = value;
    }
  };
  write(0, 300);
  REQUIRE((*cluster)->Kill(2).ok());
  write(300, 1300);  // every put still reaches W=2: node1 and node2, node3's copy as a hint
  // A put returns at W=2; its hint for node3 may land a moment later.
  double queued = 0;
  CHECK(Eventually(5s, [&] { return (queued = QueuedHints(**client, **cluster)) >= 1000; }));
  WARN("hints queued for the killed node: " << queued);

  REQUIRE((*cluster)->Restart(2).ok());
  bool drained = Eventually(30s, [&] { return QueuedHints(**client, **cluster) == 0; });
  CHECK(drained);
  double delivered =
      StatValue(**client, "node1", "hints_delivered_total") + StatValue(**client, "node2", "hints_delivered_total");
  WARN("hints delivered after the restart: " << delivered);
  CHECK(delivered >= 1000);
  RequireOnEveryReplica(**cluster, acked);
}

// Every node's hint counters balance: stored == delivered + dropped + queued. (No colon in
// the name: Catch 2's console reporter asserts on wrapping a long name after ": ".)
TEST_CASE(
    "a node down while a few keys are overwritten many times gets one hint per key, and every node's "
    "hint counters balance once it is back") {
  auto cluster = LocalCluster::Start(FastCluster());
  REQUIRE(cluster.ok());
  auto client = (*cluster)->Connect();
  REQUIRE(client.ok());
  REQUIRE((*cluster)->Kill(2).ok());
  constexpr int kKeys = 8, kRounds = 60;
  std::map<std::string, Context> last_write;
  std::map<std::string, std::string> acked;
  for (int round = 0; round < kRounds; ++round) {
    for (int k = 0; k < kKeys; ++k) {
      std::string key = "hot" + std::to_string(k), value = "r" + std::to_string(round);
      auto put = (*client)->Put(key, value, last_write[key]);  // overwrites what the last round wrote
      INFO(put.status().ToString());
      REQUIRE(put.ok());
      last_write[key] = put->context;
      acked[key] = value;
    }
  }
  const std::vector<std::string> holders = {"node1", "node2"};
  auto taken_in = [&] {  // hints the live nodes took in: one per put, once they have all landed
    double n = 0;
    for (const auto& id : holders) {
      auto c = HintCountsOf(**client, id);
      if (c) n += c->stored + c->merged;
    }
    return n;
  };
  CHECK(Eventually(5s, [&] { return taken_in() >= kKeys * kRounds; }));
  double stored_while_down = 0;
  for (const auto& id : holders) {
    auto c = HintCountsOf(**client, id);
    REQUIRE(c);
    INFO(id << " while node3 is down: " << *c);
    CHECK(c->Balanced());  // the accounting holds at any moment, not only once drained
    stored_while_down += c->stored;
  }
  // Every key has its hint somewhere, and a holder keeps one entry per (target, key): node3's
  // and, should node1 or node2 miss a replica timeout under load, the other's. Not one per write.
  CHECK(stored_while_down >= kKeys);
  CHECK(stored_while_down <= 2 * 2 * kKeys);

  REQUIRE((*cluster)->Restart(2).ok());
  bool drained = Eventually(30s, [&] { return QueuedHints(**client, **cluster) == 0; });
  CHECK(drained);
  double stored = 0, delivered = 0, merged = 0;
  for (int i = 0; i < (*cluster)->size(); ++i) {
    const std::string& id = (*cluster)->id(i);
    auto c = HintCountsOf(**client, id);
    REQUIRE(c);
    WARN(id << " after node3 is back: " << *c);
    CHECK(c->Balanced());
    CHECK(c->dropped == 0);
    stored += c->stored;
    delivered += c->delivered;
    merged += c->merged;
  }
  CHECK(delivered == stored);  // not dwarfed: each entry stored was delivered, once
  CHECK(merged >= kKeys * kRounds - stored);
  RequireOnEveryReplica(**cluster, acked);
}

TEST_CASE("a paused node turns suspect then down, writes keep going, and after SIGCONT it is up with its hints") {
  auto cluster = LocalCluster::Start(FastCluster());
  REQUIRE(cluster.ok());
  auto client = (*cluster)->Connect();
  REQUIRE(client.ok());
  REQUIRE((*cluster)->Pause(2).ok());
  auto paused_at = std::chrono::steady_clock::now();
  auto since_pause = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - paused_at).count();
  };
  std::map<std::string, std::string> acked;
  auto write = [&](const std::string& prefix) {
    for (int i = 0; i < 100; ++i) {
      std::string key = prefix + std::to_string(i);
      auto put = (*client)->Put(key, prefix);
      INFO(put.status().ToString());
      REQUIRE(put.ok());
      acked[key] = prefix;
    }
  };
  // A watcher with a client of its own notes when the cluster reports node3 suspect, then down.
  std::atomic<long> suspect_ms{-1}, down_ms{-1};
  std::thread watcher([&] {
    ClientOptions quick;
    quick.timeout = 300ms;  // a ring fetch from the paused node gives up fast
    auto watch = (*cluster)->Connect(quick);
    if (!watch.ok()) return;
    Eventually(15s, [&] {
      (void)(*watch)->RefreshRing();
      std::string s = StatusOf(**watch, "node3");
      if (s == "suspect" && suspect_ms < 0) suspect_ms = since_pause();
      if (s == "down" && down_ms < 0) down_ms = since_pause();
      return s == "down";
    });
  });
  write("before-suspect-");  // node3 just stopped answering: its copies become hints by timeout
  watcher.join();
  WARN("node3 paused at 0 ms: seen suspect at " << suspect_ms << " ms, down at " << down_ms
                                                << " ms (timeouts 1500 / 3000 ms, gossip every 200 ms)");
  CHECK(suspect_ms > 0);
  CHECK(down_ms > 0);
  CHECK(down_ms < 3000 + 2000);
  write("while-down-");  // routed around node3 at once: hints without waiting
  REQUIRE((*cluster)->Resume(2).ok());
  bool up = Eventually(10s, [&] {
    (void)(*client)->RefreshRing();
    return StatusOf(**client, "node3") == "up";
  });
  CHECK(up);
  CHECK(Eventually(20s, [&] { return QueuedHints(**client, **cluster) == 0; }));
  RequireOnEveryReplica(**cluster, acked);
}

TEST_CASE(
    "both sides of a partition take writes, and after the heal every replica converges with siblings for conflicts") {
  auto cluster = LocalCluster::Start(FastCluster());
  REQUIRE(cluster.ok());
  ClientOptions a_options, b_options;
  a_options.bind_host = "127.0.0.101";  // the minority side's client, with node1
  b_options.bind_host = "127.0.0.102";  // the majority side's client, with node2 and node3
  a_options.w = 1;                      // node1 alone acknowledges a's writes during the partition
  auto a = (*cluster)->Connect(a_options);
  auto b = (*cluster)->Connect(b_options);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE((*a)->Put("contested", "before").ok());
  // Both sides must replace "before", so their context must cover it. a's put was
  // acknowledged by one replica (W=1) and reaches the others a moment later: a read right
  // after it may be answered by two replicas that do not hold it yet, and then "before"
  // stays as a third sibling. Read at ALL until "before" is there: every replica answered,
  // so the context covers every version of it.
  RequestOptions all;
  all.level = Consistency::kAll;
  Result<GetResult> before = Status::NotFound("not read yet");
  REQUIRE(Eventually(10s, [&] {
    before = (*b)->Get("contested", all);
    return before.ok() && before->values == std::vector<std::string>{"before"};
  }));

  std::map<std::string, std::string> acked;
  {
    auto partition = Partition::Create({"127.0.0.1", "127.0.0.101"}, {"127.0.0.2", "127.0.0.3", "127.0.0.102"});
    REQUIRE(partition.ok());  // fails loudly without root or iptables
    for (int i = 0; i < 100; ++i) {
      std::string ka = "side-a-" + std::to_string(i), kb = "side-b-" + std::to_string(i);
      auto pa = (*a)->Put(ka, "a");
      INFO(pa.status().ToString());
      REQUIRE(pa.ok());
      auto pb = (*b)->Put(kb, "b");
      INFO(pb.status().ToString());
      REQUIRE(pb.ok());
      acked[ka] = "a";
      acked[kb] = "b";
    }
    // The same key, written on both sides from the same read: concurrent versions.
    REQUIRE((*a)->Put("contested", "from-a", before->context).ok());
    REQUIRE((*b)->Put("contested", "from-b", before->context).ok());
    REQUIRE(partition->Heal().ok());
  }
  // Gossip sees everyone again; hints flow; a repair from each node covers the rest.
  CHECK(Eventually(15s, [&] { return AllMembersUp(**b); }));
  for (int i = 0; i < (*cluster)->size(); ++i) {
    auto report = RepairWhenSettled(**b, (*cluster)->id(i));
    INFO(report.status().ToString());
    REQUIRE(report.ok());
  }
  RequireOnEveryReplica(**cluster, acked);
  auto contested = (*b)->Get("contested");
  REQUIRE(contested.ok());
  std::vector<std::string> values = contested->values;
  std::sort(values.begin(), values.end());
  CHECK(values == std::vector<std::string>{"from-a", "from-b"});
}

TEST_CASE("a repair right after a partition heals compares with every peer, or says which it could not") {
  // The first repair after a heal used to report success having compared nothing: the
  // repairing node still saw its peers down in gossip, skipped them, and pulled 0 keys.
  auto cluster = LocalCluster::Start(FastCluster());
  REQUIRE(cluster.ok());
  ClientOptions options;
  options.w = 2;
  options.sloppy_quorum = false;  // no hints: only the repair can bring node3 the writes
  options.bind_host = "127.0.0.101";
  auto client = (*cluster)->Connect(options);
  REQUIRE(client.ok());
  constexpr int kKeys = 200;
  {
    auto partition = Partition::Create({"127.0.0.3"}, {"127.0.0.1", "127.0.0.2", "127.0.0.101"});
    REQUIRE(partition.ok());
    // node3 sees its peers down as the others see it (same timings); the client has long
    // given up on it by then, so the writes go to node1 and node2 alone.
    REQUIRE(Eventually(20s, [&] {
      (void)(*client)->RefreshRing();
      return StatusOf(**client, "node3") == "down";
    }));
    for (int k = 0; k < kKeys; ++k) {
      auto put = (*client)->Put("cut-" + std::to_string(k), "v");
      INFO("put " << k << ": " << put.status().ToString());
      REQUIRE(put.ok());
    }
    REQUIRE(partition->Heal().ok());
  }
  auto report = (*client)->Repair("node3");  // at once: node3's gossip has not seen the heal yet
  REQUIRE(report.ok());
  WARN("repair by node3 right after the heal: " << report->peers << " peers, pulled " << report->keys_pulled
                                                << " keys");
  CHECK(report->peers == 2);
  CHECK(report->keys_pulled >= kKeys);

  // A peer that cannot be compared makes the repair fail, naming it.
  REQUIRE((*cluster)->Kill(2).ok());
  auto partial = (*client)->Repair("node1");
  REQUIRE_FALSE(partial.ok());
  INFO(partial.status().ToString());
  CHECK(partial.status().message().find("node3") != std::string::npos);
  CHECK(partial.status().message().find("compared 1 of 2 peers") != std::string::npos);
}

TEST_CASE("a client closed right after a W=1 put still gets the copy for a cut-off replica to it, by a hint") {
  // A short-lived client (kv put) used to exit before its copy for a silent replica timed
  // out and became a hint: the replica never got the write.
  auto cluster = LocalCluster::Start(FastCluster());
  REQUIRE(cluster.ok());
  ClientOptions options;
  options.w = 1;
  options.bind_host = "127.0.0.103";
  options.timeout = std::chrono::milliseconds(5000);  // a loaded machine must not fail the put
  auto client = (*cluster)->Connect(options);
  REQUIRE(client.ok());
  // A key node3 is the last replica of: node1 or node2 coordinates it and acks at once.
  std::string key;
  for (int k = 0; key.empty() && k < 1000; ++k) {
    std::string candidate = "drain-" + std::to_string(k);
    auto list = (*client)->PreferenceList(candidate, 3);
    if (list.size() == 3 && list[2] == "node3") key = candidate;
  }
  REQUIRE_FALSE(key.empty());
  {
    auto partition = Partition::Create({"127.0.0.103"}, {"127.0.0.3"});  // the client only: nodes reach node3
    REQUIRE(partition.ok());
    auto put = (*client)->Put(key, "kept");
    INFO(put.status().ToString());
    REQUIRE(put.ok());
    client->reset();  // closes at once after the ack; the copy for node3 is still in flight
  }
  bool held = Eventually(15s, [&] {
    auto r = ReadReplicaDirectly((*cluster)->address(2), key);
    return r.ok() && std::find(r->begin(), r->end(), "kept") != r->end();
  });
  CHECK(held);
}

TEST_CASE("a put refused for a stale ring is retried at once, not after a replica it cannot reach times out") {
  // The ring refresh before the retry asked every replica of the key and waited for all of
  // them: one cut off from the client held the retry for the whole request timeout.
  auto cluster = LocalCluster::Start(FastCluster());
  REQUIRE(cluster.ok());
  auto admin = (*cluster)->Connect();
  REQUIRE(admin.ok());
  ClientOptions options;
  options.w = 1;
  options.bind_host = "127.0.0.103";
  options.ring_refresh = std::chrono::hours(1);  // the client keeps the ring it started with
  options.timeout = std::chrono::milliseconds(3000);
  // No health checks: they would fail the fetch from node3 after about a second, and the
  // old wait for every replica would then end inside the timeout too.
  options.health_interval = std::chrono::milliseconds(0);
  auto client = (*cluster)->Connect(options);
  REQUIRE(client.ok());
  const double old_version = static_cast<double>((*client)->RingVersion());
  auto joined = (*cluster)->AddJoiningNode();
  INFO(joined.status().ToString());
  REQUIRE(joined.ok());
  REQUIRE(Eventually(30s, [&] {
    for (int i = 0; i < 3; ++i) {
      if (StatValue(**admin, (*cluster)->id(i), "ring_version") <= old_version) return false;
    }
    return true;
  }));
  auto partition = Partition::Create({"127.0.0.103"}, {"127.0.0.3"});
  REQUIRE(partition.ok());
  auto put = (*client)->Put("stale-ring-key", "v");
  INFO(put.status().ToString());
  REQUIRE(put.ok());
  CHECK((*client)->RingVersion() > static_cast<uint64_t>(old_version));
  CHECK((*client)->Metrics().of(ClientOp::kPut).retries >= 1);  // it was refused once: StaleRing
}
