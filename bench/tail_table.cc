#include "bench/tail_table.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <numeric>
#include <thread>
#include <tuple>
#include <vector>

#include "cli/load_generator.h"
#include "tests/cluster/http_client.h"
#include "tests/cluster/local_cluster.h"

namespace ringkv::bench {
namespace {

constexpr int kVictim = 2;  // the replica slowed or paused (node3)

struct Figures {
  double ops_per_sec = 0, avg_ms = 0, p999_ms = 0;
  uint64_t errors = 0;
};

// `contexts`: the context last seen per key, shared by every run (cli::KeyContexts).
Figures Run(Client& client, const TailOptions& o, const std::shared_ptr<cli::KeyContexts>& contexts, int put_percent,
            uint64_t ops) {
  cli::LoadSpec spec;
  spec.contexts = contexts;
  spec.ops = ops;
  spec.put_percent = put_percent;
  spec.value_size = static_cast<size_t>(o.value_size);
  spec.concurrency = o.concurrency;
  spec.keys = o.keys;
  cli::LoadReport r = cli::LoadGenerator(client, spec).Run();
  const cli::LatencySummary& l = r.all;
  Figures f;
  f.ops_per_sec = r.ops_per_sec;
  f.p999_ms = l.p999;
  f.errors = l.errors;
  if (!l.sorted_ms.empty()) {
    f.avg_ms = std::accumulate(l.sorted_ms.begin(), l.sorted_ms.end(), 0.0) / static_cast<double>(l.sorted_ms.size());
  }
  return f;
}

double MedianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

Figures Median(const std::vector<Figures>& runs) {
  std::vector<double> ops, avg, p999;
  Figures m;
  for (const Figures& f : runs) {
    ops.push_back(f.ops_per_sec);
    avg.push_back(f.avg_ms);
    p999.push_back(f.p999_ms);
    m.errors += f.errors;
  }
  m.ops_per_sec = MedianOf(ops);
  m.avg_ms = MedianOf(avg);
  m.p999_ms = MedianOf(p999);
  return m;
}

Status SetReplyDelay(const testing::LocalCluster& cluster, int i, int ms) {
  auto reply = testing::HttpGet(cluster.admin_address(i), "/test/reply-delay?ms=" + std::to_string(ms));
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return Status::NotSupported("admin /test/reply-delay answered " + std::to_string(reply->status) + ": " +
                                reply->body + " (a build with RINGKV_FAULT_INJECTION=ON has the test hooks)");
  }
  return Status::OK();
}

enum class Condition { kFaultFree, kSlow, kPaused };
const char* Name(Condition c) {
  switch (c) {
    case Condition::kFaultFree:
      return "fault-free";
    case Condition::kSlow:
      return "one replica slow";
    case Condition::kPaused:
      return "one replica stopped";
  }
  return "?";
}

Status Enter(testing::LocalCluster& cluster, Condition c, int slow_ms) {
  if (c == Condition::kSlow) return SetReplyDelay(cluster, kVictim, slow_ms);
  if (c == Condition::kPaused) return cluster.Pause(kVictim);
  return Status::OK();
}

Status Leave(testing::LocalCluster& cluster, Condition c) {
  if (c == Condition::kSlow) return SetReplyDelay(cluster, kVictim, 0);
  if (c == Condition::kPaused) return cluster.Resume(kVictim);
  return Status::OK();
}

// Compacts every node's data engine (admin /test/compact), so the runs meet a settled store
// rather than the preload's memtables and its flushes and compactions still to come.
Status Settle(const testing::LocalCluster& cluster) {
  for (int i = 0; i < cluster.size(); ++i) {
    if (auto compacted = testing::CompactNode(cluster, i); !compacted.ok()) return compacted.status();
  }
  return Status::OK();
}

// Waits (bounded) until no node holds a hint: the writes a paused replica missed are back on
// it, so the next condition's reads do not repair them and its writes do not share the nodes
// with the hand-off.
Status WaitForHintsDelivered(const testing::LocalCluster& cluster, Client& client) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (double queued; (queued = testing::QueuedHints(client, cluster)) > 0;) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::TimedOut("hints still queued after 120 s: " + std::to_string(queued));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Status::OK();
}

}  // namespace

