// Two datacenters of three real nodes each (west: 127.0.0.1-3, east: 127.0.0.4-6) with
// three replicas per DC. The WAN is simulated by a delay on every cross-DC call (the
// kernel here has no netem): clients wait it for remote calls, nodes before each batch
// they ship to the other DC.

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include <catch2/catch.hpp>

#include "tests/cluster/local_cluster.h"
#include "tests/cluster/partition.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;

namespace {

constexpr auto kWan = 50ms;
const std::vector<std::string> kWest = {"127.0.0.1", "127.0.0.2", "127.0.0.3"};
const std::vector<std::string> kEast = {"127.0.0.4", "127.0.0.5", "127.0.0.6"};

// `ship_delay`: the nodes' wait before each batch they ship to the other DC.
LocalClusterOptions TwoDcs(std::chrono::milliseconds ship_delay = kWan) {
  LocalClusterOptions o;
  o.nodes = 6;
  o.dcs = {"west", "west", "west", "east", "east", "east"};
  o.extra_flags = FastFailureDetection();
  for (std::string flag : {"--dc-replication", "west:3,east:3", "--simulated-wan-delay-ms"})
    o.extra_flags.push_back(flag);
  o.extra_flags.push_back(std::to_string(ship_delay.count()));
  return o;
}

ClientOptions In(const std::string& dc, const std::string& bind_host) {
  ClientOptions o;
  o.local_dc = dc;
  o.bind_host = bind_host;
  o.simulated_wan_delay = kWan;
  o.timeout = 3s;
  return o;
}

// How many of `expected` node i holds (with the expected value among its siblings).
size_t HeldBy(const LocalCluster& cluster, int i, const std::map<std::string, std::string>& expected) {
  std::vector<std::string> keys;
  for (const auto& [k, _] : expected) keys.push_back(k);
  auto held = ReadReplicaBatch(cluster.address(i), keys);
  if (!held.ok()) return 0;
  size_t n = 0;
  for (size_t k = 0; k < keys.size(); ++k) {
    const auto& r = (*held)[k];
    n += r.ok() && std::find(r->begin(), r->end(), expected.at(keys[k])) != r->end();
  }
  return n;
}

bool EveryNodeHolds(const LocalCluster& cluster, const std::map<std::string, std::string>& expected) {
  for (int i = 0; i < cluster.size(); ++i) {
    if (HeldBy(cluster, i, expected) != expected.size()) return false;
  }
  return true;
}

// "node1 100/100, node2 ..." for failure messages.
std::string Holdings(const LocalCluster& cluster, const std::map<std::string, std::string>& expected) {
  std::string out;
  for (int i = 0; i < cluster.size(); ++i) {
    out += cluster.id(i) + " " + std::to_string(HeldBy(cluster, i, expected)) + "/" + std::to_string(expected.size()) +
           "  ";
  }
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Puts `count` keys one at a time; returns each put's latency in ms (REQUIREs success).
std::vector<double> TimedPuts(Client& client, const std::string& prefix, int count, const RequestOptions& request,
                              std::map<std::string, std::string>* acked) {
  std::vector<double> ms;
  for (int i = 0; i < count; ++i) {
    std::string key = prefix + std::to_string(i);
    auto start = std::chrono::steady_clock::now();
    auto put = client.Put(key, "v-" + key, {}, request);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    INFO(put.status().ToString());
    REQUIRE(put.ok());
    (*acked)[key] = "v-" + key;
  }
  return ms;
}

}  // namespace

TEST_CASE("LOCAL_QUORUM writes never wait on the remote DC, and the remote DC gets them soon after") {
  auto cluster = LocalCluster::Start(TwoDcs());
  REQUIRE(cluster.ok());
  auto west = (*cluster)->Connect(In("west", "127.0.0.101"));
  REQUIRE(west.ok());
  auto members = (*west)->Members();
  REQUIRE(members.size() == 6);

  std::map<std::string, std::string> local_acked, each_acked;
  RequestOptions local, each;
  local.level = Consistency::kLocalQuorum;
  each.level = Consistency::kEachQuorum;
  double local_ms = Median(TimedPuts(**west, "local-", 100, local, &local_acked));
  auto start = std::chrono::steady_clock::now();
  bool everywhere = Eventually(20s, [&] { return EveryNodeHolds(**cluster, local_acked); });
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("multi-DC: all 100 LOCAL_QUORUM writes were on the 3 east replicas %.2f s after the last ack\n", seconds);
  INFO(Holdings(**cluster, local_acked));
  CHECK(everywhere);

  double each_ms = Median(TimedPuts(**west, "each-", 100, each, &each_acked));
  std::printf("multi-DC: put median with a %lld ms WAN: LOCAL_QUORUM %.2f ms, EACH_QUORUM %.2f ms\n",
              static_cast<long long>(kWan.count()), local_ms, each_ms);
  CHECK(local_ms < kWan.count());  // acked inside the DC
  CHECK(each_ms >= kWan.count());  // EACH_QUORUM waits for the other DC
  CHECK(EveryNodeHolds(**cluster, each_acked));

  // A LOCAL level needs the client's DC: refused with a clear error, nothing written.
  ClientOptions no_dc = In("", "127.0.0.101");
  auto lost = (*cluster)->Connect(no_dc);
  REQUIRE(lost.ok());
  auto refused = (*lost)->Put("no-dc", "x", {}, local);
  CHECK(refused.status().IsInvalidArgument());
  CHECK_THAT(refused.status().message(), Catch::Contains("local_dc"));
  CHECK(HeldBy(**cluster, 0, {{"no-dc", "x"}}) + HeldBy(**cluster, 3, {{"no-dc", "x"}}) == 0);

  // A LOCAL_QUORUM read from the east sees the west's writes once shipped.
  auto east = (*cluster)->Connect(In("east", "127.0.0.102"));
  REQUIRE(east.ok());
  auto got = (*east)->Get("local-7");
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"v-local-7"});
  CHECK(got->replies == 2);  // a quorum of the east replicas, none from the west

  // The queues are empty and the lag metric is back to 0.
  CHECK(Eventually(10s, [&] {
    return StatValue(**west, "node1", R"(cross_dc_queued{dc="east"})") == 0 &&
           StatValue(**west, "node1", R"(cross_dc_lag_seconds{dc="east"})") == 0;
  }));
}

