// fault_bench: availability under faults, and the Dynamo paper's §6.3 divergent versions.
//
// Five local kvnode processes (127.0.0.1-5, the nodes' production failure-detection
// timings) and a shopping-cart workload: writers each doing read-modify-write (get at R=2,
// put with the read's context at W=2, N=3) on random keys, one request in flight each.
// A read that fails (its quorum unreachable) is followed by a blind put (no context), as a
// cart that must always take an "add to cart" does; the put is what is counted.
//
// Faults (--scenario faults): six writers, three with a client bound to 127.0.0.101 (the
// side of nodes 1 and 2 in the split) and three bound to 127.0.0.102 (nodes 3-5). The
// schedule, each phase --phase-s seconds:
//   fault-free · node5 paused (SIGSTOP) · resumed · node4 isolated (iptables) · healed ·
//   split {1,2}|{3,4,5} · healed
// Printed: acknowledged puts per second per side, each phase's rate against the fault-free
// one, and the goals (issue 15): paused or isolated >= 0.7x fault-free; after a heal back
// to >= 0.9x within 1 s (the time until a 500 ms window first reaches 0.9x); in the split
// each side >= 0.3x its own fault-free rate. The partitions are iptables DROP rules in a
// chain of their own (tests/cluster/partition.h), removed on every exit path, also on
// SIGINT/SIGTERM.
//
// Versions (--scenario versions): four writers over 10,000 keys, fault-free, for
// --versions-s, on keys of their own (the fault schedule's blind writes made siblings of its
// keys); the share of reads returning 1, 2, 3 and 4+ versions (Dynamo: 99.94% one).
//
//   fault_bench [--scenario all|faults|versions] [--phase-s 6] [--versions-s 15] [--keys 10000]
//               [--value-size 100] [--health-interval-ms N] [--control]
// --control runs the same phases without their faults: the drift of the run itself.
// A full run as in the paper: --versions-s 120; longer faults: --phase-s 30.

#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/cluster/local_cluster.h"
#include "tests/cluster/partition.h"

using namespace ringkv;
using Clock = std::chrono::steady_clock;