int RunTailTable(testing::LocalCluster& cluster, const TailOptions& o) {
  std::vector<bool> modes;
  if (o.hedging == "on" || o.hedging == "both") modes.push_back(true);
  if (o.hedging == "off" || o.hedging == "both") modes.push_back(false);
  if (modes.empty()) {
    std::fprintf(stderr, "cluster_bench: --hedging must be on, off or both\n");
    return 2;
  }
  std::map<bool, std::unique_ptr<Client>> clients;
  for (bool on : modes) {
    ClientOptions options;
    options.hedging.enabled = on;
    auto client = cluster.Connect(options);
    if (!client.ok()) {
      std::fprintf(stderr, "cluster_bench: %s\n", client.status().ToString().c_str());
      return 1;
    }
    clients[on] = std::move(client).value();
  }
  std::printf(
      "\nDynamo Table 2 form: N=3 W=2 R=2, %d in flight, %d-byte values, %llu ops per run, median of %d; "
      "node3 slowed %d ms by the test hook, or SIGSTOPped\n",
      o.concurrency, o.value_size, static_cast<unsigned long long>(o.ops), o.repeat, o.slow_ms);
  // Load the key space once so reads find values.
  auto contexts = std::make_shared<cli::KeyContexts>();
  Run(*clients.begin()->second, o, contexts, 100, o.keys);

  if (Status st = Settle(cluster); !st.ok()) {
    std::fprintf(stderr, "cluster_bench: settling the preload: %s\n", st.ToString().c_str());
    return 1;
  }
  // A warm-up round, not counted: after the compaction each key has one version in one
  // table, which only the first run would meet (it read 30-60% faster than every later run).
  // It ends with a put run, as every counted get run follows one.
  for (int put_percent : {0, 100}) Run(*clients.begin()->second, o, contexts, put_percent, o.ops);

  // Conditions take turns within each repeat, each repeat starting with the next one
  // (fault-free, slow, stopped; then slow, stopped, fault-free; ...), so that neither the
  // store's growth over the bench nor the place in the round falls on one condition.
  using Key = std::tuple<bool, Condition, int>;  // hedging, condition, put percent
  std::map<Key, std::vector<Figures>> runs;
  const std::vector<Condition> conditions = {Condition::kFaultFree, Condition::kSlow, Condition::kPaused};
  for (int r = 0; r < o.repeat; ++r) {
    for (size_t turn = 0; turn < conditions.size(); ++turn) {
      const Condition c = conditions[(static_cast<size_t>(r) + turn) % conditions.size()];
      if (Status st = Enter(cluster, c, o.slow_ms); !st.ok()) {
        std::fprintf(stderr, "cluster_bench: %s: %s\n", Name(c), st.ToString().c_str());
        (void)Leave(cluster, c);
        return 1;
      }
      // Every other repeat in the other order: the run after a put run meets its flushes and
      // compactions, which must not always fall on the same mode.
      std::vector<bool> order = modes;
      if (r % 2 == 1) std::reverse(order.begin(), order.end());
      for (int put_percent : {0, 100}) {
        for (bool on : order) runs[{on, c, put_percent}].push_back(Run(*clients[on], o, contexts, put_percent, o.ops));
      }
      Status st = Leave(cluster, c);
      if (st.ok()) st = WaitForHintsDelivered(cluster, *clients.begin()->second);
      if (!st.ok()) {
        std::fprintf(stderr, "cluster_bench: leaving %s: %s\n", Name(c), st.ToString().c_str());
        return 1;
      }
    }
  }
  std::map<Key, Figures> table;
  for (auto& [key, v] : runs) table[key] = Median(v);

  std::printf("\n%-8s %-20s %12s %12s %12s %12s %10s %10s\n", "hedging", "condition", "read avg ms", "read p99.9",
              "write avg ms", "write p99.9", "reads/s", "writes/s");
  for (bool on : modes) {
    for (Condition c : {Condition::kFaultFree, Condition::kSlow, Condition::kPaused}) {
      const Figures& rd = table[{on, c, 0}];
      const Figures& wr = table[{on, c, 100}];
      std::printf("%-8s %-20s %12.2f %12.2f %12.2f %12.2f %10.0f %10.0f%s\n", on ? "on" : "off", Name(c), rd.avg_ms,
                  rd.p999_ms, wr.avg_ms, wr.p999_ms, rd.ops_per_sec, wr.ops_per_sec,
                  rd.errors + wr.errors ? ("  ERRORS: " + std::to_string(rd.errors + wr.errors)).c_str() : "");
    }
  }
  // Each repeat's condition against the same repeat's fault-free run, then the median: the
  // store's drift between repeats cancels (the ratio of the medians is printed beside it).
  auto paired = [&](bool on, Condition c, int put_percent, auto figure) {
    const auto& base = runs[{on, Condition::kFaultFree, put_percent}];
    const auto& cond = runs[{on, c, put_percent}];
    std::vector<double> ratios;
    for (size_t r = 0; r < std::min(base.size(), cond.size()); ++r) ratios.push_back(figure(cond[r]) / figure(base[r]));
    return MedianOf(ratios);
  };
  auto ops = [](const Figures& f) { return f.ops_per_sec; };
  auto p999 = [](const Figures& f) { return f.p999_ms; };
  std::printf(
      "\ngoals: ratio to fault-free, median of the repeats' paired ratios (ratio of the medians)\n"
      "%-12s %-20s %-24s %-24s %-24s\n",
      "", "", "get p99.9 <= 2x", "get ops >= 0.8x", "put p99.9 <= 3x");
  for (bool on : modes) {
    const Figures& rd0 = table[{on, Condition::kFaultFree, 0}];
    const Figures& wr0 = table[{on, Condition::kFaultFree, 100}];
    for (Condition c : {Condition::kSlow, Condition::kPaused}) {
      const Figures& rd = table[{on, c, 0}];
      const Figures& wr = table[{on, c, 100}];
      double get_tail = paired(on, c, 0, p999), get_ops = paired(on, c, 0, ops), put_tail = paired(on, c, 100, p999);
      auto cell = [](double paired_ratio, double of_medians, bool met) {
        char text[64];
        std::snprintf(text, sizeof text, "%5.2fx (%5.2fx) %s", paired_ratio, of_medians, met ? "met" : "NOT met");
        return std::string(text);
      };
      std::printf("hedging %-4s %-20s %-24s %-24s %-24s\n", on ? "on" : "off", Name(c),
                  cell(get_tail, rd.p999_ms / rd0.p999_ms, get_tail <= 2.0).c_str(),
                  cell(get_ops, rd.ops_per_sec / rd0.ops_per_sec, get_ops >= 0.8).c_str(),
                  cell(put_tail, wr.p999_ms / wr0.p999_ms, put_tail <= 3.0).c_str());
    }
  }
  return 0;
}

}  // namespace ringkv::bench
