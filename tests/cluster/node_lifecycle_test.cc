// A node's life on real processes: shutting down with work in flight, and crashing (kill -9)
// while it rewrites its metadata files (MEMBERSHIP, the engines' MANIFESTs, IDENTITY on a
// first start), then starting again with everything it acknowledged.

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <capnp/ez-rpc.h>
#include <catch2/catch.hpp>

#include "capnp/convert.h"
#include "tests/cluster/local_cluster.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;

TEST_CASE("a node stopped while Merkle opens are queued on its workers drains them and exits cleanly") {
  // One worker thread, many deep Merkle opens pipelined on one connection: all but one
  // wait in the worker queue when SIGTERM comes. Each queued job calls into the node's
  // AntiEntropy and Membership; the node must finish (or skip) them before it destroys
  // those, or a sanitized kvnode reports a heap-use-after-free and exits non-zero.
  LocalClusterOptions options = FastCluster(2);
  options.extra_flags.insert(options.extra_flags.end(), {"--worker-threads", "1"});
  auto cluster = LocalCluster::Start(options);
  REQUIRE(cluster.ok());

  constexpr int kOpens = 200;
  constexpr int kDepth = 18;  // 2^18 leaves: milliseconds of work per open
  capnp::EzRpcClient rpc((*cluster)->address(0));
  auto node = rpc.getMain<wire::Gate>().loginRequest().send().getNode();
  std::vector<kj::Promise<void>> opens;
  for (int i = 0; i < kOpens; ++i) {
    auto req = node.merkleOpenRequest();
    req.initHeader().setProtocolVersion(wire::PROTOCOL_VERSION);
    req.setPeer((*cluster)->id(1));
    req.setDepth(kDepth);
    opens.push_back(req.send().ignoreResult().catch_([](kj::Exception&&) {}));  // the node goes away mid-call
  }
  // Calls on one capability are delivered in order: once this ping is answered, every
  // open above has reached the node's event loop and sits in the worker queue.
  auto ping = node.pingRequest();
  ping.initHeader().setProtocolVersion(wire::PROTOCOL_VERSION);
  auto pong = ping.send().wait(rpc.getWaitScope());
  REQUIRE(wire::FromWire(pong.getError()).ok());

  Status stopped = (*cluster)->StopCleanly(0);
  INFO(stopped.ToString() << "; log:\n" << (*cluster)->kvnode_log(0));
  REQUIRE(stopped.ok());
}

namespace {

// Keys this test's client had acknowledged, with their values.
class AckedWrites {
 public:
  void Add(const std::string& key, const std::string& value) {
    std::lock_guard lock(mu_);
    acked_[key] = value;
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return acked_.size();
  }
  std::map<std::string, std::string> Snapshot() {
    std::lock_guard lock(mu_);
    return acked_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> acked_;
};

}  // namespace

TEST_CASE("kill -9 during metadata rewrites never leaves a node that refuses to start or lost an acknowledged write") {
  // Every round: writes go on (W = all three replicas, strict: an acknowledged key is on
  // every node), small memtables flush and compact all the time (MANIFEST rewrites), and
  // the previous round's restart bumped a ring epoch that every node saves (MEMBERSHIP
  // rewrites). Then one node is killed at a random moment and must start again.
  LocalClusterOptions options = FastCluster(3);
  options.memtable_mb = 1;
  options.durability = "always";  // acknowledged = fsync'd (batch may lose its last few ms to kill -9)
  auto cluster = LocalCluster::Start(options);
  REQUIRE(cluster.ok());
  ClientOptions client_options;
  client_options.w = 3;
  client_options.sloppy_quorum = false;
  auto client = (*cluster)->Connect(client_options);
  REQUIRE(client.ok());

  AckedWrites acked;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    const std::string filler(2048, 'x');
    for (uint64_t i = 0; !stop.load(); ++i) {
      std::string key = "crash-" + std::to_string(i);
      std::string value = std::to_string(i) + filler;
      if ((*client)->Put(key, value).ok()) acked.Add(key, value);
    }
  });
  struct JoinWriter {
    std::atomic<bool>& stop;
    std::thread& writer;
    ~JoinWriter() {
      stop = true;
      writer.join();
    }
  } join_writer{stop, writer};

  const unsigned seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  constexpr int kRounds = 15;
  for (int round = 0; round < kRounds; ++round) {
    // Some writes of this round acknowledged before the kill (while the last restart's
    // ring epoch spreads), then a random moment.
    size_t target = acked.size() + 50;
    REQUIRE(Eventually(20s, [&] { return acked.size() >= target; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 300)(rng)));
    int victim = static_cast<int>(rng() % 3);
    INFO("round " << round << ": kill -9 " << (*cluster)->id(victim));
    REQUIRE((*cluster)->Kill(victim).ok());
    Status restarted = (*cluster)->Restart(victim);
    INFO((*cluster)->kvnode_log(victim));
    REQUIRE(restarted.ok());
  }
  stop = true;

  // Every acknowledged key is on every node, as acknowledged.
  auto written = acked.Snapshot();
  REQUIRE(written.size() >= kRounds * 50);
  std::vector<std::string> keys;
  for (const auto& [key, value] : written) keys.push_back(key);
  for (int i = 0; i < (*cluster)->size(); ++i) {
    auto held = ReadReplicaBatch((*cluster)->address(i), keys);
    REQUIRE(held.ok());
    size_t missing = 0;
    for (size_t k = 0; k < keys.size(); ++k) {
      const auto& r = (*held)[k];
      if (!r.ok() || r->size() != 1 || (*r)[0] != written[keys[k]]) {
        if (missing < 5) {
          UNSCOPED_INFO(keys[k] << ": " << (r.ok() ? std::to_string(r->size()) + " values" : r.status().ToString()));
        }
        ++missing;
      }
    }
    INFO((*cluster)->id(i) << " lost " << missing << " of " << keys.size() << " acknowledged writes");
    CHECK(missing == 0);
  }
}
