// Online scaling and repair on real processes: a node joins and another leaves while
// writes continue; a replica that missed writes is repaired by Merkle anti-entropy; a
// dead node is removed and its replicas are rebuilt elsewhere.

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/cluster/local_cluster.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;

namespace {

std::string StateOf(Client& client, const std::string& id) {
  (void)client.RefreshRing();
  for (const auto& m : client.Members()) {
    if (m.id == id) return m.state;
  }
  return "absent";
}

// Writes keys "<prefix><i>" with up to 64 puts in flight; returns the acknowledged ones.
std::map<std::string, std::string> Load(Client& client, const std::string& prefix, int count) {
  std::map<std::string, std::string> acked;
  std::vector<std::future<Result<PutResult>>> inflight;
  std::vector<std::string> keys;
  auto drain = [&] {
    for (size_t i = 0; i < inflight.size(); ++i) {
      if (inflight[i].get().ok()) acked[keys[i]] = "v-" + keys[i];
    }
    inflight.clear();
    keys.clear();
  };
  for (int i = 0; i < count; ++i) {
    keys.push_back(prefix + std::to_string(i));
    inflight.push_back(client.PutAsync(keys.back(), "v-" + keys.back()));
    if (inflight.size() == 64) drain();
  }
  drain();
  return acked;
}

// Every acknowledged key read back through the client (R=2) holds its value.
size_t CountMissing(Client& client, const std::map<std::string, std::string>& acked) {
  size_t missing = 0;
  std::vector<std::pair<std::string, std::future<Result<GetResult>>>> reads;
  auto drain = [&] {
    for (auto& [key, f] : reads) {
      auto got = f.get();
      bool has = got.ok() && std::find(got->values.begin(), got->values.end(), acked.at(key)) != got->values.end();
      if (!has) ++missing;
    }
    reads.clear();
  };
  for (const auto& [key, _] : acked) {
    reads.emplace_back(key, client.GetAsync(key));
    if (reads.size() == 64) drain();
  }
  drain();
  return missing;
}

}  // namespace

TEST_CASE("a node joins and another leaves under continuous writes: every acknowledged write stays readable") {
  auto cluster = LocalCluster::Start(FastCluster());
  REQUIRE(cluster.ok());
  auto client = (*cluster)->Connect();
  REQUIRE(client.ok());
  // 100k keys as the issue asks; a sanitizer build (10x slower) checks the same with 20k.
#ifdef RINGKV_SANITIZED
  constexpr int kKeys = 20000;
#else
  constexpr int kKeys = 100000;
#endif
  auto acked = Load(**client, "key-", kKeys);
  REQUIRE(acked.size() == kKeys);

  // Keys whose primary replica the join will change, computed from the ring before and after.
  std::map<std::string, std::string> primary_before;
  for (const auto& [key, _] : acked) primary_before[key] = (*client)->PreferenceList(key, 1).front();

  std::atomic<bool> stop{false};
  std::mutex live_mu;
  std::map<std::string, std::string> live_acked;
  auto own = (*cluster)->Connect();  // here: Connect reads the node list AddJoiningNode grows
  REQUIRE(own.ok());
  std::thread writer([&] {
    for (int round = 0; !stop; ++round) {
      auto batch = Load(**own, "live-" + std::to_string(round) + "-", 500);
      std::lock_guard lock(live_mu);
      live_acked.insert(batch.begin(), batch.end());
    }
  });

  auto joined = (*cluster)->AddJoiningNode();
  REQUIRE(joined.ok());
  std::string newcomer = (*cluster)->id(*joined);
  bool normal = Eventually(120s, [&] { return StateOf(**client, newcomer) == "normal"; });
  INFO((*cluster)->kvnode_log(*joined));
  REQUIRE(normal);
  double streamed = StatValue(**client, newcomer, "stream_keys_received_total");
  size_t primary_moved = 0, now_held = 0;
  for (const auto& [key, before] : primary_before) {
    primary_moved += (*client)->PreferenceList(key, 1).front() != before;
    auto replicas = (*client)->PreferenceList(key, 3);
    now_held += std::find(replicas.begin(), replicas.end(), newcomer) != replicas.end();
  }
  size_t live_so_far;
  {
    std::lock_guard lock(live_mu);
    live_so_far = live_acked.size();
  }
  WARN("join: " << primary_moved << " of " << kKeys << " keys changed primary (ideal K/4 = " << kKeys / 4
                << "); the newcomer is now a replica of " << now_held << " of the initial keys and received "
                << streamed << " keys by streaming");
  CHECK(primary_moved <= 1.1 * kKeys / 4);
  // Only what must move moves: the newcomer's keys, each once (plus keys written meanwhile
  // that the scan met; those also reached the newcomer directly).
  CHECK(streamed >= now_held);
  CHECK(streamed <= now_held + live_so_far);

  REQUIRE((*client)->Decommission("node2").ok());
  REQUIRE((*cluster)->WaitExit(1, 120s).ok());
  CHECK(Eventually(10s, [&] { return StateOf(**client, "node2") == "absent"; }));
  stop = true;
  writer.join();

  size_t missing_initial = CountMissing(**client, acked);
  size_t missing_live = CountMissing(**client, live_acked);
  WARN("after the join and the leave: " << missing_initial << " of " << acked.size() << " initial and " << missing_live
                                        << " of " << live_acked.size() << " concurrently written keys unreadable");
  CHECK(missing_initial == 0);
  CHECK(missing_live == 0);
  CHECK(live_acked.size() > 0);
}

