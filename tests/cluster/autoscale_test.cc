// `kv autoscale` on real processes: a load ramp makes it add a node through the shipped
// provisioner (scripts/provision-local-node.sh), the node joins and takes its share; idle
// load makes it decommission one (and scripts/decommission-local-node.sh release it);
// chaos-checker clients write and read all along, and nothing is lost or made up.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "cli/consistency_checker.h"
#include "cli/consistency_history.h"
#include "cli/load_generator.h"
#include "tests/cluster/http_client.h"
#include "tests/cluster/local_cluster.h"
#include "tests/temp_dir.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr int kKeys = 40;  // per chaos client

// The autoscaler as a child process, its output in a file; stopped and reaped on exit.
class Autoscaler {
 public:
  Autoscaler(const std::vector<std::string>& args, const std::string& log) : log_(log) {
    std::vector<char*> argv;  // built before fork: the child of a threaded process must not allocate
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Autoscaler() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  std::string Log() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
};

// Kills every node the provisioner started (pid files in `dir`) when the test ends.
struct KillProvisionedOnExit {
  std::string dir;
  ~KillProvisionedOnExit() {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() != ".pid") continue;
      std::ifstream in(entry.path());
      pid_t pid = 0;
      if (in >> pid && pid > 0) ::kill(pid, SIGKILL);
    }
  }
};

// Chaos-checker clients: each reads one of its keys and writes a unique value with the
// read's context, recording both; `pause` between rounds (0: flat out).
void ChaosClient(Client& client, int id, std::chrono::milliseconds pause, consistency::History& history,
                 const std::atomic<bool>& stop) {
  RequestOptions request;
  request.timeout = 2000ms;
  for (int n = 0; !stop.load(); ++n) {
    consistency::Op get;
    get.kind = consistency::Op::kGet;
    get.client = id;
    get.key = "as" + std::to_string(id) + "-" + std::to_string(n % kKeys);
    get.start = consistency::Clock::now();
    auto read = client.Get(get.key, request);
    get.end = consistency::Clock::now();
    get.ok = read.ok();
    if (read.ok()) {
      get.values = read->values;
      get.context = read->context;
    }
    history.Add(get);
    consistency::Op put;
    put.kind = consistency::Op::kPut;
    put.client = id;
    put.key = get.key;
    put.value = "c" + std::to_string(id) + "-" + std::to_string(n);
    put.replaced = get.values;
    put.start = consistency::Clock::now();
    auto wrote = client.Put(put.key, put.value, get.context, request);
    put.end = consistency::Clock::now();
    put.ok = wrote.ok();
    if (wrote.ok())
      put.context = wrote->context;
    else
      put.error = wrote.status().ToString();
    history.Add(put);
    if (pause.count() > 0) std::this_thread::sleep_for(pause);  // pacing: a light load
  }
}

struct StopAndJoin {
  std::atomic<bool>& stop;
  std::vector<std::thread>& threads;
  ~StopAndJoin() {
    stop = true;
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
  }
};

// Each member's share of all 3 replicas, counted over sample keys through the client's ring.
std::map<std::string, double> ReplicaShares(Client& client, int keys) {
  std::map<std::string, double> out;
  for (int k = 0; k < keys; ++k) {
    for (const auto& id : client.PreferenceList("share-" + std::to_string(k), 3)) out[id] += 1.0 / keys;
  }
  return out;
}

size_t NormalMembers(Client& client) {
  (void)client.RefreshRing();
  size_t n = 0;
  for (const auto& m : client.Members()) n += m.state == "normal" && m.status == "up";
  return n;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Whether the log ever shows a second change (add or remove) decided before the one in
// progress was done (its "done" or "failed" line): the autoscaler makes one change at a time.
bool OverlappingChanges(const std::string& log) {
  std::istringstream lines(log);
  bool open = false;
  for (std::string line; std::getline(lines, line);) {
    bool change = line.find("Z add:") != std::string::npos || line.find("Z remove ") != std::string::npos;
    bool ended = line.find("Z done ") != std::string::npos || line.find("Z failed ") != std::string::npos;
    if (change && open) return true;
    if (change) open = true;
    if (ended) open = false;
  }
  return false;
}

}  // namespace

