// The autoscaler's policy (cli/autoscale_policy.h) and its load readings (cli/node_load.h):
// every rule without a cluster, time given by the test.

#include <catch2/catch.hpp>

#include "cli/autoscale_policy.h"
#include "cli/command_template.h"
#include "cli/node_load.h"

using namespace ringkv;
using namespace ringkv::cli;
using namespace std::chrono_literals;

namespace {

const AutoscaleClock::time_point kStart{std::chrono::hours(1)};

AutoscaleThresholds Thresholds() {
  AutoscaleThresholds t;
  t.up_ops_per_node = 1000;
  t.down_ops_per_node = 100;
  t.window = 10s;
  t.cooldown = 30s;
  return t;
}

// A sample of `nodes` nodes named node1.. each at `ops` ops/s.
LoadSample Sample(AutoscaleClock::time_point at, size_t nodes, double ops) {
  LoadSample s{at, {}};
  for (size_t i = 1; i <= nodes; ++i) s.nodes.push_back({"node" + std::to_string(i), ops, 1.0, 1e6, 0});
  return s;
}

ClusterState State(size_t nodes, size_t n = 3) {
  ClusterState s;
  s.nodes = nodes;
  s.replication_factor = n;
  return s;
}

// Feeds one sample a second from kStart for `seconds` seconds; returns the time of the last.
AutoscaleClock::time_point Feed(AutoscalePolicy& p, size_t nodes, double ops, int seconds,
                                AutoscaleClock::time_point from = kStart) {
  for (int i = 0; i <= seconds; ++i) p.Observe(Sample(from + std::chrono::seconds(i), nodes, ops));
  return from + std::chrono::seconds(seconds);
}

}  // namespace

TEST_CASE("load above the scale-up threshold for the whole window adds a node, with the figures as its reason") {
  AutoscalePolicy p(Thresholds());
  auto now = Feed(p, 3, 1500, 11);
  auto d = p.Decide(State(3), now);
  CHECK(d.action == ScaleAction::kAdd);
  CHECK(d.reason.find("above 1000") != std::string::npos);
  CHECK(d.reason.find("lowest 1500") != std::string::npos);
}

TEST_CASE("load above the threshold for less than a window adds nothing yet") {
  AutoscalePolicy p(Thresholds());
  auto now = Feed(p, 3, 1500, 5);
  auto d = p.Decide(State(3), now);
  CHECK(d.action == ScaleAction::kNone);
  CHECK(d.reason.find("observing") != std::string::npos);
}

TEST_CASE("one sample under the scale-up threshold inside the window stops the scale-up (sustained load only)") {
  AutoscalePolicy p(Thresholds());
  Feed(p, 3, 1500, 5);
  p.Observe(Sample(kStart + 6s, 3, 900));
  auto now = Feed(p, 3, 1500, 5, kStart + 7s);
  CHECK(p.Decide(State(3), now).action == ScaleAction::kNone);
  // Once the dip has left the window, the load is sustained again.
  now = Feed(p, 3, 1500, 10, now + 1s);
  CHECK(p.Decide(State(3), now).action == ScaleAction::kAdd);
}

TEST_CASE("load between the two thresholds neither adds nor removes (hysteresis)") {
  AutoscalePolicy p(Thresholds());
  auto now = Feed(p, 4, 500, 20);
  auto d = p.Decide(State(4), now);
  CHECK(d.action == ScaleAction::kNone);
  CHECK(d.reason.find("within bounds") != std::string::npos);
}

TEST_CASE("thresholds whose scale-down is not below their scale-up are refused") {
  AutoscaleThresholds t = Thresholds();
  REQUIRE(t.Validate().ok());
  t.down_ops_per_node = t.up_ops_per_node;
  CHECK(t.Validate().IsInvalidArgument());
  t = Thresholds();
  t.up_p99_ms = 20;
  t.down_p99_ms = 20;
  CHECK(t.Validate().IsInvalidArgument());
  t = Thresholds();
  t.window = 0ms;
  CHECK(t.Validate().IsInvalidArgument());
  t = Thresholds();
  t.min_nodes = 5;
  t.max_nodes = 4;
  CHECK(t.Validate().IsInvalidArgument());
}

TEST_CASE("low load for the whole window removes the least-needed node") {
  AutoscalePolicy p(Thresholds());
  AutoscaleClock::time_point now = kStart;
  for (int i = 0; i <= 11; ++i) {
    now = kStart + std::chrono::seconds(i);
    LoadSample s{
        now, {{"node1", 60, 1, 1e6, 0}, {"node2", 20, 1, 1e6, 0}, {"node3", 50, 1, 1e6, 0}, {"node4", 40, 1, 1e6, 0}}};
    p.Observe(s);
  }
  auto d = p.Decide(State(4), now);
  CHECK(d.action == ScaleAction::kRemove);
  CHECK(d.node == "node2");
  CHECK(d.reason.find("below 100") != std::string::npos);
}

