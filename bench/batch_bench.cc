// batch_bench: batch calls against single-key calls on a local 3-node cluster.
//
// 3 kvnode processes on 127.0.0.1-3 (as cluster_bench starts them), one SDK client, N=3
// W=2 R=2, 100-byte values. For get and put: `--concurrency` calls in flight, each a single
// Get/Put (callback form) or a MultiGet/MultiPut of `--batch` keys, until `--total_keys`
// keys are done; a put carries the context last seen for its key (no sibling pile-up).
// Printed: keys/s of each and the ratio batch/single, medians of `--repeat` interleaved
// runs. Goal (issue 14): >= 3x.
//
//   batch_bench [--batch 100] [--concurrency 16] [--total_keys 30000] [--keys 10000] [--repeat 3]

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <mutex>
#include <vector>

#include "tests/cluster/local_cluster.h"

using namespace ringkv;

namespace {

struct Flags {
  int batch = 100;
  int concurrency = 16;
  uint64_t total_keys = 30000;
  uint64_t keys = 10000;
  int value_size = 100;
  int repeat = 3;
  std::string workloads = "get,put";
};

struct Measured {
  double keys_per_sec = 0;
  uint64_t failed_keys = 0;
};

// What one call reports when it ends: keys done and keys that failed.
using Done = std::function<void(uint64_t ok, uint64_t failed)>;
// Starts call `i`; calls `done` exactly once when it ends (on the client's loop thread).
using Issue = std::function<void(uint64_t i, Done done)>;

// Keeps `concurrency` calls in flight until `calls` calls have ended.
class Driver {
 public:
  Driver(uint64_t calls, Issue issue) : calls_(calls), issue_(std::move(issue)) {}

  Measured Run(int concurrency) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < concurrency; ++i) IssueNext();
    finished_.get_future().wait();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return {static_cast<double>(ok_.load()) / seconds, failed_.load()};
  }

 private:
  void IssueNext() {
    uint64_t i = next_.fetch_add(1);
    if (i >= calls_) return;
    issue_(i, [this](uint64_t ok, uint64_t failed) {
      ok_ += ok;
      failed_ += failed;
      if (ended_.fetch_add(1) + 1 == calls_) {
        finished_.set_value();
        return;
      }
      IssueNext();
    });
  }

  const uint64_t calls_;
  const Issue issue_;
  std::atomic<uint64_t> next_{0}, ended_{0}, ok_{0}, failed_{0};
  std::promise<void> finished_;
};

// The key space and the context last seen for each key (written from the loop thread,
// read when calls are built, which the first calls do on the main thread).
class Keys {
 public:
  explicit Keys(uint64_t n) : contexts_(n) {}
  uint64_t size() const { return contexts_.size(); }
  static std::string Name(uint64_t k) { return "batch-bench:" + std::to_string(k); }
  Context ContextOf(uint64_t k) {
    std::lock_guard lock(mu_);
    return contexts_[k];
  }
  void Saw(uint64_t k, Context c) {
    std::lock_guard lock(mu_);
    contexts_[k] = std::move(c);
  }

 private:
  std::mutex mu_;
  std::vector<Context> contexts_;
};

uint64_t Failed(const Status& s, uint64_t keys) { return s.ok() ? 0 : keys; }

Measured SingleGets(Client& client, Keys& keys, const Flags& f) {
  Driver d(f.total_keys, [&](uint64_t i, Done done) {
    client.GetAsync(Keys::Name(i % keys.size()), {},
                    [done](Result<GetResult> r) { done(r.ok() ? 1 : 0, Failed(r.status(), 1)); });
  });
  return d.Run(f.concurrency);
}

Measured MultiGets(Client& client, Keys& keys, const Flags& f) {
  auto batch = static_cast<uint64_t>(f.batch);
  Driver d(f.total_keys / batch, [&](uint64_t i, Done done) {
    std::vector<std::string> names;
    for (uint64_t j = 0; j < batch; ++j) names.push_back(Keys::Name((i * batch + j) % keys.size()));
    client.MultiGetAsync(names, {}, [done, batch](Result<Client::GetResults> r) {
      if (!r.ok()) return done(0, batch);
      uint64_t ok = 0;
      for (const auto& one : *r) ok += one.ok() ? 1 : 0;
      done(ok, batch - ok);
    });
  });
  return d.Run(f.concurrency);
}

Measured SinglePuts(Client& client, Keys& keys, const Flags& f, const std::string& value) {
  Driver d(f.total_keys, [&](uint64_t i, Done done) {
    uint64_t k = i % keys.size();
    client.PutAsync(Keys::Name(k), value, keys.ContextOf(k), {}, [done, &keys, k](Result<PutResult> r) {
      if (r.ok()) keys.Saw(k, r->context);
      done(r.ok() ? 1 : 0, Failed(r.status(), 1));
    });
  });
  return d.Run(f.concurrency);
}

