#include <cmath>
#include <cstdio>
#include <random>

#include <catch2/catch.hpp>

#include "node/cluster/gossip_state.h"

using namespace ringkv;

namespace {

MemberRecord Record(std::string id, uint64_t generation = 1, uint64_t heartbeat = 0, uint64_t epoch = 1) {
  MemberRecord r;
  r.id = std::move(id);
  r.address = "127.0.0.1:" + r.id;
  r.generation = generation;
  r.heartbeat = heartbeat;
  r.ring_epoch = epoch;
  r.tokens = {std::hash<std::string>{}(r.id)};
  return r;
}

GossipConfig Config() { return GossipConfig{5000, 30000, 3}; }

}  // namespace

TEST_CASE("a merge keeps the newer record by generation, then ring epoch, then heartbeat") {
  GossipState g(Record("a"), Config(), 0);
  std::vector<MemberRecord> in{Record("b", 1, 5)};
  g.Merge(in, 0);
  in = {Record("b", 1, 3)};
  CHECK_FALSE(g.Merge(in, 0).changed);
  CHECK(g.Find("b")->heartbeat == 5);
  in = {Record("b", 1, 1, 2)};  // higher epoch wins over a higher heartbeat
  CHECK(g.Merge(in, 0).ring_changed == false);
  CHECK(g.Find("b")->ring_epoch == 2);
  in = {Record("b", 2, 0, 1)};  // a restart wins over everything of the old generation
  g.Merge(in, 0);
  CHECK(g.Find("b")->generation == 2);
}

TEST_CASE("merging is idempotent and independent of order") {
  std::vector<MemberRecord> updates{Record("b", 1, 4), Record("c", 2, 1), Record("b", 1, 9), Record("c", 1, 50),
                                    Record("d", 1, 1, 3)};
  GossipState forward(Record("a"), Config(), 0), backward(Record("a"), Config(), 0);
  for (const auto& u : updates) forward.Merge(std::span(&u, 1), 0);
  for (auto it = updates.rbegin(); it != updates.rend(); ++it) backward.Merge(std::span(&*it, 1), 0);
  forward.Merge(updates, 0);  // again: nothing changes
  for (const char* id : {"b", "c", "d"}) CHECK(*forward.Find(id) == *backward.Find(id));
  CHECK(forward.RingVersion() == backward.RingVersion());
}

TEST_CASE("a silent member turns suspect, then down, and up again when its heartbeat moves") {
  GossipState g(Record("a"), Config(), 0);
  std::vector<MemberRecord> in{Record("b", 1, 1)};
  g.Merge(in, 0);
  g.Tick(4000);
  CHECK(g.StatusOf("b") == MemberStatus::kUp);
  g.Tick(5001);
  CHECK(g.StatusOf("b") == MemberStatus::kSuspect);
  g.Tick(30001);
  CHECK(g.StatusOf("b") == MemberStatus::kDown);
  in = {Record("b", 1, 2)};
  g.Merge(in, 30002);
  CHECK(g.StatusOf("b") == MemberStatus::kUp);
  CHECK(g.StatusOf("a") == MemberStatus::kUp);
  CHECK(g.StatusOf("nobody") == MemberStatus::kDown);
}

TEST_CASE("a removal supersedes the removed node's records of that generation, not a restart") {
  GossipState g(Record("a"), Config(), 0);
  std::vector<MemberRecord> in{Record("b", 1, 7)};
  g.Merge(in, 0);
  uint64_t before = g.RingVersion();
  REQUIRE(g.Remove("b", 0).ok());
  CHECK(g.Find("b")->ring_state == RingState::kRemoved);
  CHECK(g.RingVersion() > before);
  in = {Record("b", 1, 100)};  // its own later heartbeats of the same incarnation lose
  g.Merge(in, 0);
  CHECK(g.Find("b")->ring_state == RingState::kRemoved);
  in = {Record("b", 2, 0)};  // restarted: it is back
  g.Merge(in, 0);
  CHECK(g.Find("b")->ring_state == RingState::kNormal);
  CHECK(g.Remove("a", 0).IsInvalidArgument());
  CHECK(g.Remove("zed", 0).IsInvalidArgument());
}

TEST_CASE("records about ourselves never replace ours, except our own removal") {
  GossipState g(Record("a", 5), Config(), 0);
  std::vector<MemberRecord> in{Record("a", 5, 99, 9)};
  g.Merge(in, 0);
  CHECK(g.self().heartbeat == 0);
  CHECK_FALSE(g.self_removed());
  MemberRecord removal = Record("a", 5, 0, 2);
  removal.ring_state = RingState::kRemoved;
  in = {removal};
  g.Merge(in, 0);
  CHECK(g.self_removed());
}