TEST_CASE("between equally idle nodes the one with less disk goes, then the greatest id") {
  AutoscalePolicy p(Thresholds());
  AutoscaleClock::time_point now = kStart;
  for (int i = 0; i <= 11; ++i) {
    now = kStart + std::chrono::seconds(i);
    p.Observe(LoadSample{
        now, {{"node1", 10, 1, 5e6, 0}, {"node2", 10, 1, 2e6, 0}, {"node3", 10, 1, 2e6, 0}, {"node4", 10, 1, 9e6, 0}}});
  }
  auto d = p.Decide(State(4), now);
  CHECK(d.action == ScaleAction::kRemove);
  CHECK(d.node == "node3");
}

TEST_CASE("never below N nodes, nor below the configured minimum") {
  {
    AutoscalePolicy p(Thresholds());
    auto now = Feed(p, 3, 0, 11);
    auto d = p.Decide(State(3, /*n=*/3), now);
    CHECK(d.action == ScaleAction::kNone);
    CHECK(d.reason.find("floor") != std::string::npos);
  }
  {
    AutoscaleThresholds t = Thresholds();
    t.min_nodes = 5;
    AutoscalePolicy p(t);
    auto now = Feed(p, 5, 0, 11);
    CHECK(p.Decide(State(5, 3), now).action == ScaleAction::kNone);
    now = Feed(p, 6, 0, 11, now + 1s);
    CHECK(p.Decide(State(6, 3), now).action == ScaleAction::kRemove);
  }
}

TEST_CASE("never above the configured maximum") {
  AutoscaleThresholds t = Thresholds();
  t.max_nodes = 4;
  AutoscalePolicy p(t);
  auto now = Feed(p, 4, 5000, 11);
  auto d = p.Decide(State(4), now);
  CHECK(d.action == ScaleAction::kNone);
  CHECK(d.reason.find("maximum") != std::string::npos);
}

TEST_CASE("nothing while a join, a leave, a repair or the autoscaler's own change is unfinished") {
  for (std::string what : {"node4 is joining", "node2 is leaving", "a repair is running on node1",
                           "waiting for auto1 to join (added 3 s ago)"}) {
    AutoscalePolicy p(Thresholds());
    auto now = Feed(p, 3, 5000, 11);
    ClusterState s = State(3);
    s.unfinished = what;
    auto d = p.Decide(s, now);
    CHECK(d.action == ScaleAction::kNone);
    CHECK(d.reason.find(what) != std::string::npos);
  }
}

TEST_CASE("nothing within the cool-down after a change, and only load sampled after the change counts") {
  AutoscalePolicy p(Thresholds());
  auto now = Feed(p, 3, 5000, 40);
  ClusterState s = State(4);
  s.last_change = kStart + 20s;
  auto d = p.Decide(s, now);  // 20 s after the change, cool-down 30 s
  CHECK(d.action == ScaleAction::kNone);
  CHECK(d.reason.find("cooling down") != std::string::npos);
  now = Feed(p, 4, 5000, 20, now + 1s);  // 41 s after the change: past the cool-down
  CHECK(p.Decide(s, now).action == ScaleAction::kAdd);
  // A change 5 s ago (cool-down 0): its window is not covered yet.
  AutoscaleThresholds t = Thresholds();
  t.cooldown = 0s;
  AutoscalePolicy q(t);
  now = Feed(q, 4, 5000, 30);
  s.last_change = now - 5s;
  d = q.Decide(s, now);
  CHECK(d.action == ScaleAction::kNone);
  CHECK(d.reason.find("observing") != std::string::npos);
}

TEST_CASE("a slow worst node adds a node when p99 is a signal, and a p99 over the scale-down bound blocks removal") {
  AutoscaleThresholds t = Thresholds();
  t.up_p99_ms = 50;
  t.down_p99_ms = 10;
  {
    AutoscalePolicy p(t);
    AutoscaleClock::time_point now = kStart;
    for (int i = 0; i <= 11; ++i) {
      now = kStart + std::chrono::seconds(i);
      p.Observe(LoadSample{now, {{"node1", 500, 80, 0, 0}, {"node2", 500, 2, 0, 0}, {"node3", 500, 2, 0, 0}}});
    }
    auto d = p.Decide(State(3), now);
    CHECK(d.action == ScaleAction::kAdd);
    CHECK(d.reason.find("p99") != std::string::npos);
  }
  {
    AutoscalePolicy p(t);
    AutoscaleClock::time_point now = kStart;
    for (int i = 0; i <= 11; ++i) {
      now = kStart + std::chrono::seconds(i);
      p.Observe(LoadSample{
          now, {{"node1", 5, 20, 0, 0}, {"node2", 5, 2, 0, 0}, {"node3", 5, 2, 0, 0}, {"node4", 5, 2, 0, 0}}});
    }
    CHECK(p.Decide(State(4), now).action == ScaleAction::kNone);
  }
}

