#pragma once
// Nemesis: injects one fault at a time into a LocalCluster, each bounded in time, then
// heals it: kill -9 + restart, SIGSTOP/SIGCONT pause, an iptables partition (one node
// isolated, majority/minority, or a bridge where one node sees both halves), and a node
// restarted with its data directory wiped (repair must bring it back). Clock skew is not a
// nemesis fault: the SDK stamps writes, so it is injected per client
// (ClientOptions::clock_offset) by its own test in chaos_test.cc; a node's clock only ages
// tombstones and hints.

#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/cluster/local_cluster.h"

namespace ringkv::chaos {

class Nemesis {
 public:
  Nemesis(testing::LocalCluster& cluster, uint64_t seed) : cluster_(cluster), rng_(seed) {}

  // The next fault, held for 1.5-4 s, then healed (the node restarted / resumed). Kinds
  // come in shuffled rounds, so every 6 faults include each kind once.
  Status InjectOnce();
  const std::map<std::string, int>& counts() const { return counts_; }  // faults by kind

 private:
  Status KillAndRestart(int node);
  Status Pause(int node);
  Status Partition(int kind);
  Status WipeAndRestart(int node);
  void HoldFault();

  testing::LocalCluster& cluster_;
  std::mt19937_64 rng_;
  std::map<std::string, int> counts_;
  std::vector<int> round_;  // fault kinds left in this round
};

}  // namespace ringkv::chaos
