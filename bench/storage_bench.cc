// storage_bench: ringkv's storage engine against RocksDB, in the style of LevelDB's db_bench.
//
// Both engines run the same workloads in the same process with comparable settings: WAL on
// without an fsync per write (ringkv durability=batch, which fsyncs every 5 ms off the write
// path; RocksDB sync=false), 32 MB memtable, 4 KB blocks, 10-bit bloom filters, 8 MB block
// cache, LZ4. Keys are zero-padded decimals, values are ~50% compressible. Each workload
// is repeated and the median reported, with the ratio ringkv/RocksDB (> 1: ringkv faster).
// Full memtables waiting for their flush: each engine's default (ringkv 2, RocksDB 1);
// --max_immutable_memtables and --rocksdb_write_buffers change them.
//
// Large values (docs/storage.md, "Large values"): --value_size 4096|65536|1048576 with
// --total_mb 128 --benchmarks fillrandom,readrandom; RocksDB's blob files are on for
// values >= 64 KB.
//
//   storage_bench [--num 1000000] [--value_size 100] [--key_size 16] [--repeat 3] [--total_mb MB]
//                 [--blob_threshold BYTES] [--max_immutable_memtables N] [--rocksdb_write_buffers N]
//                 [--benchmarks fillseq,fillrandom,overwrite,readrandom,readmissing]
//                 [--engine both|ringkv|rocksdb] [--compression lz4|zstd|none] [--db DIR] [--json]

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/kv_engines.h"

using namespace ringkv::bench;
namespace fs = std::filesystem;

namespace {

struct Flags {
  uint64_t num = 1000000;
  uint64_t reads = 0;  // 0: = num
  int value_size = 100;
  int key_size = 16;
  int repeat = 3;
  std::string benchmarks = "fillseq,fillrandom,overwrite,readrandom,readmissing";
  std::string engine = "both";
  std::string compression = "lz4";
  std::string db;
  bool json = false;
  uint64_t total_mb = 0;        // > 0: --num = this much data / (key + value size)
  uint64_t blob_threshold = 0;  // 0: ringkv's default
  MemtableQueueOptions queue;   // 0s: each engine's default
};

std::string MakeKey(uint64_t i, int key_size) {
  std::string s = std::to_string(i);
  if (static_cast<int>(s.size()) < key_size) s.insert(0, static_cast<size_t>(key_size) - s.size(), '0');
  return s;
}

// Values as db_bench makes them: a pool of random bytes, half of each value repeated.
class ValueGenerator {
 public:
  explicit ValueGenerator(int value_size) : size_(static_cast<size_t>(value_size)) {
    std::mt19937 rng(301);
    while (pool_.size() < 1 << 20) {
      std::string piece(50, '\0');
      for (auto& c : piece) c = static_cast<char>(' ' + rng() % 95);
      pool_ += piece + piece;  // compresses to about half
    }
  }
  std::string_view Next() {
    if (pos_ + size_ > pool_.size()) pos_ = 0;
    pos_ += size_;
    return std::string_view(pool_).substr(pos_ - size_, size_);
  }

