// A node on a failing or full disk, in a running cluster: it refuses writes with a clear
// error and says why in /health and its metrics, keeps serving reads, loses no
// acknowledged write, and the cluster keeps taking W=2 puts through the other replicas.
// Fsync failures come from file.cc's test-only fault seam (RINGKV_FAULTS_FILE); the full
// disk is a real one: a small tmpfs mounted on the node's data directory (needs root).

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "tests/cluster/http_client.h"
#include "tests/cluster/local_cluster.h"
#include "tests/temp_dir.h"
#include "tests/tmpfs_mount.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// The node's /health: its HTTP status and body ("" when it cannot be asked).
std::pair<int, std::string> Health(const LocalCluster& cluster, int i) {
  auto reply = HttpGet(cluster.admin_address(i), "/health");
  if (!reply.ok()) return {0, ""};
  return {reply->status, reply->body};
}

bool Unhealthy(const LocalCluster& cluster, int i, const std::string& because) {
  auto [status, body] = Health(cluster, i);
  return status == 503 && body.find(because) != std::string::npos;
}

// Puts through the SDK (N=3, W=2), remembering what was acknowledged.
struct Writer {
  explicit Writer(Client& c) : client(c) {}
  Client& client;
  std::map<std::string, std::string> acked;
  int next = 0;

  Status Put(const std::string& prefix) {
    std::string key = prefix + std::to_string(next++);
    std::string value = "value of " + key;
    auto put = client.Put(key, value);
    if (put.ok()) acked[key] = value;
    return put.ok() ? Status::OK() : put.status();
  }
  std::vector<std::string> Keys(const std::string& prefix) const {
    std::vector<std::string> keys;
    for (const auto& [k, _] : acked) {
      if (k.starts_with(prefix)) keys.push_back(k);
    }
    return keys;
  }
};

// Every acknowledged write reads back through the SDK (R=2).
void RequireAllReadable(Client& client, const std::map<std::string, std::string>& acked) {
  for (const auto& [key, value] : acked) {
    auto got = client.Get(key);
    INFO(key << ": " << got.status().ToString());
    REQUIRE(got.ok());
    REQUIRE(got->values == std::vector<std::string>{value});
  }
}

// `node` still answers reads of `keys` with the values written.
void RequireReplicaServes(const LocalCluster& cluster, int node, const Writer& w,
                          const std::vector<std::string>& keys) {
  auto held = ReadReplicaBatch(cluster.address(node), keys);
  INFO(held.status().ToString());
  REQUIRE(held.ok());
  for (size_t k = 0; k < keys.size(); ++k) {
    INFO(keys[k]);
    REQUIRE((*held)[k].ok());
    REQUIRE((*held)[k]->size() == 1);
    REQUIRE((*held)[k]->front() == w.acked.at(keys[k]));
  }
}

// Those of `keys` that `node` holds a copy of.
std::vector<std::string> HeldBy(const LocalCluster& cluster, int node, const std::vector<std::string>& keys) {
  auto held = ReadReplicaBatch(cluster.address(node), keys);
  REQUIRE(held.ok());
  std::vector<std::string> out;
  for (size_t k = 0; k < keys.size(); ++k) {
    if ((*held)[k].ok()) out.push_back(keys[k]);
  }
  return out;
}

double StatSum(Client& client, const LocalCluster& cluster, const std::string& name) {
  double total = 0;
  for (int i = 0; i < cluster.size(); ++i) total += std::max(0.0, StatValue(client, cluster.id(i), name));
  return total;
}

// Sets RINGKV_FAULTS_FILE for the kvnodes this test starts, and unsets it at the end.
struct FaultsFileEnv {
  TempDir dir;
  std::string path = dir.file("faults");
  FaultsFileEnv() { ::setenv("RINGKV_FAULTS_FILE", path.c_str(), 1); }
  ~FaultsFileEnv() { ::unsetenv("RINGKV_FAULTS_FILE"); }
  void Write(const std::string& line) const {
    std::ofstream(path + ".tmp") << line << "\n";
    fs::rename(path + ".tmp", path);  // whole, never half-written, to a reading node
  }
  void Clear() const { fs::remove(path); }
};

}  // namespace

