// Issue 11: a superseded write must not come back. The key's first replica is paused
// (SIGSTOP) or cut off (iptables) while a put is in flight to it: the SDK gives up on it
// after replica_timeout and the put is acknowledged through the next replicas. The
// application reads the value and replaces or deletes it with that read's context, also
// acknowledged. Then the first replica resumes, or the partition heals and TCP retransmits
// what it held back, and the replica applies the put it was sent long ago. That late put
// must not bring the old value back: at level ALL right after the heal, after the hints
// are delivered, after a Merkle repair, and on every replica, a replaced key holds exactly
// the new value and a deleted key is not found.
//
// Each test case runs 10 rounds on one 5-node cluster (N=3 W=2 R=2, the defaults), each
// round on a fresh key whose first replica is node1. A round proves the late put reached
// node1 after the heal (node1's count of put keys served goes up), else it fails: for the
// partition, that is the client's TCP retransmitting the put on the same connection.
//
// Why node1: a replica that applies a late put gives the value a dot of its own. If it
// also gets the same write (same write id) under another node's dot, it keeps one of the
// two, the lower dot, and node1's dots sort before every other node's. That happens when
// the first replica was paused: the client's read made meanwhile waits for its answer,
// which comes after the late put, and the client then read-repairs it with the merged
// set. With node1 as the first replica the old value stays under node1's dot whatever
// arrives in whichever order, unless the late put is refused or known superseded, so
// every round shows the bug on the unfixed code. With another first replica the unfixed
// code mostly hides it when paused (node5 first, measured: 0 of 10 paused rounds
// resurrected; 8 of 10 when the read went through a second client closed before the
// resume, so that no read repair followed; 10 of 10 partitioned rounds).

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/cluster/local_cluster.h"
#include "tests/cluster/partition.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;

namespace {

constexpr int kRounds = 10;
constexpr int kVictim = 0;                                      // node1 (see the header comment)
const std::string kClientHost = "127.0.0.100";                  // the client's own address, for the partition rules
const std::string kPutKeysStat = "rpc_keys_total{op=\"put\"}";  // keys of coordinated puts a node served

enum class Fault { kPause, kPartition };
enum class Supersede { kReplace, kDelete };

std::string IpOf(const std::string& address) { return address.substr(0, address.rfind(':')); }

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::string Show(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const auto& v : values) out += (out.size() > 1 ? ", " : "") + v;
  return out + "}";
}

// Holds the first replica unreachable from construction to Heal(): SIGSTOP/SIGCONT, or an
// iptables partition between its address and the client's and every other node's.
class Outage {
 public:
  static Result<Outage> Begin(Fault fault, LocalCluster& cluster, int victim) {
    if (fault == Fault::kPause) {
      RINGKV_TRY(cluster.Pause(victim));
      return Outage(&cluster, victim, std::nullopt);
    }
    std::vector<std::string> others = {kClientHost};
    for (int i = 0; i < cluster.size(); ++i) {
      if (i != victim) others.push_back(IpOf(cluster.address(i)));
    }
    RINGKV_ASSIGN(Partition partition, Partition::Create({IpOf(cluster.address(victim))}, others));
    return Outage(&cluster, victim, std::move(partition));
  }
  Outage(Outage&& other) noexcept
      : cluster_(other.cluster_),
        victim_(other.victim_),
        partition_(std::move(other.partition_)),
        healed_(other.healed_) {
    other.healed_ = true;  // the moved-from one heals nothing
  }
  Outage& operator=(Outage&&) = delete;
  ~Outage() { (void)Heal(); }

  Status Heal() {
    if (healed_) return Status::OK();
    healed_ = true;
    return partition_ ? partition_->Heal() : cluster_->Resume(victim_);
  }

 private:
  Outage(LocalCluster* cluster, int victim, std::optional<Partition> partition)
      : cluster_(cluster), victim_(victim), partition_(std::move(partition)) {}
  LocalCluster* cluster_;
  int victim_;
  std::optional<Partition> partition_;
  bool healed_ = false;
};

// One cluster and one client for all rounds of a test case.
class Rounds {
 public:
  Rounds(Fault fault, Supersede how) : fault_(fault), how_(how) {
    auto cluster = LocalCluster::Start(FastCluster(5));
    INFO(cluster.status().ToString());
    REQUIRE(cluster.ok());
    cluster_ = std::move(cluster).value();
    Reconnect();
  }