namespace {

struct Flags {
  std::string scenario = "all";
  int phase_s = 6;
  int versions_s = 15;
  int keys = 10000;
  int value_size = 100;
  int health_interval_ms = -1;          // -1: the client's default
  bool control = false;                 // the schedule's phases without their faults
  std::vector<std::string> node_flags;  // passed to every kvnode
};

constexpr int kBucketMs = 100;  // acknowledged puts are counted per 100 ms, per side
constexpr int kSides = 2;
constexpr const char* kSideHost[kSides] = {"127.0.0.101", "127.0.0.102"};

// What a writer's request was, for the latency columns.
enum Kind { kReadFound, kReadFailed, kWrite, kKinds };

// Acknowledged puts, and the requests' count and time by kind, per side per 100 ms bucket
// since `start`, written by the writers.
class Counts {
 public:
  Counts(Clock::time_point start, int seconds)
      : start_(start),
        buckets_(static_cast<size_t>(seconds) * 10 + 100),
        timed_(buckets_.size() * kSides * kKinds),
        micros_(buckets_.size() * kSides * kKinds) {
    for (auto& b : buckets_) b = std::make_unique<std::atomic<uint64_t>[]>(kSides);
  }
  void Ack(int side) {
    size_t i = Bucket(Clock::now());
    if (i < buckets_.size()) buckets_[i][side].fetch_add(1, std::memory_order_relaxed);
  }
  // A request of `kind` that began at `began` and has just ended (counted in its end's bucket).
  void Time(int side, Kind kind, Clock::time_point began) {
    auto now = Clock::now();
    size_t i = Bucket(now);
    if (i >= buckets_.size()) return;
    size_t slot = Slot(i, side, kind);
    timed_[slot].fetch_add(1, std::memory_order_relaxed);
    micros_[slot].fetch_add(
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - began).count()),
        std::memory_order_relaxed);
  }
  // Average ms of `side`'s requests of `kind` over buckets [from, to); -1 if there were none.
  double AvgMs(int side, Kind kind, size_t from, size_t to) const {
    uint64_t n = 0, us = 0;
    for (size_t i = from; i < to && i < buckets_.size(); ++i) {
      n += timed_[Slot(i, side, kind)].load(std::memory_order_relaxed);
      us += micros_[Slot(i, side, kind)].load(std::memory_order_relaxed);
    }
    return n == 0 ? -1 : static_cast<double>(us) / 1000.0 / static_cast<double>(n);
  }
  // How many of `side`'s requests of `kind` ended in buckets [from, to).
  uint64_t Timed(int side, Kind kind, size_t from, size_t to) const {
    uint64_t n = 0;
    for (size_t i = from; i < to && i < buckets_.size(); ++i) {
      n += timed_[Slot(i, side, kind)].load(std::memory_order_relaxed);
    }
    return n;
  }
  size_t Bucket(Clock::time_point t) const {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - start_).count();
    return ms < 0 ? 0 : static_cast<size_t>(ms / kBucketMs);
  }
  // Puts per second acknowledged on `side` (-1: both) over buckets [from, to).
  double Rate(int side, size_t from, size_t to) const {
    if (to <= from) return 0;
    uint64_t n = 0;
    for (size_t i = from; i < to && i < buckets_.size(); ++i) {
      for (int s = 0; s < kSides; ++s) {
        if (side < 0 || side == s) n += buckets_[i][s].load(std::memory_order_relaxed);
      }
    }
    return static_cast<double>(n) * 1000.0 / static_cast<double>((to - from) * kBucketMs);
  }

 private:
  static size_t Slot(size_t bucket, int side, Kind kind) {
    return (bucket * kSides + static_cast<size_t>(side)) * kKinds + kind;
  }

  Clock::time_point start_;
  std::vector<std::unique_ptr<std::atomic<uint64_t>[]>> buckets_;
  std::vector<std::atomic<uint64_t>> timed_, micros_;  // at Slot(bucket, side, kind)
};

struct Tally {
  std::atomic<uint64_t> reads_failed{0};
  std::atomic<uint64_t> puts_failed{0};
  std::atomic<uint64_t> versions[5] = {};  // reads that returned 0, 1, 2, 3, 4+ versions
};

std::string Value(std::mt19937_64& rng, int size) {
  std::string v(static_cast<size_t>(size), 'x');
  for (auto& c : v) c = static_cast<char>('a' + rng() % 26);
  return v;
}