TEST_CASE("kv autoscale adds a node under load and decommissions one when idle, and the checker finds nothing lost") {
  auto cluster = LocalCluster::Start(FastCluster(3));
  REQUIRE(cluster.ok());
  TempDir dir;
  KillProvisionedOnExit cleanup{dir.path()};
  auto client = (*cluster)->Connect();
  REQUIRE(client.ok());

  // The new node runs with the cluster's flags (LocalCluster's, FastFailureDetection's).
  std::string node_flags = "--cluster-name test-cluster --durability batch --memtable-mb 4 --log-level warn";
  for (const auto& f : FastFailureDetection()) node_flags += " " + f;
  std::string scripts = std::string(RINGKV_SOURCE_DIR) + "/scripts/";
  std::string admins;
  for (int i = 0; i < (*cluster)->size(); ++i) admins += (i ? "," : "") + (*cluster)->admin_address(i);
  Autoscaler autoscaler({RINGKV_KV_PATH,
                         "-c",
                         (*cluster)->seeds(),
                         "--cluster-name",
                         "test-cluster",
                         "autoscale",
                         "--scale-up-ops",
                         "150",
                         "--scale-down-ops",
                         "40",
                         "--window",
                         "2s",
                         "--cooldown",
                         "2s",
                         "--interval",
                         "400ms",
                         "--change-timeout",
                         "60s",
                         "--max-nodes",
                         "4",
                         "--max-iterations",
                         "600",
                         "--report-to",
                         admins,
                         "--provision-cmd",
                         scripts + "provision-local-node.sh --id {node_id} --join {seed} --dir " + dir.path() +
                             " --kvnode " + RINGKV_KVNODE_PATH + " -- " + node_flags,
                         "--decommission-cmd",
                         scripts + "decommission-local-node.sh --id {node_id} --dir " + dir.path() + " --wipe"},
                        dir.file("autoscale.log"));

  consistency::History history;
  std::vector<std::unique_ptr<Client>> chaos_clients;
  for (int c = 0; c < 3; ++c) {
    auto cc = (*cluster)->Connect();
    REQUIRE(cc.ok());
    chaos_clients.push_back(std::move(cc).value());
  }
  std::atomic<bool> stop_all{false}, stop_heavy{false};
  std::vector<std::thread> threads;
  StopAndJoin joiner{stop_all, threads};
  // Light chaos clients all along; heavy ones and a load generator for the ramp up.
  threads.emplace_back(ChaosClient, std::ref(*chaos_clients[0]), 0, 100ms, std::ref(history), std::cref(stop_all));
  threads.emplace_back(ChaosClient, std::ref(*chaos_clients[1]), 1, 0ms, std::ref(history), std::cref(stop_heavy));
  threads.emplace_back(ChaosClient, std::ref(*chaos_clients[2]), 2, 0ms, std::ref(history), std::cref(stop_heavy));
  threads.emplace_back([&] {
    auto contexts = std::make_shared<cli::KeyContexts>();  // each round's puts replace the last's
    for (int round = 0; round < 1000 && !stop_heavy.load() && !stop_all.load(); ++round) {
      cli::LoadSpec spec;
      spec.ops = 2000;
      spec.concurrency = 16;
      spec.keys = 1000;
      spec.key_prefix = "load-";
      spec.contexts = contexts;
      cli::LoadGenerator(**client, spec).Run();
    }
  });

  // Ramp up: the autoscaler adds a 4th node, which joins and takes its share.
  if (!Eventually(120s, [&] { return NormalMembers(**client) == 4; })) {
    FAIL("no 4th node joined; the autoscaler's log:\n" << autoscaler.Log());
  }
  auto members = (*client)->Members();
  REQUIRE(members.size() == 4);
  for (const auto& m : members) {
    INFO(m.id << " owns " << m.ownership);
    CHECK(std::abs(m.ownership - 0.25) <= 0.025);  // within 10% of even
  }
  for (const auto& [id, share] : ReplicaShares(**client, 20000)) {
    WARN(id << " holds a replica of " << share * 100 << "% of the keys (even: 75%)");
  }
  std::string added;
  for (const auto& m : members) {
    if ((*cluster)->IndexOf(m.id) < 0) added = m.id;
  }
  REQUIRE(!added.empty());

  // Ramp down: only the light client is left; the autoscaler decommissions one node.
  stop_heavy = true;
  if (!Eventually(120s, [&] {
        (void)(*client)->RefreshRing();
        return (*client)->Members().size() == 3 && NormalMembers(**client) == 3;
      })) {
    FAIL("no node was decommissioned; the autoscaler's log:\n" << autoscaler.Log());
  }
  // The decommission command ran once the node had left (its "done" follows it).
  if (!Eventually(60s, [&] { return Count(autoscaler.Log(), "Z done ") >= 2; })) {
    FAIL("the leave did not finish; the autoscaler's log:\n" << autoscaler.Log());
  }
  stop_all = true;
  for (auto& t : threads) t.join();

  std::string log = autoscaler.Log();
  INFO(log);
  CHECK(Count(log, "Z add: ops/s per node stayed above 150") == 1);
  CHECK(Count(log, "Z remove ") == 1);
  CHECK(Count(log, "Z failed ") == 0);
  // One change at a time. (Whether it also logged "a change is unfinished" depends on how
  // the join and the leave raced its polls: 0 when both ended between two of them.)
  CHECK_FALSE(OverlappingChanges(log));
  // (Each decision is a line "TIME ACTION [NODE]: REASON"; "Z add" is the action, not a reason's word.)

  // The nodes it reported to show the decisions (a removed founder no longer answers).
  bool shown = false;
  for (int i = 0; i < (*cluster)->size(); ++i) {
    auto page = HttpGet((*cluster)->admin_address(i), "/v1/autoscale");
    if (!page.ok() || page->status != 200) continue;
    shown = page->body.find("\"action\":\"add\"") != std::string::npos &&
            page->body.find("\"action\":\"remove\"") != std::string::npos;
    auto metrics = HttpGet((*cluster)->admin_address(i), "/metrics");
    REQUIRE(metrics.ok());
    CHECK(metrics->body.find("ringkv_autoscale_decisions_total{action=\"add\"} 1") != std::string::npos);
    break;
  }
  CHECK(shown);

  // Every key of the chaos clients, read at ALL from the 3 nodes left.
  std::map<std::string, GetResult> final_state;
  RequestOptions all;
  all.level = Consistency::kAll;
  all.timeout = 5000ms;
  auto reads_began = consistency::Clock::now();
  for (int c = 0; c < 3; ++c) {
    for (int k = 0; k < kKeys; ++k) {
      std::string key = "as" + std::to_string(c) + "-" + std::to_string(k);
      auto got = (*client)->Get(key, all);
      INFO(key << ": " << got.status().ToString());
      REQUIRE(got.ok());
      final_state[key] = *got;
    }
  }
  auto ops = history.ops();
  consistency::CheckReport report = consistency::Check(ops, final_state, reads_began, consistency::Clock::now());
  WARN(report.Summary(ops));
  CHECK(report.acked_puts > 100);
  CHECK(report.Count("lost") == 0);
  CHECK(report.Count("phantom") == 0);
}