  // Runs every round; returns how many brought the superseded value back (at any stage).
  int Run() {
    int resurrected = 0;
    for (int round = 0; round < kRounds; ++round) {
      auto started = std::chrono::steady_clock::now();
      RoundReport report = RunRound(round);
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
      std::string seen;
      for (const auto& stage : report.superseded_seen) seen += (seen.empty() ? "" : ", ") + stage;
      resurrected += seen.empty() ? 0 : 1;
      WARN("round " << round << " (" << ms.count() << " ms; the late put reached " << Victim() << " "
                    << report.late_put_after.count() << " ms after the heal; " << report.hints_delivered
                    << " hints delivered): "
                    << (seen.empty() ? "stayed superseded" : "the superseded value came back: " + seen));
    }
    return resurrected;
  }

 private:
  struct RoundReport {
    std::chrono::milliseconds late_put_after{0};  // from the heal until the victim served the late put
    double hints_delivered = 0;                   // by all nodes, during the round
    std::vector<std::string> superseded_seen;     // the checks that found the superseded value
  };

  // A new client: it has learned no latencies yet. The client that saw node1 paused or cut
  // off in the round before ranks it slow for a while (latency-aware replica choice,
  // docs/sdk.md) and would send the next round's put to another coordinator first.
  void Reconnect() {
    client_.reset();
    ClientOptions options;
    options.bind_host = kClientHost;
    auto client = cluster_->Connect(options);
    INFO(client.status().ToString());
    REQUIRE(client.ok());
    client_ = std::move(client).value();
  }

  RoundReport RunRound(int round) {
    Reconnect();
    AwaitQuietCluster();
    std::string key = KeyOnVictim("resurrect-" + std::to_string(round));
    INFO("round " << round << ", key " << key);
    // Every replica of the key answers (the client's connection to node1 is open and
    // marked healthy, so the put below goes to node1 first) and holds nothing yet.
    AwaitReadAll(key);
    double puts_before = StatValue(*client_, Victim(), kPutKeysStat);
    REQUIRE(puts_before >= 0);
    double hints_before = SumOverNodes("hints_delivered_total");
    REQUIRE(hints_before >= 0);

    auto outage = Outage::Begin(fault_, *cluster_, kVictim);
    INFO("outage: " << outage.status().ToString());
    REQUIRE(outage.ok());
    SupersedeWhileOut(key);
    Status healed = outage->Heal();
    INFO("heal: " << healed.ToString());
    REQUIRE(healed.ok());
    auto healed_at = std::chrono::steady_clock::now();

    // The put node1 was sent while it was out must really reach it now, or the round
    // tests nothing: node1 serves at least one more put key (the late put of v1 first; the
    // client may have tried node1 for the replace or delete too, after it).
    RoundReport report;
    bool late_put_served =
        Eventually(30s, [&] { return StatValue(*client_, Victim(), kPutKeysStat) >= puts_before + 1; });
    report.late_put_after =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - healed_at);
    INFO("put keys served by " << Victim() << ": " << puts_before << " before the outage, "
                               << StatValue(*client_, Victim(), kPutKeysStat) << " now");
    REQUIRE(late_put_served);