// One cart writer: read-modify-write until `stop`, counting acknowledged puts.
void CartWriter(Client& client, const std::string& prefix, int side, int keys, int value_size, uint64_t seed,
                const std::atomic<bool>& stop, Counts* counts, Tally* tally) {
  std::mt19937_64 rng(seed);
  while (!stop.load(std::memory_order_relaxed)) {
    std::string key = prefix + std::to_string(rng() % static_cast<uint64_t>(keys));
    auto began = Clock::now();
    auto got = client.Get(key);
    if (counts) counts->Time(side, got.ok() ? kReadFound : kReadFailed, began);
    Context context;
    if (got.ok()) {
      context = got->context;
      size_t n = got->siblings.size();
      tally->versions[std::min<size_t>(n, 4)].fetch_add(1, std::memory_order_relaxed);
    } else {
      tally->reads_failed.fetch_add(1, std::memory_order_relaxed);
    }
    began = Clock::now();
    auto put = client.Put(key, Value(rng, value_size), context);
    if (counts) counts->Time(side, kWrite, began);
    if (put.ok()) {
      if (counts) counts->Ack(side);
    } else {
      tally->puts_failed.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

Result<std::unique_ptr<Client>> ConnectFrom(testing::LocalCluster& cluster, const std::string& host, const Flags& f) {
  ClientOptions o;
  o.bind_host = host;
  if (f.health_interval_ms >= 0) o.health_interval = std::chrono::milliseconds(f.health_interval_ms);
  return cluster.Connect(o);
}

// ---- divergent versions ----

int RunVersions(testing::LocalCluster& cluster, const Flags& f) {
  constexpr int kWriters = 4;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kWriters; ++i) {  // one client each, as four independent applications
    auto c = ConnectFrom(cluster, "", f);
    if (!c.ok()) {
      std::fprintf(stderr, "fault_bench: %s\n", c.status().ToString().c_str());
      return 1;
    }
    clients.push_back(std::move(c).value());
  }
  Tally tally;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back(CartWriter, std::ref(*clients[i]), std::string("versions-"), 0, f.keys, f.value_size, 1000 + i,
                         std::cref(stop), nullptr, &tally);
  }
  std::this_thread::sleep_for(std::chrono::seconds(f.versions_s));
  stop = true;
  for (auto& t : writers) t.join();
  uint64_t found = 0;
  for (int v = 1; v <= 4; ++v) found += tally.versions[v];
  std::printf("\n§6.3 divergent versions: %d writers, read-modify-write over %d keys for %d s\n", kWriters, f.keys,
              f.versions_s);
  std::printf("  reads returning versions: %llu (plus %llu of keys not yet written, %llu failed reads)\n",
              static_cast<unsigned long long>(found), static_cast<unsigned long long>(tally.versions[0].load()),
              static_cast<unsigned long long>(tally.reads_failed.load()));
  const char* names[] = {"", "1 version", "2 versions", "3 versions", "4+ versions"};
  for (int v = 1; v <= 4; ++v) {
    double share = found ? 100.0 * static_cast<double>(tally.versions[v]) / static_cast<double>(found) : 0;
    std::printf("  %-12s %10llu  %8.4f%%%s\n", names[v], static_cast<unsigned long long>(tally.versions[v].load()),
                share, v == 1 ? "   (Dynamo: 99.94%)" : "");
  }
  return 0;
}

// ---- fault schedule ----

// Set by SIGINT/SIGTERM: the schedule stops at once and heals what it cut (the partition's
// destructor removes its chain), so an interrupted run leaves no iptables rules behind.
std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted = true; }

struct Phase {
  std::string name;
  size_t from = 0, to = 0;  // buckets
};