TEST_CASE("a leaving node hands its ranges to heirs: each key is on all its new replicas, shares stay near even") {
  // With the leaver's arcs passing to the next tokens clockwise, a leave from 5 nodes left
  // replica shares up to ~18-34% off even (tests/unit/ring_test); heirs keep them within 10%.
  auto options = FastCluster(5);
  options.extra_flags.insert(options.extra_flags.end(), {"--vnodes", "64"});  // founders allocate faster
  auto cluster = LocalCluster::Start(options);
  REQUIRE(cluster.ok());
  auto client = (*cluster)->Connect();
  REQUIRE(client.ok());
  auto acked = Load(**client, "heir-", 3000);
  REQUIRE(acked.size() == 3000);

  REQUIRE((*client)->Decommission("node3").ok());
  REQUIRE((*cluster)->WaitExit(2, 120s).ok());
  REQUIRE(Eventually(10s, [&] { return StateOf(**client, "node3") == "absent"; }));

  // Read each replica directly: the leave streamed every key to the heirs that now hold it.
  std::map<std::string, std::string> address;
  for (const auto& m : (*client)->Members()) address[m.id] = m.address;
  std::map<std::string, std::vector<std::string>> keys_of;
  for (const auto& [key, _] : acked) {
    for (const auto& id : (*client)->PreferenceList(key, 3)) keys_of[id].push_back(key);
  }
  REQUIRE(keys_of.size() == 4);
  size_t missing = 0;
  for (const auto& [id, keys] : keys_of) {
    auto held = ReadReplicaBatch(address.at(id), keys);
    REQUIRE(held.ok());
    for (const auto& r : *held) missing += !r.ok();
  }
  CHECK(missing == 0);

  std::map<std::string, double> share;
  constexpr int kSample = 20000;
  for (int k = 0; k < kSample; ++k) {
    for (const auto& id : (*client)->PreferenceList("share-" + std::to_string(k), 3)) share[id] += 1.0 / kSample;
  }
  double worst = 0;
  for (const auto& [id, s] : share) worst = std::max(worst, std::abs(s / 0.75 - 1));
  WARN("after node3 left 5 nodes: replica shares at most " << worst * 100 << "% off even; " << missing
                                                           << " replica copies missing");
  CHECK(worst <= 0.10);
}

TEST_CASE("Merkle repair brings back a replica that missed writes, and identical replicas exchange only roots") {
  auto options = FastCluster();
  options.extra_flags.insert(options.extra_flags.end(), {"--hint-window-s", "0"});  // no handoff: repair alone
  auto cluster = LocalCluster::Start(options);
  REQUIRE(cluster.ok());
  auto client = (*cluster)->Connect();
  REQUIRE(client.ok());
  REQUIRE((*cluster)->Kill(2).ok());
  auto acked = Load(**client, "r-", 2000);
  REQUIRE(acked.size() == 2000);
  REQUIRE((*cluster)->Restart(2).ok());
  // With a zero hint window the hints expire instead of being delivered.
  CHECK(Eventually(10s, [&] {
    return StatValue(**client, "node1", "hints_queued_total") + StatValue(**client, "node2", "hints_queued_total") == 0;
  }));
  std::vector<std::string> keys;
  for (const auto& [k, _] : acked) keys.push_back(k);
  auto before = ReadReplicaBatch((*cluster)->address(2), keys);
  REQUIRE(before.ok());
  size_t lacking = std::count_if(before->begin(), before->end(), [](const auto& r) { return !r.ok(); });
  CHECK(lacking == keys.size());

  auto report = (*client)->Repair("node3");
  INFO(report.status().ToString());
  REQUIRE(report.ok());
  WARN("repair by node3 with " << report->peers << " peers: pulled " << report->keys_pulled << " keys, "
                               << report->bytes_received << " bytes in, " << report->bytes_sent << " bytes out");
  CHECK(report->keys_pulled == keys.size());
  auto after = ReadReplicaBatch((*cluster)->address(2), keys);
  REQUIRE(after.ok());
  CHECK(std::all_of(after->begin(), after->end(), [](const auto& r) { return r.ok(); }));

  auto again = (*client)->Repair("node3");
  REQUIRE(again.ok());
  CHECK(again->keys_pulled + again->keys_pushed == 0);
  CHECK(again->nodes_compared == 2);  // one root per peer
}

TEST_CASE("a dead node is removed and repair rebuilds its replicas on the remaining nodes") {
  auto cluster = LocalCluster::Start(FastCluster(4));
  REQUIRE(cluster.ok());
  auto client = (*cluster)->Connect();
  REQUIRE(client.ok());
  auto acked = Load(**client, "d-", 3000);
  REQUIRE(acked.size() == 3000);
  REQUIRE((*cluster)->Kill(3).ok());
  CHECK((*client)->RemoveNode("node1").IsInvalidArgument());  // alive: decommission instead
  REQUIRE(Eventually(10s, [&] { return (*client)->RemoveNode("node4").ok(); }));
  REQUIRE(Eventually(10s, [&] { return StateOf(**client, "node4") == "absent"; }));
  // A repair refuses to run while the nodes' rings still differ (the removal spreading).
  for (int i = 0; i < 3; ++i) {
    auto report = RepairWhenSettled(**client, (*cluster)->id(i));
    INFO(report.status().ToString());
    REQUIRE(report.ok());
  }
  // Every key now has its N=3 replicas among node1..node3: all three hold everything.
  std::vector<std::string> keys;
  for (const auto& [k, _] : acked) keys.push_back(k);
  for (int i = 0; i < 3; ++i) {
    auto held = ReadReplicaBatch((*cluster)->address(i), keys);
    REQUIRE(held.ok());
    size_t missing = std::count_if(held->begin(), held->end(), [](const auto& r) { return !r.ok(); });
    INFO((*cluster)->id(i));
    CHECK(missing == 0);
  }
}
