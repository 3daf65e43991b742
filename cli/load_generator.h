#pragma once
// LoadGenerator: drives a cluster through one SDK Client with `concurrency` requests in
// flight (callbacks issue the next, on the client's loop thread — no thread per request),
// a put/get mix over a key space, and records every latency. Like a real application,
// a put carries the context last seen for its key, so it replaces that version instead of
// piling up siblings; runs that share a KeyContexts carry it from one run to the next.
// Used by `kv bench` and bench/cluster_bench.

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/mutex.h"
#include "ringkv/client.h"

namespace ringkv::cli {

// The context last seen for each key (by its full name, prefix included). Shared by the
// runs of one bench, so that a run's first put on a key replaces the version an earlier run
// left rather than writing blind beside it: a blind put makes a sibling, and siblings piling
// up run after run made every later get and put carry more versions. Thread-safe.
class KeyContexts {
 public:
  // Empty for a key never seen.
  Context Get(const std::string& key) const;
  void Set(const std::string& key, Context context);

 private:
  mutable Mutex mu_;
  std::unordered_map<std::string, Context> by_key_ GUARDED_BY(mu_);
};

struct LoadSpec {
  uint64_t ops = 100000;
  int put_percent = 50;
  size_t value_size = 100;
  int concurrency = 64;
  uint64_t keys = 100000;
  std::string key_prefix = "bench:";
  RequestOptions request;
  // Null: a fresh one for this run (its first put on each key is blind).
  std::shared_ptr<KeyContexts> contexts;
};

// Sorted latencies of one kind of operation, in milliseconds.
struct LatencySummary {
  uint64_t count = 0, errors = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
  std::vector<double> sorted_ms;
  double Percentile(double p) const;
};

struct LoadReport {
  double seconds = 0;
  double ops_per_sec = 0;
  LatencySummary gets, puts, all;
  uint64_t multi_version_gets = 0;  // gets that found more than one version (siblings)
  std::string first_error;          // the first failure's message, for the user
};

class LoadGenerator {
 public:
  LoadGenerator(Client& client, LoadSpec spec);
  // Runs until spec.ops operations completed. `progress` (may be empty) is called from the
  // calling thread about every `progress_every` with the count completed so far.
  LoadReport Run(const std::function<void(uint64_t done)>& progress = {},
                 std::chrono::milliseconds progress_every = std::chrono::milliseconds(200));

 private:
  void IssueNext();
  void Finish(bool put, std::chrono::steady_clock::time_point start, const std::string& key, const Status& status,
              Context* seen, bool multi_version = false);

  Client& client_;
  const LoadSpec spec_;
  const std::string value_;
  std::atomic<uint64_t> issued_{0};
  std::atomic<uint64_t> completed_{0};
  const std::shared_ptr<KeyContexts> contexts_;
  std::mutex mu_;  // guards everything below
  std::minstd_rand rng_{42};
  std::vector<double> get_ms_, put_ms_;
  uint64_t get_errors_ = 0, put_errors_ = 0, multi_version_gets_ = 0;
  std::string first_error_;
  std::promise<void> done_;
};

// "1M" -> 1000000, "250k" -> 250000, "42" -> 42; InvalidArgument otherwise.
Result<uint64_t> ParseCount(const std::string& text);
// "50:50" (put:get) -> 50; "100:0" -> 100; InvalidArgument otherwise.
Result<int> ParseMix(const std::string& text);

}  // namespace ringkv::cli
