// A Jepsen-style run on real processes: clients read-modify-write a small key space (so
// writes race and siblings form) while the nemesis injects faults one after another;
// then everything heals, every node runs Merkle repair, every key is read at ALL, and the
// checker looks for lost acknowledged writes, phantom values and (in the fault-free warm-
// up, W+R>N) stale reads. Bounded: RINGKV_CHAOS_SECONDS (default 30) of faults;
// scripts/soak.sh runs it for longer.
//
// A second run skews one client's clock 30 s behind (ClientOptions::clock_offset: the SDK
// stamps writes) with the same workload, once in vector-clock mode (nothing may be lost)
// and once in LWW mode (that client's concurrent writes lose, as documented).

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/chaos/checker.h"
#include "tests/chaos/nemesis.h"

using namespace ringkv;
using namespace ringkv::chaos;
using namespace ringkv::testing;
using namespace std::chrono_literals;

namespace {

constexpr int kClients = 4;
constexpr int kKeys = 40;
constexpr int kSkewedClient = 0;            // in the clock-skew run, this client's clock is
constexpr std::chrono::seconds kSkew{-30};  // this far off (behind)

int Seconds() {
  const char* s = std::getenv("RINGKV_CHAOS_SECONDS");
  int v = s ? std::atoi(s) : 30;
  return v > 0 ? v : 30;
}

// One client: get a random key of `prefix`0..kKeys-1, then put a new unique value with the
// read's context.
void ClientLoop(Client& client, int id, const std::string& prefix, History& history, const std::atomic<bool>& stop,
                const std::atomic<bool>& faults) {
  std::mt19937 rng(static_cast<unsigned>(id) * 7919);
  RequestOptions request;
  request.timeout = 1000ms;
  for (int n = 0; !stop.load(); ++n) {
    std::string key = prefix + std::to_string(rng() % kKeys);
    Op get{Op::kGet, id, key, "", {}, false, "", {}, Clock::now(), {}, faults.load()};
    auto read = client.Get(key, request);
    get.end = Clock::now();
    get.ok = read.ok() || read.status().code() == StatusCode::kNotFound;
    if (read.ok()) {
      get.values = read->values;
      get.context = read->context;
    } else if (!get.ok) {
      get.error = read.status().ToString();
    }
    history.Add(get);
    Op put{Op::kPut, id, key, "c" + std::to_string(id) + "-" + std::to_string(n), {}, false, "", {}, Clock::now(),
           {}, faults.load()};
    auto wrote = client.Put(key, put.value, get.context, request);
    put.end = Clock::now();
    put.ok = wrote.ok();
    if (wrote.ok()) put.context = wrote->context;
    else put.error = wrote.status().ToString();
    history.Add(put);
  }
}

// Connects kClients clients (client c with `options(c)`), runs their loops on `prefix`
// keys while `during` runs, then stops and joins them (also when `during` fails a REQUIRE).
void RunClients(LocalCluster& cluster, const std::string& prefix, const std::function<ClientOptions(int)>& options,
                History& history, const std::atomic<bool>& faults, const std::function<void()>& during) {
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<Client>> clients;
  for (int c = 0; c < kClients; ++c) {
    auto client = cluster.Connect(options(c));
    REQUIRE(client.ok());
    clients.push_back(std::move(client).value());
  }
  std::vector<std::thread> threads;
  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop = true;
      for (auto& t : threads) t.join();
    }
  } joiner{stop, threads};
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back(ClientLoop, std::ref(*clients[c]), c, std::cref(prefix), std::ref(history), std::cref(stop),
                         std::cref(faults));
  }
  during();
}

// Heals everything, repairs every node against every peer, and reads each `prefix` key at
// ALL (with `options`: an LWW client resolves what it reads).
std::map<std::string, GetResult> FinalState(LocalCluster& cluster, const std::string& prefix,
                                            ClientOptions options = {}) {
  for (int i = 0; i < cluster.size(); ++i) {
    if (!cluster.IsRunning(i)) REQUIRE(cluster.Restart(i).ok());
  }
  auto client = cluster.Connect(options);
  REQUIRE(client.ok());
  REQUIRE(Eventually(30s, [&] { return AllMembersUp(**client); }));
  for (int i = 0; i < cluster.size(); ++i) {
    auto report = RepairWhenSettled(**client, cluster.id(i));
    INFO(report.status().ToString());
    REQUIRE(report.ok());
  }
  std::map<std::string, GetResult> out;
  RequestOptions all;
  all.level = Consistency::kAll;
  all.timeout = 5000ms;
  for (int k = 0; k < kKeys; ++k) {
    std::string key = prefix + std::to_string(k);
    auto got = (*client)->Get(key, all);
    if (got.status().code() == StatusCode::kNotFound) continue;
    INFO(key << ": " << got.status().ToString());
    REQUIRE(got.ok());
    out[key] = *got;
  }
  return out;
}

size_t CountKind(const CheckReport& report, const std::string& kind) {
  return static_cast<size_t>(std::count_if(report.violations.begin(), report.violations.end(),
                                           [&](const Violation& v) { return v.kind == kind; }));
}

}  // namespace

