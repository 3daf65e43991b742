#pragma once
// LocalCluster: N real kvnode processes on 127.0.0.x loopback addresses, each with a free
// port and its own data directory under a temp dir; the one fixture every cluster test
// and benchmark uses. Nodes can be killed (-9), paused (SIGSTOP), resumed and restarted.
// The destructor stops every process and removes the directory, whatever happened.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/vector_clock.h"
#include "ringkv/client.h"
#include "ringkv/status.h"

namespace ringkv::testing {

struct LocalClusterOptions {
  int nodes = 3;
  std::string cluster_name = "test-cluster";
  std::string durability = "batch";
  int memtable_mb = 4;                   // small, so tests exercise flushes and compactions
  std::vector<std::string> extra_flags;  // passed to every kvnode
  std::vector<std::string> dcs;          // node i's --dc (default: the node's default)
  std::string log_level = "warn";
};

// Gossip, handoff and failure-detection timings short enough for tests (seconds, not the
// production tens of seconds): pass in LocalClusterOptions::extra_flags.
std::vector<std::string> FastFailureDetection();
// Options for `nodes` nodes with those timings.
LocalClusterOptions FastCluster(int nodes = 3);

class LocalCluster {
 public:
  // Starts the nodes and waits until each accepts connections (bounded); fails loudly.
  static Result<std::unique_ptr<LocalCluster>> Start(LocalClusterOptions options);
  ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  const std::string& id(int i) const { return nodes_[i].id; }
  const std::string& address(int i) const { return nodes_[i].address; }
  const std::string& admin_address(int i) const { return nodes_[i].admin; }  // admin HTTP host:port
  std::string seeds() const;                                                 // every address, comma-separated
  const std::string& data_dir(int i) const { return nodes_[i].data_dir; }
  int IndexOf(const std::string& node_id) const;

  Status Kill(int i);  // SIGKILL and reap
  Status Stop(int i);  // SIGTERM (clean shutdown) and reap
  // SIGTERM and reap; an error unless the node then exited by itself with status 0 (a
  // crash, a sanitizer report or a failed close is an error, not a clean shutdown).
  Status StopCleanly(int i);
  Status Pause(int i);    // SIGSTOP
  Status Resume(int i);   // SIGCONT
  Status Restart(int i);  // start again with the same id, address and data
  Status Wipe(int i);     // delete a stopped node's data directory
  bool IsRunning(int i) const { return nodes_[i].pid > 0; }
  pid_t pid(int i) const { return nodes_[i].pid; }
  // Starts one more node (127.0.0.<n+1>) that joins the running cluster through node 0.
  // `flags` ("--name", "value" pairs) replace the same flags of extra_flags for it alone.
  Result<int> AddJoiningNode(std::vector<std::string> flags = {});
  // Waits (bounded) for a node to exit on its own (after a decommission).
  Status WaitExit(int i, std::chrono::milliseconds limit);

  // A connected client; `options` seeds/cluster name are filled in when empty.
  Result<std::unique_ptr<Client>> Connect(ClientOptions options = {}) const;
  std::string kvnode_log(int i) const;

 private:
  struct Node {
    std::string id;
    std::string address;
    std::string admin;
    std::string data_dir;
    std::string join;                // host:port it joined through (empty: a founder)
    std::vector<std::string> flags;  // its own flags, over extra_flags
    pid_t pid = -1;
    int launches = 0;  // how many times it was started (its log marks each)
  };
  explicit LocalCluster(LocalClusterOptions options) : options_(std::move(options)) {}
  Status Launch(int i);
  Status WaitReady(int i, std::chrono::milliseconds limit);
  std::vector<std::string> Args(int i) const;

  LocalClusterOptions options_;
  std::string root_;
  std::vector<Node> nodes_;
};

// What one replica holds for a key, asked over RPC directly (not through the SDK):
// its sibling values (tombstones excluded), or NotFound.
Result<std::vector<std::string>> ReadReplicaDirectly(const std::string& address, const std::string& key);
// The same replica's whole sibling set for the key (context, dots, tombstones): an empty
// set when it holds none.
Result<SiblingSet> ReadReplicaVersions(const std::string& address, const std::string& key);
// The same for many keys over one connection: one result per key, in order.
Result<std::vector<Result<std::vector<std::string>>>> ReadReplicaBatch(const std::string& address,
                                                                       const std::vector<std::string>& keys);

// Polls `done` every 100 ms until it holds or `limit` passes; returns whether it held.
template <typename F>
bool Eventually(std::chrono::milliseconds limit, F done) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

// What a shell command printed (stdout and stderr) and its exit code (-1: it did not exit).
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult RunCommand(const std::string& command);

// A plain TCP connection to an IPv4 host:port: the socket, or -1.
int ConnectTcp(const std::string& address);

// Runs a Merkle repair from `node` against every peer, retrying (bounded) while it is
// refused because the nodes' rings still differ (a change spreading by gossip).
Result<RepairReport> RepairWhenSettled(Client& client, const std::string& node,
                                       std::chrono::milliseconds limit = std::chrono::seconds(20));

// Refreshes the client's ring; true when gossip reports every member up.
bool AllMembersUp(Client& client);

// A node's counter from its stats RPC: 0 when the node does not report it, -1 when the
// node cannot be asked.
double StatValue(Client& client, const std::string& node, const std::string& name);

// Hint entries the running nodes hold now, summed (a node that cannot be asked counts 0).
double QueuedHints(Client& client, const LocalCluster& cluster);

// Compacts node i's data engine now (admin /test/compact, builds with the test hooks) and
// returns the admin's JSON answer: tombstones_dropped, tombstones_awaiting_proof,
// table_bytes, blob_bytes. Waits up to `limit` for the compaction.
Result<std::string> CompactNode(const LocalCluster& cluster, int i,
                                std::chrono::milliseconds limit = std::chrono::minutes(10));

}  // namespace ringkv::testing
