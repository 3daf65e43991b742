#pragma once
// Nemesis: injects one fault at a time into a LocalCluster, each bounded in time, then
// heals it: kill -9 + restart, SIGSTOP/SIGCONT pause, an iptables partition (one node
// isolated, majority/minority, or a bridge where one node sees both halves), and a node
// restarted with its data directory wiped (repair must bring it back). Clock skew is not a
// nemesis fault: the SDK stamps writes, so it is injected per client
// (ClientOptions::clock_offset) by its own test in chaos_test.cc; a node's clock only ages
// tombstones and hints.

#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/cluster/local_cluster.h"

namespace ringkv::chaos {

enum class Fault { kKill, kPause, kWipe, kIsolate, kMajorityMinority, kBridge };

struct NemesisOptions {
  uint64_t seed = 1;
  // The kinds drawn from, in shuffled rounds: every round has each kind once.
  std::vector<Fault> faults = {Fault::kKill,  Fault::kPause, Fault::kWipe, Fault::kIsolate, Fault::kMajorityMinority,
                               Fault::kBridge};
  // Picks the node a one-node fault (kill, pause, wipe, isolation) hits, e.g. the primary
  // replica of a key under load. Unset: a random node.
  std::function<int()> target;
  // The addresses the clients bind to (ClientOptions::bind_host). A partition puts them
  // on the side of the majority, so that the isolated node is cut off from them too: the
  // requests in flight to it stay in flight until the heal. Without a bind address a
  // client's packets come from 127.0.0.1, node1's address, and it shares node1's side.
  std::vector<std::string> client_ips;
};

class Nemesis {
 public:
  Nemesis(testing::LocalCluster& cluster, uint64_t seed) : Nemesis(cluster, WithSeed(seed)) {}
  Nemesis(testing::LocalCluster& cluster, NemesisOptions options)
      : cluster_(cluster), options_(std::move(options)), rng_(options_.seed) {}

  // One fault injected: its kind ("pause", "partition: one isolated", ...), the node it
  // hit (the isolated, bridging or stopped one; -1 for majority/minority), and when it
  // began and was healed.
  struct Event {
    std::string kind;
    int node = -1;
    std::chrono::steady_clock::time_point start, healed;
  };

  // The next fault, held for 1.5-4 s, then healed (the node restarted / resumed).
  Status InjectOnce();
  const std::map<std::string, int>& counts() const { return counts_; }  // faults by kind
  const std::vector<Event>& events() const { return events_; }          // in order

 private:
  static NemesisOptions WithSeed(uint64_t seed) {
    NemesisOptions o;
    o.seed = seed;
    return o;
  }
  Status KillAndRestart(int node);
  Status Pause(int node);
  Status Partition(Fault kind, int node);
  Status WipeAndRestart(int node);
  void HoldFault();
  void Began(const std::string& kind, int node);  // counts it and opens its Event

  testing::LocalCluster& cluster_;
  NemesisOptions options_;
  std::mt19937_64 rng_;
  std::map<std::string, int> counts_;
  std::vector<Event> events_;
  std::vector<Fault> round_;  // fault kinds left in this round
};

}  // namespace ringkv::chaos