TEST_CASE("a DC cut off keeps serving LOCAL_QUORUM, and after the heal both DCs converge with siblings") {
  auto cluster = LocalCluster::Start(TwoDcs());
  REQUIRE(cluster.ok());
  auto west = (*cluster)->Connect(In("west", "127.0.0.101"));
  auto east = (*cluster)->Connect(In("east", "127.0.0.102"));
  REQUIRE(west.ok());
  REQUIRE(east.ok());
  REQUIRE((*west)->Put("contested", "before").ok());
  Result<GetResult> before = Status::NotFound("");
  REQUIRE(Eventually(10s, [&] {
    before = (*east)->Get("contested");
    return before.ok() && before->found;
  }));

  std::map<std::string, std::string> acked;
  {
    std::vector<std::string> west_side = kWest, east_side = kEast;
    west_side.push_back("127.0.0.101");
    east_side.push_back("127.0.0.102");
    auto cut = Partition::Create(west_side, east_side);
    REQUIRE(cut.ok());                            // fails loudly without root or iptables
    TimedPuts(**west, "west-", 100, {}, &acked);  // LOCAL_QUORUM: the multi-DC default
    TimedPuts(**east, "east-", 100, {}, &acked);
    for (int i = 0; i < 100; i += 10) {
      auto w = (*west)->Get("west-" + std::to_string(i));
      REQUIRE(w.ok());
      CHECK(w->found);
    }
    RequestOptions each;
    each.level = Consistency::kEachQuorum;
    auto refused = (*west)->Put("needs-both", "x", {}, each);
    CHECK(refused.status().code() == StatusCode::kQuorumNotReached);
    // The same key written on both sides from the same version: concurrent.
    REQUIRE((*west)->Put("contested", "from-west", before->context).ok());
    REQUIRE((*east)->Put("contested", "from-east", before->context).ok());
    CHECK(StatValue(**west, "node1", R"(cross_dc_queued{dc="east"})") +
              StatValue(**west, "node2", R"(cross_dc_queued{dc="east"})") +
              StatValue(**west, "node3", R"(cross_dc_queued{dc="east"})") >=
          100);
    REQUIRE(cut->Heal().ok());
  }
  bool converged = Eventually(30s, [&] { return EveryNodeHolds(**cluster, acked); });
  INFO(Holdings(**cluster, acked));
  CHECK(converged);
  RequestOptions all;
  all.level = Consistency::kAll;
  Result<GetResult> contested = Status::NotFound("");
  CHECK(Eventually(10s, [&] {
    contested = (*west)->Get("contested", all);
    return contested.ok() && contested->values.size() == 2;
  }));
  REQUIRE(contested.ok());
  std::vector<std::string> values = contested->values;
  std::sort(values.begin(), values.end());
  CHECK(values == std::vector<std::string>{"from-east", "from-west"});
}

TEST_CASE("kill -9 of a node while it ships to the other DC loses nothing once it restarts") {
  // A slow link (1 s per batch of 256) so that node1 is sure to be mid-stream when killed.
  auto options = TwoDcs(1000ms);
  options.durability = "always";  // an ack means the write and its cross-DC queue entry are on disk
  auto cluster = LocalCluster::Start(options);
  REQUIRE(cluster.ok());
  auto west = (*cluster)->Connect(In("west", "127.0.0.101"));
  REQUIRE(west.ok());
  std::map<std::string, std::string> acked;
  {
    std::vector<std::string> west_side = kWest;
    west_side.push_back("127.0.0.101");
    auto cut = Partition::Create(west_side, kEast);
    REQUIRE(cut.ok());
    TimedPuts(**west, "k-", 1500, {}, &acked);  // queued on the west coordinators meanwhile
    REQUIRE(cut->Heal().ok());
  }
  const char* queued = R"(cross_dc_queued{dc="east"})";
  double queued_after_heal = StatValue(**west, "node1", queued);
  // Wait until node1 has shipped a first batch (the east is back up in its gossip), then kill it.
  bool shipping = Eventually(20s, [&] { return StatValue(**west, "node1", queued) < queued_after_heal; });
  double queued_at_kill = StatValue(**west, "node1", queued);
  REQUIRE((*cluster)->Kill(0).ok());
  REQUIRE((*cluster)->Restart(0).ok());
  bool converged = Eventually(60s, [&] { return EveryNodeHolds(**cluster, acked); });
  std::printf(
      "multi-DC: node1 queued %.0f versions for the east; killed with %.0f still queued; after its restart "
      "all %zu writes reached every node: %s\n",
      queued_after_heal, queued_at_kill, acked.size(), converged ? "yes" : "NO");
  INFO(Holdings(**cluster, acked));
  CHECK(shipping);
  CHECK(queued_at_kill > 0);  // mid-stream
  CHECK(converged);
}

TEST_CASE("samples/multi_dc runs clean against two DCs") {
  auto cluster = LocalCluster::Start(TwoDcs());
  REQUIRE(cluster.ok());
  auto run = RunCommand(std::string(RINGKV_SAMPLE_multi_dc) + " " + (*cluster)->seeds());
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.output, Catch::Contains("multi_dc ok"));
}