TEST_CASE("queued hints block a scale-down, and so does disk the remaining nodes could not hold") {
  {
    AutoscalePolicy p(Thresholds());
    AutoscaleClock::time_point now = kStart;
    for (int i = 0; i <= 11; ++i) {
      now = kStart + std::chrono::seconds(i);
      p.Observe(LoadSample{
          now, {{"node1", 5, 1, 0, 0}, {"node2", 5, 1, 0, 12}, {"node3", 5, 1, 0, 0}, {"node4", 5, 1, 0, 0}}});
    }
    CHECK(p.Decide(State(4), now).action == ScaleAction::kNone);
  }
  {
    AutoscaleThresholds t = Thresholds();
    t.up_disk_bytes = 100;
    AutoscalePolicy p(t);
    AutoscaleClock::time_point now = kStart;
    for (int i = 0; i <= 11; ++i) {
      now = kStart + std::chrono::seconds(i);
      // 280 bytes on 4 nodes: 3 nodes would hold 93 each (fine); 320 would be 107 (too much).
      p.Observe(LoadSample{
          now, {{"node1", 5, 1, 80, 0}, {"node2", 5, 1, 80, 0}, {"node3", 5, 1, 80, 0}, {"node4", 5, 1, 80, 0}}});
    }
    CHECK(p.Decide(State(4), now).action == ScaleAction::kNone);
    for (int i = 12; i <= 30; ++i) {
      now = kStart + std::chrono::seconds(i);
      p.Observe(LoadSample{
          now, {{"node1", 5, 1, 70, 0}, {"node2", 5, 1, 70, 0}, {"node3", 5, 1, 70, 0}, {"node4", 5, 1, 70, 0}}});
    }
    CHECK(p.Decide(State(4), now).action == ScaleAction::kRemove);
  }
}

TEST_CASE("a node's load is the growth of its counters in keys per second, p99 from the buckets, disk and hints") {
  StatsReading before{{"rpc_keys_total{op=\"get\"}", 100},
                      {"rpc_keys_total{op=\"put\"}", 50},
                      {"rpc_latency_seconds_bucket{op=\"get\",le=\"0.001\"}", 10},
                      {"rpc_latency_seconds_bucket{op=\"get\",le=\"0.01\"}", 10},
                      {"rpc_latency_seconds_bucket{op=\"get\",le=\"+Inf\"}", 10}};
  StatsReading after{{"rpc_keys_total{op=\"get\"}", 1100},
                     {"rpc_keys_total{op=\"put\"}", 1050},
                     {"rpc_latency_seconds_bucket{op=\"get\",le=\"0.001\"}", 960},  // 950 new under 1 ms
                     {"rpc_latency_seconds_bucket{op=\"get\",le=\"0.01\"}", 1005},  // 45 more under 10 ms
                     {"rpc_latency_seconds_bucket{op=\"get\",le=\"+Inf\"}", 1010},  // 5 slower
                     {"sstable_bytes", 1000},
                     {"memtable_bytes", 200},
                     {"wal_bytes", 30},
                     {"hints_queued_total", 7},
                     {"repair_sessions_running", 1}};
  NodeLoad load = LoadBetween("node1", before, after, 2.0);
  CHECK(load.id == "node1");
  CHECK(load.ops_per_s == Approx(1000));   // 2000 keys in 2 s
  CHECK(load.p99_ms == Approx(10));        // 995 of 1000 within 10 ms
  CHECK(load.disk_bytes == Approx(1230));  // SSTables + memtables + WAL
  CHECK(load.hints_queued == 7);
  CHECK(RepairsRunning(after) == 1);
  // A restarted node's counters start from zero again: their value is the growth.
  NodeLoad restarted = LoadBetween("node1", after, before, 1.0);
  CHECK(restarted.ops_per_s == Approx(150));
  CHECK(LoadBetween("node1", before, before, 1.0).p99_ms == 0);  // no calls: no latency
}

TEST_CASE("a command template's placeholders become shell-quoted values and an unknown one is refused") {
  auto cmd = ExpandCommand("provision --id {node_id} --join {seed} --x {{literal}",
                           {{"node_id", "auto1"}, {"seed", "127.0.0.1:7001"}});
  REQUIRE(cmd.ok());
  CHECK(*cmd == "provision --id 'auto1' --join '127.0.0.1:7001' --x {literal}");
  auto hostile = ExpandCommand("echo {node_id}", {{"node_id", "a'; rm -rf /tmp/x; echo '"}});
  REQUIRE(hostile.ok());
  CHECK(*hostile == "echo 'a'\\''; rm -rf /tmp/x; echo '\\'''");
  auto unknown = ExpandCommand("echo {nodeid}", {{"node_id", "a"}});
  CHECK(unknown.status().IsInvalidArgument());
  CHECK(unknown.status().message().find("{nodeid}") != std::string::npos);
  CHECK(ExpandCommand("echo {node_id", {{"node_id", "a"}}).status().IsInvalidArgument());
}