TEST_CASE("the ring version never decreases, even when a wiped node restarts its epochs") {
  GossipState g(Record("a"), Config(), 0);
  std::mt19937_64 rng(7);
  uint64_t last = g.RingVersion();
  for (int i = 0; i < 2000; ++i) {
    std::vector<MemberRecord> in{Record("n" + std::to_string(rng() % 5), 1 + rng() % 3, rng() % 10, rng() % 4)};
    g.Merge(in, 0);
    if (i % 100 == 0) g.SetSelfRingState(i % 200 == 0 ? RingState::kLeaving : RingState::kNormal);
    REQUIRE(g.RingVersion() >= last);
    last = g.RingVersion();
  }
}

TEST_CASE("a node restarted with its data wiped agrees with its peers on the ring version") {
  // b ran (epoch 7 after some restarts), then lost its data and started again: its new
  // incarnation starts above every earlier epoch (bootstrap.cc FreshIncarnationEpoch).
  GossipState a(Record("a"), Config(), 0);
  std::vector<MemberRecord> old_b{Record("b", 1, 3, 7)};
  a.Merge(old_b, 0);
  GossipState b(Record("b", 2, 0, 1000), Config(), 0);
  std::vector<MemberRecord> from_a{*a.Find("a"), *a.Find("b")};  // a still has b's old record
  b.Merge(from_a, 0);
  std::vector<MemberRecord> from_b{*b.Find("a"), *b.Find("b")};
  a.Merge(from_b, 0);
  CHECK(a.Find("b")->generation == 2);
  CHECK(a.RingVersion() == b.RingVersion());
  // An epoch restarted below the old one (the bug) would leave them apart for good.
  GossipState c(Record("b", 3, 0, 1), Config(), 0);
  std::vector<MemberRecord> again{*a.Find("a")};
  c.Merge(again, 0);
  std::vector<MemberRecord> from_c{*c.Find("b")};
  a.Merge(from_c, 0);
  CHECK(a.RingVersion() != c.RingVersion());
}

TEST_CASE("peers picked are distinct, never ourselves and never removed members") {
  GossipState g(Record("a"), Config(), 0);
  std::vector<MemberRecord> in;
  for (int i = 0; i < 10; ++i) in.push_back(Record("n" + std::to_string(i)));
  g.Merge(in, 0);
  REQUIRE(g.Remove("n3", 0).ok());
  std::mt19937_64 rng(1);
  for (int round = 0; round < 200; ++round) {
    auto peers = g.PickPeers(rng);
    CHECK(peers.size() == 3);
    std::sort(peers.begin(), peers.end());
    CHECK(std::adjacent_find(peers.begin(), peers.end()) == peers.end());
    for (const auto& p : peers) {
      CHECK(p != "a");
      CHECK(p != "n3");
    }
  }
}

// ---- simulation ----

namespace {

// N nodes gossiping in synchronous rounds of one simulated second: every message carries
// its sender's table as of the start of the round (so news travels at most one hop per
// round), and each message and each reply is lost with probability `loss`.
struct Simulation {
  Simulation(int n, double loss_rate, GossipConfig config) : loss(loss_rate), rng(42) {
    std::vector<MemberRecord> everyone;
    for (int i = 0; i < n; ++i) {
      everyone.push_back(Record("n" + std::to_string(i), 1, 0));
      everyone.back().tokens.clear();  // the ring plays no part here; keeps copies cheap
      everyone.back().address = "a";
    }
    for (int i = 0; i < n; ++i) {
      nodes.emplace_back(everyone[i], config, 0);
      nodes.back().Merge(everyone, 0);
    }
    alive.assign(n, true);
  }

  void Round() {
    now_ms += 1000;
    std::bernoulli_distribution lost(loss);
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (alive[i]) nodes[i].Tick(now_ms);
    }
    std::vector<std::vector<MemberRecord>> at_start;
    at_start.reserve(nodes.size());
    for (const auto& n : nodes) at_start.push_back(n.Snapshot());
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (!alive[i]) continue;
      for (const std::string& peer : nodes[i].PickPeers(rng)) {
        size_t j = std::stoul(peer.substr(1));
        if (!alive[j] || lost(rng)) continue;
        nodes[j].Merge(at_start[i], now_ms);                  // push
        if (!lost(rng)) nodes[i].Merge(at_start[j], now_ms);  // pull
      }
    }
  }

  double loss;
  std::mt19937_64 rng;
  uint64_t now_ms = 0;
  std::vector<GossipState> nodes;
  std::vector<bool> alive;
};

}  // namespace