int RunFaults(testing::LocalCluster& cluster, const Flags& f) {
  constexpr int kWritersPerSide = 3;
  std::vector<std::unique_ptr<Client>> clients;
  for (int s = 0; s < kSides; ++s) {
    auto c = ConnectFrom(cluster, kSideHost[s], f);
    if (!c.ok()) {
      std::fprintf(stderr, "fault_bench: %s\n", c.status().ToString().c_str());
      return 1;
    }
    clients.push_back(std::move(c).value());
  }
  std::vector<std::string> ips;
  for (int i = 0; i < cluster.size(); ++i) ips.push_back(cluster.address(i).substr(0, cluster.address(i).rfind(':')));
  const int kPaused = 4, kIsolated = 3;  // node5, node4
  std::vector<std::string> others;       // everyone but node4, clients included
  for (int i = 0; i < cluster.size(); ++i) {
    if (i != kIsolated) others.push_back(ips[i]);
  }
  others.push_back(kSideHost[0]);
  others.push_back(kSideHost[1]);
  std::vector<std::string> side_a = {ips[0], ips[1], kSideHost[0]};
  std::vector<std::string> side_b = {ips[2], ips[3], ips[4], kSideHost[1]};

  std::optional<testing::Partition> cut;
  const int phases = 7;
  auto start = Clock::now();
  Counts counts(start, phases * f.phase_s + 5);
  Tally tally;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int s = 0; s < kSides; ++s) {
    for (int w = 0; w < kWritersPerSide; ++w) {
      writers.emplace_back(CartWriter, std::ref(*clients[s]), std::string("cart-"), s, f.keys, f.value_size,
                           7 + s * 10 + w, std::cref(stop), &counts, &tally);
    }
  }
  Status failed = Status::OK();
  std::vector<Phase> done;
  auto phase = [&](const std::string& name, const std::function<Status()>& enter) {
    if (!failed.ok() || g_interrupted) return;
    size_t from = counts.Bucket(Clock::now());
    if (Status s = f.control ? Status::OK() : enter(); !s.ok()) {
      failed = s.Annotated(name);
      return;
    }
    auto end = Clock::now() + std::chrono::seconds(f.phase_s);
    size_t printed = from;
    while (Clock::now() < end && !g_interrupted) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      size_t now = counts.Bucket(Clock::now());
      while (printed + 10 <= now) {
        std::printf("  t=%5.1fs  %-16s side A %7.0f/s  side B %7.0f/s  total %7.0f/s\n", printed / 10.0, name.c_str(),
                    counts.Rate(0, printed, printed + 10), counts.Rate(1, printed, printed + 10),
                    counts.Rate(-1, printed, printed + 10));
        printed += 10;
      }
    }
    done.push_back({name, from, counts.Bucket(Clock::now())});
  };
  std::printf("fault_bench: 5 nodes, 6 cart writers (3 per side), N=3 W=2 R=2, %d s per phase, health interval %s%s\n",
              f.phase_s, f.health_interval_ms < 0 ? "default" : (std::to_string(f.health_interval_ms) + " ms").c_str(),
              f.control ? "; CONTROL RUN: no fault is injected (the phases keep their names)" : "");
  phase("fault-free", [] { return Status::OK(); });
  phase("node5 paused", [&] { return cluster.Pause(kPaused); });
  phase("node5 resumed", [&] { return cluster.Resume(kPaused); });
  phase("node4 isolated", [&] {
    RINGKV_ASSIGN(testing::Partition p, testing::Partition::Create({ips[kIsolated]}, others));
    cut.emplace(std::move(p));
    return Status::OK();
  });
  phase("healed", [&] {
    Status s = cut->Heal();
    cut.reset();
    return s;
  });
  phase("split 2|3", [&] {
    RINGKV_ASSIGN(testing::Partition p, testing::Partition::Create(side_a, side_b));
    cut.emplace(std::move(p));
    return Status::OK();
  });
  phase("healed again", [&] {
    Status s = cut->Heal();
    cut.reset();
    return s;
  });
  stop = true;
  for (auto& t : writers) t.join();
  (void)cluster.Resume(kPaused);  // whatever happened
  if (cut) (void)cut->Heal();
  cut.reset();
  if (!failed.ok()) {
    std::fprintf(stderr, "fault_bench: %s\n", failed.ToString().c_str());
    return 1;
  }
  if (g_interrupted) return 130;

  // Ratios against the fault-free phase (its first second left out: clients warming up).
  const Phase& base = done[0];
  double base_rate[kSides + 1];
  for (int s = -1; s < kSides; ++s) base_rate[s + 1] = counts.Rate(s, base.from + 10, base.to);
  std::printf("\nphase             total/s  side A/s  side B/s   ratio (total; sides)\n");
  for (const Phase& p : done) {
    double t = counts.Rate(-1, p.from, p.to), a = counts.Rate(0, p.from, p.to), b = counts.Rate(1, p.from, p.to);
    std::printf("  %-15s %8.0f  %8.0f  %8.0f   %5.2fx; %5.2fx %5.2fx\n", p.name.c_str(), t, a, b, t / base_rate[0],
                a / base_rate[1], b / base_rate[2]);
  }
  // Where a side's time went: a writer's op is a read, then a put.
  std::printf("\nphase             side  reads found (avg ms)  reads failed (avg ms)  puts avg ms\n");
  for (const Phase& p : done) {
    for (int s = 0; s < kSides; ++s) {
      std::printf("  %-15s   %c   %8llu (%6.2f)      %8llu (%6.2f)        %6.2f\n", s == 0 ? p.name.c_str() : "",
                  'A' + s, static_cast<unsigned long long>(counts.Timed(s, kReadFound, p.from, p.to)),
                  counts.AvgMs(s, kReadFound, p.from, p.to),
                  static_cast<unsigned long long>(counts.Timed(s, kReadFailed, p.from, p.to)),
                  counts.AvgMs(s, kReadFailed, p.from, p.to), counts.AvgMs(s, kWrite, p.from, p.to));
    }
  }
  // Recovery after a heal (or resume): ms until a 500 ms window first reaches 0.9x.
  auto recovery_ms = [&](const Phase& p) -> double {
    for (size_t i = p.from; i + 5 <= p.to; ++i) {
      if (counts.Rate(-1, i, i + 5) >= 0.9 * base_rate[0]) return static_cast<double>((i + 5 - p.from) * kBucketMs);
    }
    return -1;
  };
  auto verdict = [](bool ok) { return ok ? "met" : "NOT MET"; };
  std::printf(
      "\ngoals (issue 15)%s\n",
      f.control ? " -- CONTROL RUN: no fault was injected; read these as the run's drift, not as verdicts" : "");
  for (int i : {1, 3}) {
    double r = counts.Rate(-1, done[i].from, done[i].to) / base_rate[0];
    std::printf("  %-15s throughput %5.2fx fault-free (goal >= 0.7x): %s\n", done[i].name.c_str(), r,
                verdict(r >= 0.7));
  }
  for (int i : {2, 4, 6}) {
    double ms = recovery_ms(done[i]);
    double first = counts.Rate(-1, done[i].from, done[i].from + 10) / base_rate[0];
    std::printf("  %-15s back to 0.9x after %s (goal <= 1000 ms): %s; first second %5.2fx\n", done[i].name.c_str(),
                ms < 0 ? "never" : (std::to_string(static_cast<int>(ms)) + " ms").c_str(),
                verdict(ms >= 0 && ms <= 1000), first);
  }
  double a = counts.Rate(0, done[5].from, done[5].to) / base_rate[1];
  double b = counts.Rate(1, done[5].from, done[5].to) / base_rate[2];
  std::printf("  split 2|3       side A {1,2} %5.2fx, side B {3,4,5} %5.2fx (goal each >= 0.3x): %s\n", a, b,
              verdict(a >= 0.3 && b >= 0.3));
  std::printf("  failed reads %llu (each followed by a blind put), failed puts %llu\n",
              static_cast<unsigned long long>(tally.reads_failed.load()),
              static_cast<unsigned long long>(tally.puts_failed.load()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app("fault_bench: availability under faults and divergent versions (5 local nodes)");
  app.add_option("--scenario", f.scenario, "all, faults or versions");
  app.add_option("--phase-s", f.phase_s, "seconds per phase of the fault schedule");
  app.add_option("--versions-s", f.versions_s, "seconds of the divergent-versions run (the paper: 120)");
  app.add_option("--keys", f.keys, "key space");
  app.add_option("--value-size", f.value_size);
  app.add_option("--health-interval-ms", f.health_interval_ms,
                 "the clients' ClientOptions::health_interval (0: off, as before connection health checks)");
  app.add_flag("--control", f.control,
               "run the fault schedule's phases without injecting their faults: how much of a phase's ratio is "
               "the run's own drift (a growing store, flushes, compactions)");
  app.add_option("--node-flag", f.node_flags,
                 "a kvnode flag for every node, as --node-flag=--handoff-interval-ms=60000 (repeatable)");
  CLI11_PARSE(app, argc, argv);
  if (f.phase_s < 2 || f.versions_s < 1 || f.keys < 1 || f.value_size < 1 ||
      (f.scenario != "all" && f.scenario != "faults" && f.scenario != "versions")) {
    std::fprintf(stderr,
                 "fault_bench: --scenario is all, faults or versions; --phase-s >= 2; --versions-s, --keys and "
                 "--value-size positive\n");
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  testing::LocalClusterOptions options;
  options.nodes = 5;
  options.memtable_mb = 32;  // the node's default, not the tests' small one
  options.extra_flags = f.node_flags;
  auto cluster = testing::LocalCluster::Start(options);
  if (!cluster.ok()) {
    std::fprintf(stderr, "fault_bench: %s\n", cluster.status().ToString().c_str());
    return 1;
  }
  int rc = 0;
  if (f.scenario != "versions") rc = RunFaults(**cluster, f);
  if (rc == 0 && f.scenario != "faults" && !g_interrupted) rc = RunVersions(**cluster, f);
  return rc;
}
