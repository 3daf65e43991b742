// cluster_bench: ringkv on a local 3-node cluster against Redis on the same machine.
//
// ringkv: 3 kvnode processes on 127.0.0.1-3 (durability batch: each write reaches the OS
// before the reply, WAL fsync every 5 ms; --durability none or always to compare), one
// SDK client keeping `concurrency` requests in flight, 100-byte values, for each of
// put-only, get-only and 50/50, at N=3 W=2 R=2 and at N=W=R=1: ops/s and p50/p99/p999.
// Redis: redis-server on loopback (appendonly, fsync every second: its closest durability)
// driven by redis-benchmark at the same concurrency and value size, SET and GET.
// Printed: the figures and the ratio ringkv/Redis per workload (mix: against the mean of
// SET and GET throughput). Medians of `--repeat` runs.
//
//   cluster_bench [--ops 100000] [--concurrency 64] [--value_size 100] [--keys 100000] [--repeat 3]
//                 [--durability batch]
//
// --tail: instead, the Dynamo paper's Table 2 form with one replica slow or stopped
// (bench/tail_table.h): cluster_bench --tail [--tail-ops 20000] [--slow-ms 20] [--hedging both]

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/redis_baseline.h"
#include "bench/tail_table.h"
#include "cli/load_generator.h"
#include "tests/cluster/local_cluster.h"

using namespace ringkv;