    auto check = [&](bool as_expected, const std::string& stage) {
      if (!as_expected) report.superseded_seen.push_back(stage);
    };
    check(CheckReadAll(key, "at ALL after the heal"), "at ALL after the heal");
    REQUIRE(Eventually(30s, [&] { return SumOverNodes("hints_queued_total") == 0; }));
    report.hints_delivered = SumOverNodes("hints_delivered_total") - hints_before;
    check(CheckReadAll(key, "at ALL after hint delivery"), "at ALL after hint delivery");
    auto repaired = RepairWhenSettled(*client_, Victim());
    INFO("repair from " << Victim() << ": " << repaired.status().ToString());
    REQUIRE(repaired.ok());
    check(CheckReplicas(key), "on a replica after repair");
    check(CheckReadAll(key, "at ALL after repair"), "at ALL after repair");
    return report;
  }

  // Put v1 (acknowledged through the other replicas after node1 times out), read it, then
  // replace or delete it with the read's context: all while node1 is out.
  void SupersedeWhileOut(const std::string& key) {
    auto put = client_->Put(key, "v1");
    INFO("put v1: " << put.status().ToString());
    REQUIRE(put.ok());
    REQUIRE(put->acks >= 2);
    auto read = client_->Get(key);
    INFO("read v1: " << read.status().ToString());
    REQUIRE(read.ok());
    REQUIRE(read->values == std::vector<std::string>{"v1"});
    auto superseded =
        how_ == Supersede::kReplace ? client_->Put(key, "v2", read->context) : client_->Delete(key, read->context);
    INFO((how_ == Supersede::kReplace ? "put v2: " : "delete: ") << superseded.status().ToString());
    REQUIRE(superseded.ok());
    REQUIRE(superseded->acks >= 2);
  }

  std::vector<std::string> Expected() const {
    return how_ == Supersede::kReplace ? std::vector<std::string>{"v2"} : std::vector<std::string>{};
  }

  // Reads at ALL (waiting until every replica answers); false if it shows other than expected.
  bool CheckReadAll(const std::string& key, const std::string& stage) {
    RequestOptions all;
    all.level = Consistency::kAll;
    Result<GetResult> got = Status::Busy("not read");
    Eventually(20s, [&] { return (got = client_->Get(key, all)).ok(); });
    INFO("read " << stage << ": " << got.status().ToString());
    REQUIRE(got.ok());
    std::vector<std::string> values = Sorted(got->values);
    INFO("read " << stage << " returned " << Show(values) << ", expected " << Show(Expected()));
    CHECK(values == Expected());
    return values == Expected();
  }

  // Asks each of the key's replicas directly; false if any holds other than expected.
  bool CheckReplicas(const std::string& key) {
    bool all_match = true;
    for (const std::string& id : client_->PreferenceList(key, 3)) {
      auto held = ReadReplicaDirectly(cluster_->address(cluster_->IndexOf(id)), key);
      INFO(id << " after repair: " << held.status().ToString());
      REQUIRE((held.ok() || held.status().IsNotFound()));
      std::vector<std::string> values = held.ok() ? Sorted(*held) : std::vector<std::string>{};
      INFO(id << " holds " << Show(values) << " after repair, expected " << Show(Expected()));
      CHECK(values == Expected());
      all_match = all_match && values == Expected();
    }
    return all_match;
  }

  // A key whose preference list starts with node1.
  std::string KeyOnVictim(const std::string& prefix) {
    for (int i = 0; i < 1000; ++i) {
      std::string key = prefix + "-" + std::to_string(i);
      auto replicas = client_->PreferenceList(key, 3);
      if (replicas.size() == 3 && replicas.front() == Victim()) return key;
    }
    FAIL("no key of 1000 has " << Victim() << " as its first replica");
    return {};
  }

  // Before a round: every node sees every member up and holds no hints.
  void AwaitQuietCluster() {
    bool quiet = Eventually(30s, [&] {
      for (int i = 0; i < cluster_->size(); ++i) {
        if (StatValue(*client_, cluster_->id(i), "members{status=\"up\"}") != cluster_->size()) return false;
      }
      return AllMembersUp(*client_) && SumOverNodes("hints_queued_total") == 0;
    });
    REQUIRE(quiet);
  }

  void AwaitReadAll(const std::string& key) {
    RequestOptions all;
    all.level = Consistency::kAll;
    Result<GetResult> got = Status::Busy("not read");
    Eventually(10s, [&] { return (got = client_->Get(key, all)).ok(); });
    INFO("read at ALL before the outage: " << got.status().ToString());
    REQUIRE(got.ok());
    REQUIRE_FALSE(got->found);
  }

  // A counter summed over all nodes, or -1 when a node cannot be asked.
  double SumOverNodes(const std::string& stat) {
    double total = 0;
    for (int i = 0; i < cluster_->size(); ++i) {
      double value = StatValue(*client_, cluster_->id(i), stat);
      if (value < 0) return -1;
      total += value;
    }
    return total;
  }

  const std::string& Victim() const { return cluster_->id(kVictim); }

  Fault fault_;
  Supersede how_;
  std::unique_ptr<LocalCluster> cluster_;
  std::unique_ptr<Client> client_;
};

}  // namespace

TEST_CASE("a replace acknowledged while the first replica was paused stays replaced after it resumes") {
  Rounds rounds(Fault::kPause, Supersede::kReplace);
  int resurrected = rounds.Run();
  INFO(resurrected << " of " << kRounds << " rounds brought the replaced value back");
  CHECK(resurrected == 0);
}

TEST_CASE("a delete acknowledged while the first replica was paused stays deleted after it resumes") {
  Rounds rounds(Fault::kPause, Supersede::kDelete);
  int resurrected = rounds.Run();
  INFO(resurrected << " of " << kRounds << " rounds brought the deleted value back");
  CHECK(resurrected == 0);
}

TEST_CASE("a replace acknowledged while the first replica was cut off stays replaced after the partition heals") {
  Rounds rounds(Fault::kPartition, Supersede::kReplace);
  int resurrected = rounds.Run();
  INFO(resurrected << " of " << kRounds << " rounds brought the replaced value back");
  CHECK(resurrected == 0);
}

TEST_CASE("a delete acknowledged while the first replica was cut off stays deleted after the partition heals") {
  Rounds rounds(Fault::kPartition, Supersede::kDelete);
  int resurrected = rounds.Run();
  INFO(resurrected << " of " << kRounds << " rounds brought the deleted value back");
  CHECK(resurrected == 0);
}