TEST_CASE("gossip among 1000 simulated nodes with 10% message loss spreads fast and detects failures exactly") {
  constexpr int kNodes = 1000;
  GossipConfig config{5000, 15000, 3};
  Simulation sim(kNodes, 0.10, config);
  for (int i = 0; i < 3; ++i) sim.Round();  // warm up

  // Dissemination: node 0's heartbeat as of now reaches everyone within c * log2(N) rounds.
  uint64_t target = sim.nodes[0].self().heartbeat + 1;
  int rounds = 0;
  auto everyone_knows = [&] {
    for (const auto& n : sim.nodes) {
      if (n.Find("n0")->heartbeat < target) return false;
    }
    return true;
  };
  const int bound = static_cast<int>(std::ceil(2 * std::log2(kNodes)));
  while (!everyone_knows() && rounds < 100) {
    sim.Round();
    ++rounds;
  }
  std::printf("gossip sim: a heartbeat reached all %d nodes in %d rounds (bound 2*log2(N) = %d)\n", kNodes, rounds,
              bound);
  CHECK(rounds <= bound);

  // Failure detection: kill node 7; every live node marks it suspect, then down.
  sim.alive[7] = false;
  int suspect_round = -1, down_round = -1;
  bool false_positive = false;
  for (int r = 1; r <= 40 && down_round < 0; ++r) {
    sim.Round();
    bool all_suspect = true, all_down = true;
    for (int i = 0; i < kNodes; ++i) {
      if (!sim.alive[i]) continue;
      MemberStatus s = sim.nodes[i].StatusOf("n7");
      all_suspect = all_suspect && s != MemberStatus::kUp;
      all_down = all_down && s == MemberStatus::kDown;
      for (int j : {0, 1, 500, 999})
        false_positive = false_positive || sim.nodes[i].StatusOf("n" + std::to_string(j)) != MemberStatus::kUp;
    }
    if (all_suspect && suspect_round < 0) suspect_round = r;
    if (all_down) down_round = r;
  }
  std::printf("gossip sim: node 7 killed; suspect everywhere after %d rounds (T = %d s), down after %d (T' = %d s)\n",
              suspect_round, static_cast<int>(config.suspect_after_ms / 1000), down_round,
              static_cast<int>(config.down_after_ms / 1000));
  // T (or T') plus the time the last heartbeat needed to spread.
  CHECK(suspect_round > 0);
  CHECK(suspect_round <= static_cast<int>(config.suspect_after_ms / 1000) + bound);
  CHECK(down_round > 0);
  CHECK(down_round <= static_cast<int>(config.down_after_ms / 1000) + bound);
  CHECK_FALSE(false_positive);

  // No live node is marked suspect or down by anyone at the end either.
  int wrongly_marked = 0;
  for (int i = 0; i < kNodes; ++i) {
    if (!sim.alive[i]) continue;
    for (int j = 0; j < kNodes; ++j) {
      if (sim.alive[j] && sim.nodes[i].StatusOf("n" + std::to_string(j)) != MemberStatus::kUp) ++wrongly_marked;
    }
  }
  CHECK(wrongly_marked == 0);
}

TEST_CASE("a normal member adopts the tokens a member that left named it heir of, keeping its weight") {
  MemberRecord self = Record("b");
  self.tokens = {10, 20};
  GossipState g(self, Config(), 0);
  MemberRecord leaver = Record("a", 1, 0, 3);
  leaver.tokens = {5, 15, 25};
  leaver.ring_state = RingState::kLeaving;
  leaver.heirs = {{5, "b"}, {15, "c"}, {25, "b"}};
  std::vector<MemberRecord> in{leaver};
  g.Merge(in, 0);
  CHECK(g.self().tokens == std::vector<uint64_t>{10, 20});  // not while it is still leaving
  uint64_t version = g.RingVersion();
  leaver.ring_state = RingState::kLeft;
  leaver.ring_epoch = 4;
  in = {leaver};
  CHECK(g.Merge(in, 0).ring_changed);
  CHECK(g.self().tokens == std::vector<uint64_t>{10, 20, 5, 25});
  CHECK(g.self().weight == 2);
  CHECK(g.RingVersion() > version + 1);  // the leaver's epoch and ours
  CHECK_FALSE(g.Merge(in, 0).changed);   // adopted once
  CHECK(g.self().tokens.size() == 4);
}

TEST_CASE("a leaving member does not adopt inherited tokens: its own heirs cover them") {
  GossipState g(Record("b"), Config(), 0);
  g.SetSelfLeaving({{std::hash<std::string>{}("b"), "c"}});
  MemberRecord left = Record("a", 1, 0, 2);
  left.ring_state = RingState::kLeft;
  left.heirs = {{7, "b"}};
  std::vector<MemberRecord> in{left};
  g.Merge(in, 0);
  CHECK(g.self().tokens.size() == 1);
  CHECK(g.self().ring_state == RingState::kLeaving);
}