Measured MultiPuts(Client& client, Keys& keys, const Flags& f, const std::string& value) {
  auto batch = static_cast<uint64_t>(f.batch);
  Driver d(f.total_keys / batch, [&](uint64_t i, Done done) {
    std::vector<Client::PutEntry> entries;
    std::vector<uint64_t> ks;
    for (uint64_t j = 0; j < batch; ++j) {
      uint64_t k = (i * batch + j) % keys.size();
      ks.push_back(k);
      entries.push_back({Keys::Name(k), value, keys.ContextOf(k), {}});
    }
    client.MultiPutAsync(entries, {}, [done, &keys, ks, batch](Result<Client::PutResults> r) {
      if (!r.ok()) return done(0, batch);
      uint64_t ok = 0;
      for (size_t j = 0; j < r->size(); ++j) {
        if (!(*r)[j].ok()) continue;
        ++ok;
        keys.Saw(ks[j], (*r)[j]->context);
      }
      done(ok, batch - ok);
    });
  });
  return d.Run(f.concurrency);
}

Measured Median(std::vector<Measured> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const Measured& a, const Measured& b) { return a.keys_per_sec < b.keys_per_sec; });
  return runs[runs.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app("batch_bench: MultiGet/MultiPut against single Get/Put (3 local nodes)");
  app.add_option("--batch", f.batch, "keys per batch call");
  app.add_option("--concurrency", f.concurrency, "calls in flight (single or batch)");
  app.add_option("--total_keys", f.total_keys, "keys per run");
  app.add_option("--keys", f.keys, "key space (at least concurrency x batch)");
  app.add_option("--value_size", f.value_size);
  app.add_option("--repeat", f.repeat, "interleaved runs per workload (median reported)");
  app.add_option("--workloads", f.workloads, "any of get,put");
  CLI11_PARSE(app, argc, argv);
  if (f.batch < 1 || f.concurrency < 1 || f.repeat < 1 || f.value_size < 0 ||
      f.keys < static_cast<uint64_t>(f.batch) * static_cast<uint64_t>(f.concurrency) ||
      f.total_keys < static_cast<uint64_t>(f.batch) || static_cast<size_t>(f.batch) > kMaxBatchEntries) {
    std::fprintf(stderr,
                 "batch_bench: --batch (1..%zu), --concurrency, --repeat must be positive, --keys >= batch x "
                 "concurrency (no two calls in flight share a key), --total_keys >= --batch\n",
                 kMaxBatchEntries);
    return 2;
  }

  testing::LocalClusterOptions cluster_options;
  cluster_options.memtable_mb = 32;  // the node's default, not the tests' small one
  auto cluster = testing::LocalCluster::Start(cluster_options);
  if (!cluster.ok()) {
    std::fprintf(stderr, "batch_bench: %s\n", cluster.status().ToString().c_str());
    return 1;
  }
  auto client = (*cluster)->Connect();
  if (!client.ok()) {
    std::fprintf(stderr, "batch_bench: %s\n", client.status().ToString().c_str());
    return 1;
  }
  Client& c = **client;
  Keys keys(f.keys);
  std::string value(static_cast<size_t>(f.value_size), 'v');
  std::printf(
      "batch_bench: N=3 W=2 R=2, %d-key batches, %d calls in flight, %llu keys a run over %llu, %d-byte "
      "values, median of %d interleaved runs (2-core machine shared by 3 nodes + client: compare ratios)\n",
      f.batch, f.concurrency, static_cast<unsigned long long>(f.total_keys), static_cast<unsigned long long>(f.keys),
      f.value_size, f.repeat);

  // Write every key once so the gets find values (and the puts replace one version each).
  Flags load = f;
  load.total_keys = f.keys;
  Measured loaded = MultiPuts(c, keys, load, value);
  if (loaded.failed_keys != 0) std::printf("  loading: %llu keys failed\n", (unsigned long long)loaded.failed_keys);

  bool gets = f.workloads.find("get") != std::string::npos;
  bool puts = f.workloads.find("put") != std::string::npos;
  std::vector<Measured> single_get, multi_get, single_put, multi_put;
  for (int r = 0; r < f.repeat; ++r) {
    if (gets) single_get.push_back(SingleGets(c, keys, f));
    if (gets) multi_get.push_back(MultiGets(c, keys, f));
    if (puts) single_put.push_back(SinglePuts(c, keys, f, value));
    if (puts) multi_put.push_back(MultiPuts(c, keys, f, value));
  }
  std::printf("\n%-10s %14s %14s %8s\n", "ratio", "batch keys/s", "single keys/s", "ratio");
  auto report = [&](const char* name, const std::vector<Measured>& single, const std::vector<Measured>& batch) {
    if (single.empty()) return;
    Measured s = Median(single), b = Median(batch);
    std::printf("%-10s %14.0f %14.0f %8.2f%s\n", name, b.keys_per_sec, s.keys_per_sec, b.keys_per_sec / s.keys_per_sec,
                s.failed_keys + b.failed_keys
                    ? ("  FAILED KEYS: " + std::to_string(s.failed_keys + b.failed_keys)).c_str()
                    : "");
  };
  report("get", single_get, multi_get);
  report("put", single_put, multi_put);
  return 0;
}
