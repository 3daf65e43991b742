// scan_bench: a full paged scan of a namespace on a local 3-node cluster (N=3, R=2), in
// keys per second. Loads --keys keys (100-byte values by default) with 64 puts in flight,
// then scans them all with Client::Scan in pages of --page-size, checks that each key came
// back exactly once, and times a prefix scan of 1% of the keys and CountKeys.
//
//   build-release/bench/scan_bench                 # 20k keys: a quick check
//   build-release/bench/scan_bench --keys 1M       # the documented run (docs/architecture.md, Scans)

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <mutex>

#include "cli/load_generator.h"
#include "tests/cluster/local_cluster.h"

using namespace ringkv;

namespace {

std::string Key(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key:%09llu", static_cast<unsigned long long>(i));
  return buf;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Writes keys 0..keys-1 of `ns`, `inflight` puts at a time (each completion issues the next).
Status Load(Client& client, const std::string& ns, uint64_t keys, size_t value_size, int inflight) {
  std::atomic<uint64_t> next{0}, done{0}, failed{0};
  std::promise<void> finished;
  std::mutex error_mu;
  std::string first_error;
  RequestOptions options;
  options.ns = ns;
  const std::string value(value_size, 'v');
  std::function<void()> issue = [&]() {
    uint64_t i = next.fetch_add(1);
    if (i >= keys) return;
    client.PutAsync(Key(i), value, {}, options, [&](Result<PutResult> r) {
      if (!r.ok()) {
        failed.fetch_add(1);
        std::lock_guard lock(error_mu);
        if (first_error.empty()) first_error = r.status().ToString();
      }
      if (done.fetch_add(1) + 1 == keys)
        finished.set_value();
      else
        issue();
    });
  };
  for (int k = 0; k < inflight && static_cast<uint64_t>(k) < keys; ++k) issue();
  if (keys > 0) finished.get_future().wait();
  if (failed > 0) return Status::Aborted(std::to_string(failed.load()) + " puts failed, first: " + first_error);
  return Status::OK();
}

struct ScanRun {
  uint64_t keys = 0, pages = 0;
  double seconds = 0;
  bool in_order = true;
};

Result<ScanRun> ScanAll(Client& client, const std::string& ns, ScanOptions options) {
  ScanRun run;
  std::string previous;
  auto start = std::chrono::steady_clock::now();
  while (true) {
    RINGKV_ASSIGN(ScanPage page, client.Scan(ns, options));
    ++run.pages;
    for (const ScanItem& item : page.items) {
      run.in_order = run.in_order && (run.keys == 0 || previous < item.key);
      previous = item.key;
      ++run.keys;
    }
    if (page.done()) break;
    options.cursor = std::move(page.cursor);
  }
  run.seconds = Seconds(start);
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  std::string keys_text = "20k";
  size_t page_size = 1000, value_size = 100;
  CLI::App app("scan_bench: a full paged scan on a local 3-node cluster, in keys/s");
  app.add_option("--keys", keys_text, "keys to load and scan (20k, 1M)");
  app.add_option("--page-size", page_size, "keys per page");
  app.add_option("--value-size", value_size, "value bytes");
  CLI11_PARSE(app, argc, argv);
  auto keys = cli::ParseCount(keys_text);
  if (!keys.ok() || *keys == 0 || page_size == 0 || page_size > kMaxScanPageSize) {
    std::fprintf(stderr, "scan_bench: --keys must be a positive count, --page-size 1..%zu\n", kMaxScanPageSize);
    return 2;
  }
  testing::LocalClusterOptions cluster_options;
  cluster_options.memtable_mb = 32;  // the node's default, not the tests' small one
  auto cluster = testing::LocalCluster::Start(cluster_options);
  if (!cluster.ok()) {
    std::fprintf(stderr, "scan_bench: %s\n", cluster.status().ToString().c_str());
    return 1;
  }
  auto client = (*cluster)->Connect();
  if (!client.ok() || !(*client)->CreateNamespace("bench", {}).ok()) {
    std::fprintf(stderr, "scan_bench: cannot connect or create the namespace\n");
    return 1;
  }
  auto load_start = std::chrono::steady_clock::now();
  if (Status s = Load(**client, "bench", *keys, value_size, 64); !s.ok()) {
    std::fprintf(stderr, "scan_bench: loading failed: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("scan_bench: 3 local nodes (N=3, R=2), %llu keys of %zu bytes loaded in %.1f s; pages of %zu\n",
              static_cast<unsigned long long>(*keys), value_size, Seconds(load_start), page_size);

  ScanOptions full;
  full.page_size = page_size;
  full.timeout = std::chrono::seconds(30);
  auto run = ScanAll(**client, "bench", full);
  if (!run.ok()) {
    std::fprintf(stderr, "scan_bench: scan failed: %s\n", run.status().ToString().c_str());
    return 1;
  }
  std::printf("  full scan      %10llu keys  %6llu pages  %7.2f s  %10.0f keys/s%s\n",
              static_cast<unsigned long long>(run->keys), static_cast<unsigned long long>(run->pages), run->seconds,
              static_cast<double>(run->keys) / run->seconds,
              run->keys == *keys && run->in_order ? "" : "  WRONG: keys missing, repeated or out of order");

  ScanOptions prefix = full;  // "key:" and enough zeros to cover 0.1..1% of the keys
  int digits = 0;
  for (uint64_t span = *keys / 100; span >= 10; span /= 10) ++digits;
  prefix.prefix = "key:" + std::string(static_cast<size_t>(9 - digits), '0');
  auto narrow = ScanAll(**client, "bench", prefix);
  if (narrow.ok()) {
    std::printf("  prefix scan    %10llu keys  %6llu pages  %7.2f s  (prefix '%s': every node is still asked)\n",
                static_cast<unsigned long long>(narrow->keys), static_cast<unsigned long long>(narrow->pages),
                narrow->seconds, prefix.prefix.c_str());
  }
  auto count_start = std::chrono::steady_clock::now();
  auto count = (*client)->CountKeys("bench");
  if (count.ok()) {
    std::printf("  count          %10llu keys (approximate)  %7.2f s\n",
                static_cast<unsigned long long>(count->approximate_keys), Seconds(count_start));
  }
  return run->keys == *keys && run->in_order ? 0 : 1;
}