TEST_CASE("under kill -9, pauses, partitions and wiped restarts no acknowledged write is lost") {
  auto cluster = LocalCluster::Start(FastCluster());
  REQUIRE(cluster.ok());
  History history;
  std::atomic<bool> faults{false};
  Nemesis nemesis(**cluster, 20261125);
  int injected = 0;
  RunClients(**cluster, "chaos-", [](int) { return ClientOptions{}; }, history, faults, [&] {
    std::this_thread::sleep_for(5s);  // fault-free warm-up: reads must be fresh here
    faults = true;
    auto until = Clock::now() + std::chrono::seconds(Seconds());
    while (Clock::now() < until) {
      Status s = nemesis.InjectOnce();
      INFO(s.ToString());
      REQUIRE(s.ok());  // a partition needs root + iptables: fails loudly without
      ++injected;
      std::this_thread::sleep_for(1s);
    }
  });

  auto final_state = FinalState(**cluster, "chaos-");
  auto ops = history.ops();
  CheckReport report = Check(ops, final_state);
  size_t failed = 0;
  for (const Op& op : ops) failed += op.ok ? 0 : 1;
  std::string faults_line;
  for (const auto& [kind, n] : nemesis.counts()) faults_line += " " + kind + " x" + std::to_string(n) + ";";
  std::printf("chaos: %d faults injected:%s %zu of %zu ops failed (refused, not lost)\nchaos: %s", injected,
              faults_line.c_str(), failed, ops.size(), report.Summary(ops).c_str());
  CHECK(report.acked_puts > 100);
  CHECK(report.reads > 50);
  CHECK(report.violations.empty());
}

TEST_CASE("one client's clock 30 s behind: vector-clock mode loses no acknowledged write, LWW mode loses that "
          "client's concurrent writes") {
  // Client 0 stamps its writes 30 s in the past. No other fault: every op is in the
  // fault-free phase, so the checker also demands fresh reads (W+R>N). Catch runs the
  // case once per SECTION: each mode gets a fresh cluster.
  constexpr auto kLoad = 8s;  // of load per mode
  auto cluster = LocalCluster::Start(FastCluster());
  REQUIRE(cluster.ok());
  const std::atomic<bool> no_faults{false};
  auto options = [](bool lww) {
    return [lww](int c) {
      ClientOptions o;
      o.last_writer_wins = lww;
      if (c == kSkewedClient) o.clock_offset = kSkew;
      return o;
    };
  };

  SECTION("vector clocks: the skew changes nothing") {
    History history;
    RunClients(**cluster, "skew-vc-", options(false), history, no_faults, [&] { std::this_thread::sleep_for(kLoad); });
    auto ops = history.ops();
    CheckReport report = Check(ops, FinalState(**cluster, "skew-vc-"));
    std::printf("chaos: clock skew %llds on client %d, vector clocks: %s", static_cast<long long>(kSkew.count()),
                kSkewedClient, report.Summary(ops).c_str());
    CHECK(report.acked_puts > 100);
    CHECK(report.acked_by_client[kSkewedClient] > 25);  // the skewed client did write
    CHECK(report.violations.empty());
  }

  SECTION("LWW: the skewed client's concurrent writes lose") {
    History history;
    RunClients(**cluster, "skew-lww-", options(true), history, no_faults, [&] { std::this_thread::sleep_for(kLoad); });
    auto ops = history.ops();
    ClientOptions lww;
    lww.last_writer_wins = true;
    CheckReport report = Check(ops, FinalState(**cluster, "skew-lww-", lww));
    size_t skew_acked = report.acked_by_client[kSkewedClient], skew_lost = report.lost_by_client[kSkewedClient];
    size_t other_acked = report.acked_puts - skew_acked, other_lost = CountKind(report, "lost") - skew_lost;
    auto pct = [](size_t part, size_t whole) { return whole ? 100.0 * static_cast<double>(part) / whole : 0.0; };
    std::printf("chaos: clock skew %llds on client %d, LWW: %zu ops; skewed client lost %zu of %zu acknowledged puts "
                "(%.1f%%), the other %d clients %zu of %zu (%.1f%%); %zu stale reads, %zu phantoms\n",
                static_cast<long long>(kSkew.count()), kSkewedClient, report.ops, skew_lost, skew_acked,
                pct(skew_lost, skew_acked), kClients - 1, other_lost, other_acked, pct(other_lost, other_acked),
                CountKind(report, "stale"), CountKind(report, "phantom"));
    if (CountKind(report, "phantom") > 0) std::printf("chaos: %s", report.Summary(ops).c_str());
    // LWW loses writes by design (lost, and reads that miss a losing write acknowledged
    // before them: stale), but never invents a value.
    CHECK(CountKind(report, "phantom") == 0);
    REQUIRE(skew_acked > 100);
    REQUIRE(other_acked > 300);
    // Its writes carry the oldest stamp: it loses every race with another client, while
    // the others lose only races among themselves (about half of them): about 3x the
    // others' fraction in runs here (7-8% against 2-3%); 1.5x leaves room for noise.
    CHECK(skew_lost > 0);
    CHECK(pct(skew_lost, skew_acked) > 1.5 * pct(other_lost, other_acked));
  }
}