 private:
  size_t size_;
  std::string pool_;
  size_t pos_ = 0;
};

struct RunResult {
  double ops_per_sec = 0;
  double mb_per_sec = 0;
};

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// fillseq: 0..n-1 in order; fillrandom: every key once, in random order (so readrandom
// can insist on 100% hits); overwrite: random keys with repeats.
std::vector<uint64_t> KeyOrder(const std::string& workload, uint64_t n, uint64_t seed) {
  std::vector<uint64_t> order(n);
  std::mt19937_64 rng(seed);
  for (uint64_t i = 0; i < n; ++i) order[i] = workload == "overwrite" ? rng() % n : i;
  if (workload == "fillrandom") std::shuffle(order.begin(), order.end(), rng);
  return order;
}

RunResult Fill(KvEngine& e, const Flags& f, const std::string& workload, uint64_t seed) {
  ValueGenerator values(f.value_size);
  auto order = KeyOrder(workload, f.num, seed);
  auto start = Clock::now();
  for (uint64_t i : order) e.Put(MakeKey(i, f.key_size), values.Next());
  e.FinishWrites();
  double secs = Seconds(start);
  double bytes = static_cast<double>(f.num) * (f.key_size + f.value_size);
  return {static_cast<double>(f.num) / secs, bytes / secs / 1e6};
}

RunResult Read(KvEngine& e, const Flags& f, bool missing, uint64_t seed) {
  uint64_t reads = f.reads ? f.reads : f.num;
  std::mt19937_64 rng(seed);
  std::string value;
  uint64_t found = 0;
  auto start = Clock::now();
  for (uint64_t r = 0; r < reads; ++r) {
    std::string key = MakeKey(rng() % f.num, f.key_size);
    if (missing) key += ".";  // never written
    found += e.Get(key, &value) ? 1 : 0;
  }
  double secs = Seconds(start);
  if (missing ? found != 0 : found != reads) {
    std::fprintf(stderr, "storage_bench: %s on %s found %llu of %llu keys: wrong answers\n",
                 missing ? "readmissing" : "readrandom", e.Name().c_str(), static_cast<unsigned long long>(found),
                 static_cast<unsigned long long>(reads));
    std::exit(1);
  }
  return {static_cast<double>(reads) / secs, static_cast<double>(reads) * (f.key_size + f.value_size) / secs / 1e6};
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// Runs every workload `repeat` times on one engine; reads use the DB the last fill left.
std::map<std::string, double> RunEngine(const std::string& name, const Flags& f, const std::string& dir,
                                        EngineReport* report) {
  std::map<std::string, std::vector<double>> samples;
  auto workloads = Split(f.benchmarks);
  for (int rep = 0; rep < f.repeat; ++rep) {
    std::unique_ptr<KvEngine> e;
    auto reopen = [&](bool fresh) {
      e.reset();
      if (fresh) fs::remove_all(dir);
      e = OpenEngine(name, dir, f.compression,
                     LargeValueOptions{static_cast<size_t>(f.value_size), static_cast<size_t>(f.blob_threshold)},
                     f.queue);
    };
    reopen(true);
    bool filled = false;
    for (const auto& w : workloads) {
      RunResult r;
      if (w == "fillseq" || w == "fillrandom") {
        if (filled) reopen(true);
        r = Fill(*e, f, w, 1000 + static_cast<uint64_t>(rep));
        filled = true;
        if (rep == f.repeat - 1 && w == "fillrandom")
          *report = e->Report(static_cast<uint64_t>(f.num) * (f.key_size + f.value_size));
      } else if (w == "overwrite") {
        if (!filled) Fill(*e, f, "fillrandom", 7);
        filled = true;
        r = Fill(*e, f, "overwrite", 2000 + static_cast<uint64_t>(rep));
      } else if (w == "readrandom" || w == "readmissing") {
        if (!filled) {
          Fill(*e, f, "fillseq", 7);  // every key present for the hit test
          filled = true;
        }
        e->SettleForReads();
        r = Read(*e, f, w == "readmissing", 3000 + static_cast<uint64_t>(rep));
      } else {
        std::fprintf(stderr, "storage_bench: unknown benchmark '%s'\n", w.c_str());
        std::exit(2);
      }
      samples[w].push_back(r.ops_per_sec);
      std::fprintf(stderr, "  [%s run %d] %-12s %12.0f ops/s\n", name.c_str(), rep + 1, w.c_str(), r.ops_per_sec);
    }
  }
  std::map<std::string, double> medians;
  for (auto& [w, v] : samples) medians[w] = Median(v);
  return medians;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app("storage_bench: ringkv's storage engine vs RocksDB");
  app.add_option("--num", f.num, "keys per fill");
  app.add_option("--reads", f.reads, "reads per read benchmark (default: --num)");
  app.add_option("--value_size", f.value_size);
  app.add_option("--key_size", f.key_size);
  app.add_option("--repeat", f.repeat, "runs per workload; the median is reported");
  app.add_option("--benchmarks", f.benchmarks);
  app.add_option("--engine", f.engine)->check(CLI::IsMember({"both", "ringkv", "rocksdb"}));
  app.add_option("--compression", f.compression)->check(CLI::IsMember({"lz4", "zstd", "none"}));
  app.add_option("--db", f.db, "working directory (default: a fresh temp dir, removed at the end)");
  app.add_flag("--json", f.json, "also print a JSON summary line");
  app.add_option("--total_mb", f.total_mb, "size --num to this much data per fill (large-value workloads)");
  app.add_option("--blob_threshold", f.blob_threshold,
                 "values at least this large go to blob files (ringkv; RocksDB's min_blob_size when its blob "
                 "files are on, for values >= 64 KB); default: ringkv's");
  app.add_option("--max_immutable_memtables", f.queue.ringkv_max_immutable,
                 "ringkv: full memtables that may wait for their flush (default: ringkv's)");
  app.add_option("--rocksdb_write_buffers", f.queue.rocksdb_write_buffers,
                 "RocksDB's max_write_buffer_number, the active memtable included (default: RocksDB's, 2)");
  CLI11_PARSE(app, argc, argv);
  if (f.total_mb > 0)
    f.num = std::max<uint64_t>(1, (f.total_mb << 20) / static_cast<uint64_t>(f.key_size + f.value_size));
  if (f.num == 0 || f.repeat < 1 || f.key_size < 1 || f.value_size < 0) {
    std::fprintf(stderr, "storage_bench: --num, --repeat and --key_size must be positive\n");
    return 2;
  }
  bool temp = f.db.empty();
  if (temp) f.db = (fs::temp_directory_path() / ("ringkv-bench-" + std::to_string(::getpid()))).string();

  std::vector<std::string> engines;
  if (f.engine != "rocksdb") engines.push_back("ringkv");
  if (f.engine != "ringkv") {
    if (RocksDbAvailable())
      engines.push_back("rocksdb");
    else
      std::fprintf(stderr, "storage_bench: built without RocksDB: no baseline\n");
  }
  std::printf(
      "storage_bench: %llu keys, %d-byte keys, %d-byte values, %s, median of %d runs "
      "(2-core machine, noisy: compare ratios, not absolutes)\n",
      static_cast<unsigned long long>(f.num), f.key_size, f.value_size, f.compression.c_str(), f.repeat);
  std::map<std::string, std::map<std::string, double>> results;
  std::map<std::string, EngineReport> reports;
  for (const auto& name : engines) {
    results[name] = RunEngine(name, f, f.db + "/" + name, &reports[name]);
  }
  std::printf("\n%-12s %14s %14s %10s\n", "workload", "ringkv ops/s", "rocksdb ops/s", "ratio");
  std::string json = "{";
  for (const auto& w : Split(f.benchmarks)) {
    double a = results["ringkv"][w], b = results["rocksdb"][w];
    std::printf("%-12s %14.0f %14.0f %10s\n", w.c_str(), a, b,
                (a > 0 && b > 0) ? std::to_string(a / b).substr(0, 5).c_str() : "-");
    json += "\"" + w + "\":{\"ringkv\":" + std::to_string(a) + ",\"rocksdb\":" + std::to_string(b) + "},";
  }
  if (reports.count("ringkv")) {
    const EngineReport& r = reports["ringkv"];
    std::printf(
        "\nringkv after fillrandom: write amplification %.2f (%.2f without the WAL), "
        "space amplification %.2f, write stalls %llu (total %.1f ms, max %.1f ms)\n",
        r.write_amp, r.write_amp_no_wal, r.space_amp, static_cast<unsigned long long>(r.stalls), r.stall_ms_total,
        r.stall_ms_max);
    json +=
        "\"ringkv_write_amp\":" + std::to_string(r.write_amp) + ",\"ringkv_space_amp\":" + std::to_string(r.space_amp);
  }
  json += "}";
  if (f.json) std::printf("%s\n", json.c_str());
  if (temp) fs::remove_all(f.db);
  return 0;
}