namespace {

struct Flags {
  uint64_t ops = 100000;
  int concurrency = 64;
  int value_size = 100;
  uint64_t keys = 100000;
  int repeat = 3;
  std::string workloads = "put,get,50/50";
  std::string configs = "quorum,one";
  bool redis = true;
};

struct Measured {
  double ops_per_sec = 0;
  double p50_ms = 0, p99_ms = 0, p999_ms = 0;
  uint64_t errors = 0;
  double multi_version_share = 0;  // of the gets: found more than one version
};

// One config's key space: its keys and the context last seen for each, kept across its
// runs so that every put replaces the key's version (cli::KeyContexts).
struct KeySpace {
  std::string prefix;
  std::shared_ptr<cli::KeyContexts> contexts = std::make_shared<cli::KeyContexts>();
};

// One run of the shared load generator (cli/load_generator.h), as the figures printed.
Measured RunLoad(Client& client, const Flags& f, const KeySpace& space, int put_percent, RequestOptions req,
                 uint64_t ops) {
  cli::LoadSpec spec;
  spec.ops = ops;
  spec.put_percent = put_percent;
  spec.value_size = static_cast<size_t>(f.value_size);
  spec.concurrency = f.concurrency;
  spec.keys = f.keys;
  spec.request = req;
  spec.key_prefix = space.prefix;
  spec.contexts = space.contexts;
  cli::LoadReport r = cli::LoadGenerator(client, spec).Run();
  double share = r.gets.count ? static_cast<double>(r.multi_version_gets) / static_cast<double>(r.gets.count) : 0;
  return {r.ops_per_sec, r.all.p50, r.all.p99, r.all.p999, r.all.errors, share};
}

// The run of median throughput, with the median share of gets that found siblings.
Measured Median(std::vector<Measured> runs) {
  std::vector<double> shares;
  for (const Measured& m : runs) shares.push_back(m.multi_version_share);
  std::sort(shares.begin(), shares.end());
  std::sort(runs.begin(), runs.end(),
            [](const Measured& a, const Measured& b) { return a.ops_per_sec < b.ops_per_sec; });
  Measured median = runs[runs.size() / 2];
  median.multi_version_share = shares[shares.size() / 2];
  return median;
}

void Print(const char* name, const Measured& m) {
  std::printf("  %-28s %10.0f ops/s   p50 %6.2f ms  p99 %6.2f ms  p999 %6.2f ms", name, m.ops_per_sec, m.p50_ms,
              m.p99_ms, m.p999_ms);
  if (m.multi_version_share > 0) std::printf("  gets with siblings %.2f%%", 100 * m.multi_version_share);
  if (m.errors) std::printf("  ERRORS: %llu", static_cast<unsigned long long>(m.errors));
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app("cluster_bench: ringkv (3 local nodes) vs Redis");
  app.add_option("--ops", f.ops, "operations per run");
  app.add_option("--concurrency", f.concurrency, "requests in flight");
  app.add_option("--value_size", f.value_size);
  app.add_option("--keys", f.keys, "key space");
  app.add_option("--repeat", f.repeat, "runs per workload (median reported)");
  app.add_option("--workloads", f.workloads, "any of put,get,50/50");
  app.add_option("--configs", f.configs, "any of quorum (N=3 W=2 R=2), one (N=W=R=1)");
  app.add_flag("--redis,!--no-redis", f.redis, "run the Redis baseline");
  std::string durability = "batch";
  app.add_option("--durability", durability, "the nodes' WAL durability: none, batch or always")
      ->check(CLI::IsMember({"none", "batch", "always"}));
  bool tail = false;
  bench::TailOptions tail_options;
  app.add_flag("--tail", tail, "print the Dynamo Table 2 form with one replica slow or stopped instead");
  app.add_option("--tail-ops", tail_options.ops, "--tail: operations per run")->check(CLI::Range(1, 100000000));
  app.add_option("--slow-ms", tail_options.slow_ms, "--tail: how long the slow replica holds back its replies")
      ->check(CLI::Range(1, 60000));  // what the node's /test/reply-delay takes (0 would be no fault)
  app.add_option("--hedging", tail_options.hedging, "--tail: on, off or both (interleaved)")
      ->check(CLI::IsMember({"on", "off", "both"}));
  std::vector<std::string> node_flags;
  app.add_option("--node-flag", node_flags,
                 "a kvnode flag for every node, as --node-flag=--worker-threads=4 (repeatable)");
  CLI11_PARSE(app, argc, argv);
  if (f.ops == 0 || f.concurrency < 1 || f.repeat < 1 || f.keys == 0) {
    std::fprintf(stderr, "cluster_bench: --ops, --concurrency, --repeat and --keys must be positive\n");
    return 2;
  }

  testing::LocalClusterOptions cluster_options;
  cluster_options.memtable_mb = 32;  // the node's default, not the tests' small one
  cluster_options.durability = durability;
  cluster_options.extra_flags = node_flags;
  auto cluster = testing::LocalCluster::Start(cluster_options);
  if (!cluster.ok()) {
    std::fprintf(stderr, "cluster_bench: %s\n", cluster.status().ToString().c_str());
    return 1;
  }
  auto client = (*cluster)->Connect();
  if (!client.ok()) {
    std::fprintf(stderr, "cluster_bench: %s\n", client.status().ToString().c_str());
    return 1;
  }
  if (tail) {
    tail_options.concurrency = f.concurrency;
    tail_options.value_size = f.value_size;
    tail_options.keys = f.keys;
    tail_options.repeat = f.repeat;
    return bench::RunTailTable(**cluster, tail_options);
  }
  std::printf(
      "cluster_bench: %llu ops, %d in flight, %d-byte values, %llu keys, durability %s, median of %d runs "
      "(2-core machine shared by 3 nodes + client: compare ratios, not absolutes)\n",
      static_cast<unsigned long long>(f.ops), f.concurrency, f.value_size, static_cast<unsigned long long>(f.keys),
      durability.c_str(), f.repeat);

  struct Config {
    const char* name;
    RequestOptions req;
    KeySpace space;  // each config its own keys: N=1 puts would write blind over N=3's
  };
  RequestOptions quorum;  // N=3 W=2 R=2 (client defaults)
  RequestOptions one;
  one.n = 1;
  one.w = 1;
  one.r = 1;
  std::map<std::string, Measured> ours;
  for (const Config& c : {Config{"N=3 W=2 R=2", quorum, {"bench:"}}, Config{"N=W=R=1", one, {"bench1:"}}}) {
    bool is_quorum = std::string(c.name) == "N=3 W=2 R=2";
    if (f.configs.find(is_quorum ? "quorum" : "one") == std::string::npos) continue;
    // Load the key space once so gets find values.
    RunLoad(**client, f, c.space, 100, c.req, f.keys);
    for (auto [label, put_pct] : {std::pair{"put", 100}, std::pair{"get", 0}, std::pair{"50/50", 50}}) {
      if (f.workloads.find(label) == std::string::npos) continue;
      std::vector<Measured> runs;
      for (int r = 0; r < f.repeat; ++r) runs.push_back(RunLoad(**client, f, c.space, put_pct, c.req, f.ops));
      std::string name = std::string("ringkv ") + c.name + " " + label;
      ours[name] = Median(runs);
      Print(name.c_str(), ours[name]);
    }
  }

  if (!f.redis) return 0;
  auto redis = bench::RunRedisBaseline(f.ops, f.concurrency, f.value_size, f.keys, f.repeat);
  if (!redis.ok()) {
    std::printf("\nno Redis baseline: %s\n", redis.status().ToString().c_str());
    return 0;
  }
  Measured rset{redis->set.ops_per_sec, redis->set.p50_ms, redis->set.p99_ms, 0, 0};
  Measured rget{redis->get.ops_per_sec, redis->get.p50_ms, redis->get.p99_ms, 0, 0};
  Print("redis SET", rset);
  Print("redis GET", rget);
  double rmix = 2.0 / (1.0 / rset.ops_per_sec + 1.0 / rget.ops_per_sec);
  std::printf("\n%-24s %10s %10s %8s\n", "ratio ringkv/redis", "ringkv", "redis", "ratio");
  for (const char* c : {"N=3 W=2 R=2", "N=W=R=1"}) {
    for (auto [label, base] :
         {std::pair{"put", rset.ops_per_sec}, std::pair{"get", rget.ops_per_sec}, std::pair{"50/50", rmix}}) {
      auto it = ours.find(std::string("ringkv ") + c + " " + label);
      if (it == ours.end()) continue;
      double v = it->second.ops_per_sec;
      std::printf("%-12s %-11s %10.0f %10.0f %8.3f\n", c, label, v, base, v / base);
    }
  }
  return 0;
}