TEST_CASE("a node whose fsyncs fail refuses every later write and says why, while W=2 puts go on via hints") {
  FaultsFileEnv faults;
  LocalClusterOptions options = FastCluster(4);  // a fourth node: somewhere for the failing node's hints
  options.durability = "always";
  auto started = LocalCluster::Start(options);
  REQUIRE(started.ok());
  LocalCluster& cluster = **started;
  auto client = cluster.Connect();
  REQUIRE(client.ok());
  Writer w(**client);
  for (int i = 0; i < 40; ++i) REQUIRE(w.Put("before-").ok());
  const std::vector<std::string> held_by_1 = HeldBy(cluster, 1, w.Keys("before-"));  // 3 replicas of 4 nodes
  REQUIRE(!held_by_1.empty());

  // Node 1's replica engine: every fsync of its WALs and tables fails with EIO.
  faults.Write("0 5 " + cluster.data_dir(1) + "/engine/0");
  bool refusing = Eventually(30s, [&] {
    for (int i = 0; i < 10; ++i) REQUIRE(w.Put("during-").ok());
    return Unhealthy(cluster, 1, "fdatasync failed");
  });
  REQUIRE(refusing);
  CHECK(StatValue(**client, cluster.id(1), "writes_refused") == 1);
  CHECK(StatValue(**client, cluster.id(1), "write_errors_total") >= 1);
  // The SDK took node 1's failure as a replica failure: its copies went out as hints.
  CHECK(StatSum(**client, cluster, "hints_stored_total") > 0);

  // The disk "recovers", the node does not trust it: still refusing, still saying why.
  faults.Clear();
  for (int i = 0; i < 20; ++i) REQUIRE(w.Put("after-").ok());
  auto [status, body] = Health(cluster, 1);
  INFO(body);
  CHECK(status == 503);
  CHECK(body.find("storage refuses writes") != std::string::npos);
  // A write node 1 refused is not there: it was never visible.
  for (const std::string& key : w.Keys("after-")) {
    auto held = ReadReplicaDirectly(cluster.address(1), key);
    INFO(key << ": " << held.status().ToString());
    CHECK(held.status().IsNotFound());
  }
  // Reads keep working on node 1, and nothing acknowledged is lost.
  RequireReplicaServes(cluster, 1, w, held_by_1);
  RequireAllReadable(**client, w.acked);
}

TEST_CASE("a node whose disk fills refuses writes, serves reads, and takes writes again once space is freed") {
  auto started = LocalCluster::Start(FastCluster());
  REQUIRE(started.ok());
  LocalCluster& cluster = **started;

  // Node 1's data directory onto an 8 MB filesystem of its own.
  REQUIRE(cluster.Stop(1).ok());
  const std::string dir = cluster.data_dir(1), saved = dir + ".saved";
  fs::rename(dir, saved);
  fs::create_directory(dir);
  std::string why;
  auto disk = TmpfsMount::MountOn(dir, 8u << 20, &why);  // unmounted before the cluster's files go
  INFO(why);
  REQUIRE(disk);
  fs::copy(saved, dir, fs::copy_options::recursive);
  fs::remove_all(saved);
  REQUIRE(cluster.Restart(1).ok());

  auto client = cluster.Connect();
  REQUIRE(client.ok());
  REQUIRE(Eventually(20s, [&] { return AllMembersUp(**client); }));
  Writer w(**client);
  for (int i = 0; i < 40; ++i) REQUIRE(w.Put("before-").ok());

  REQUIRE(disk->FillWith("filler") > 0);
  bool refusing = Eventually(30s, [&] {
    for (int i = 0; i < 10; ++i) REQUIRE(w.Put("full-").ok());  // W=2 via nodes 0 and 2
    return Unhealthy(cluster, 1, "disk full");
  });
  REQUIRE(refusing);
  CHECK(StatValue(**client, cluster.id(1), "writes_refused") == 1);
  for (int i = 0; i < 20; ++i) REQUIRE(w.Put("full-").ok());
  RequireReplicaServes(cluster, 1, w, w.Keys("before-"));

  // Space freed: the node takes writes again by itself, with no restart.
  disk->Remove("filler");
  bool writable = Eventually(30s, [&] {
    REQUIRE(w.Put("freed-").ok());
    return Health(cluster, 1).first == 200;
  });
  REQUIRE(writable);
  REQUIRE(w.Put("check-").ok());
  const std::string check = w.Keys("check-").front();
  CHECK(Eventually(10s, [&] {
    auto held = ReadReplicaDirectly(cluster.address(1), check);
    return held.ok() && *held == std::vector<std::string>{w.acked.at(check)};
  }));
  RequireAllReadable(**client, w.acked);
}
