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
// At scale (docs/storage.md, "Compaction"): --num 10000000 --reads 1000000 --benchmarks
// fillrandom,readrandom; each read run prints, for ringkv, the tables consulted per read
// (bloom filters checked), the share the filters excluded and the block cache's hit rate.
// Space and write amplification are printed once compaction has settled after the last fill.
//
// Sustained overwrite (`overwritetimed`): random overwrites of the --num keys (filled first)
// as fast as the engine takes them for --duration_s seconds (default 30; 600 for the
// ten-minute run), printing per --interval_s (default 10; 60 for per-minute figures) the
// rate, the p50/p99/max write latency, write stalls and the compaction debt (bytes
// compaction still has to merge), so a growing debt or a climbing p99 shows.
//
//   storage_bench [--num 1000000] [--value_size 100] [--key_size 16] [--repeat 3] [--total_mb MB]
//                 [--blob_threshold BYTES] [--max_immutable_memtables N] [--rocksdb_write_buffers N]
//                 [--benchmarks fillseq,fillrandom,overwrite,readrandom,readmissing,overwritetimed]
//                 [--duration_s S] [--interval_s S]
//                 [--engine both|ringkv|rocksdb] [--compression lz4|zstd|none] [--db DIR] [--json]

#include <sys/resource.h>

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
  double duration_s = 30;       // overwritetimed
  double interval_s = 10;
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
  uint64_t ops = 0;  // overwritetimed: how many writes
};

using Clock = std::chrono::steady_clock;

// CPU time (user + system) the calling thread has used.
double ThreadCpuSeconds() {
  struct rusage u {};
  ::getrusage(RUSAGE_THREAD, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

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
  EngineGauges before = e.Gauges();
  double cpu_before = ThreadCpuSeconds();
  auto start = Clock::now();
  for (uint64_t r = 0; r < reads; ++r) {
    std::string key = MakeKey(rng() % f.num, f.key_size);
    if (missing) key += ".";  // never written
    found += e.Get(key, &value) ? 1 : 0;
  }
  double secs = Seconds(start);
  double cpu = ThreadCpuSeconds() - cpu_before;
  if (missing ? found != 0 : found != reads) {
    std::fprintf(stderr, "storage_bench: %s on %s found %llu of %llu keys: wrong answers\n",
                 missing ? "readmissing" : "readrandom", e.Name().c_str(), static_cast<unsigned long long>(found),
                 static_cast<unsigned long long>(reads));
    std::exit(1);
  }
  EngineGauges after = e.Gauges();
  // On a machine shared with other builds the reader gets a varying share of a core: its
  // own CPU time per read is the figure that load does not move (reads run on the calling
  // thread in both engines, and nothing runs in the background once compaction settled).
  std::fprintf(stderr,
               "  [%s] %s: %.2f us of the reading thread's CPU per read (%.0f reads per CPU-second), %.0f%% of "
               "a core\n",
               e.Name().c_str(), missing ? "readmissing" : "readrandom", cpu * 1e6 / static_cast<double>(reads),
               static_cast<double>(reads) / cpu, 100.0 * cpu / secs);
  if (after.bloom_checks > before.bloom_checks) {
    double checks = static_cast<double>(after.bloom_checks - before.bloom_checks);
    double skips = static_cast<double>(after.bloom_skips - before.bloom_skips);
    double hits = static_cast<double>(after.cache_hits - before.cache_hits);
    double misses = static_cast<double>(after.cache_misses - before.cache_misses);
    std::fprintf(stderr,
                 "  [%s] per read: %.2f tables consulted (bloom filters checked), %.2f excluded by the filter, "
                 "%.2f blocks read (block cache hit rate %.1f%%); %llu tables (%s)\n",
                 e.Name().c_str(), checks / static_cast<double>(reads), skips / static_cast<double>(reads),
                 (hits + misses) / static_cast<double>(reads), hits + misses > 0 ? 100.0 * hits / (hits + misses) : 0.0,
                 static_cast<unsigned long long>(after.tables), after.tables_per_level.c_str());
  } else {
    std::fprintf(stderr, "  [%s] %llu tables (%s)\n", e.Name().c_str(), static_cast<unsigned long long>(after.tables),
                 after.tables_per_level.c_str());
  }
  return {static_cast<double>(reads) / secs, static_cast<double>(reads) * (f.key_size + f.value_size) / secs / 1e6};
}

// Write latencies in nanoseconds, in buckets 4 per power of two (at most 19% wide).
class LatencyHistogram {
 public:
  void Add(uint64_t ns) {
    ++buckets_[Bucket(ns)];
    ++count_;
    max_ = std::max(max_, ns);
  }
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  // The upper bound of the bucket that holds the q-quantile.
  uint64_t Quantile(double q) const {
    uint64_t target = static_cast<uint64_t>(q * static_cast<double>(count_));
    uint64_t seen = 0;
    for (size_t b = 0; b < kBuckets; ++b) {
      seen += buckets_[b];
      if (seen > target) return std::min(UpperBound(b), max_);
    }
    return max_;
  }

 private:
  static constexpr size_t kBuckets = 64 * 4;
  static size_t Bucket(uint64_t ns) {
    if (ns < 4) return static_cast<size_t>(ns);
    int top = 63 - __builtin_clzll(ns);  // >= 2
    size_t sub = static_cast<size_t>((ns >> (top - 2)) & 3);
    return std::min(kBuckets - 1, static_cast<size_t>(top) * 4 + sub);
  }
  static uint64_t UpperBound(size_t b) {
    if (b < 4) return b;
    size_t top = b / 4, sub = b % 4;
    return ((uint64_t{4} + sub + 1) << (top - 2)) - 1;
  }
  uint64_t buckets_[kBuckets] = {};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

// overwritetimed: random overwrites as fast as the engine takes them, for f.duration_s,
// with a line per f.interval_s. Returns the whole run's rate.
RunResult OverwriteTimed(KvEngine& e, const Flags& f, uint64_t seed) {
  ValueGenerator values(f.value_size);
  std::mt19937_64 rng(seed);
  auto start = Clock::now();
  auto interval_start = start;
  LatencyHistogram hist;
  EngineGauges last = e.Gauges();
  uint64_t total = 0;
  int interval = 0;
  std::fprintf(stderr, "  [%s] %8s %10s %9s %9s %10s %7s %9s %12s %s\n", e.Name().c_str(), "t (s)", "ops/s", "p50 us",
               "p99 us", "max us", "stalls", "stall ms", "debt MB", "tables");
  for (;;) {
    for (int batch = 0; batch < 256; ++batch) {
      std::string key = MakeKey(rng() % f.num, f.key_size);
      auto t0 = Clock::now();
      e.Put(key, values.Next());
      hist.Add(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count()));
    }
    double in_interval = Seconds(interval_start);
    if (in_interval < f.interval_s) continue;
    ++interval;
    EngineGauges g = e.Gauges();
    total += hist.count();
    std::fprintf(stderr, "  [%s] %8.0f %10.0f %9.1f %9.1f %10.1f %7llu %9.1f %12.1f %s\n", e.Name().c_str(),
                 Seconds(start), static_cast<double>(hist.count()) / in_interval, hist.Quantile(0.5) / 1e3,
                 hist.Quantile(0.99) / 1e3, static_cast<double>(hist.max()) / 1e3,
                 static_cast<unsigned long long>(g.stalls - last.stalls),
                 static_cast<double>(g.stall_micros - last.stall_micros) / 1e3,
                 static_cast<double>(g.compaction_debt_bytes) / 1e6,
                 g.tables_per_level.empty() ? std::to_string(g.tables).c_str() : g.tables_per_level.c_str());
    last = g;
    hist = LatencyHistogram();
    interval_start = Clock::now();
    if (Seconds(start) >= f.duration_s) break;
  }
  e.FinishWrites();
  double secs = Seconds(start);
  return {static_cast<double>(total) / secs, static_cast<double>(total) * (f.key_size + f.value_size) / secs / 1e6,
          total};
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

// Runs every workload once (run `rep`) on one engine; reads use the DB the last fill left.
// The engines take turns run by run (main), so the machine's load falls on all of them alike.
void RunEngine(const std::string& name, const Flags& f, const std::string& dir, int rep,
               std::map<std::string, std::vector<double>>* samples_out, EngineReport* report) {
  auto& samples = *samples_out;
  auto workloads = Split(f.benchmarks);
  {
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
        if (rep == f.repeat - 1 && w == "fillrandom") {
          e->SettleForReads();  // space amplification once compaction has settled
          *report = e->Report(static_cast<uint64_t>(f.num) * (f.key_size + f.value_size));
        }
      } else if (w == "overwrite") {
        if (!filled) Fill(*e, f, "fillrandom", 7);
        filled = true;
        r = Fill(*e, f, "overwrite", 2000 + static_cast<uint64_t>(rep));
      } else if (w == "overwritetimed") {
        if (!filled) Fill(*e, f, "fillrandom", 7);
        filled = true;
        r = OverwriteTimed(*e, f, 4000 + static_cast<uint64_t>(rep));
        if (rep == f.repeat - 1) {
          e->SettleForReads();
          *report = e->Report(static_cast<uint64_t>(f.num) * (f.key_size + f.value_size));
          // Write amplification against every byte written (the fill and the overwrites),
          // space amplification against the live data (one value per key).
          double written = static_cast<double>(f.num + r.ops), live = static_cast<double>(f.num);
          report->write_amp *= live / written;
          report->write_amp_no_wal *= live / written;
          std::fprintf(stderr, "  [%s] after overwritetimed and settling: space amplification %.2f\n", name.c_str(),
                       report->space_amp);
        }
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
    e.reset();
    fs::remove_all(dir);  // room on the disk for the next engine's run
  }
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
  app.add_option("--engine", f.engine)->check(CLI::IsMember({"both", "ringkv", "rocksdb", "all"}));
  // "all": ringkv (its default, leveled compaction), ringkv-tiered (size-tiered) and RocksDB.
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
  app.add_option("--duration_s", f.duration_s, "overwritetimed: seconds of overwrites (600: the ten-minute run)");
  app.add_option("--interval_s", f.interval_s, "overwritetimed: seconds per printed line");
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
  if (f.engine == "all") engines.push_back("ringkv-tiered");
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
  std::map<std::string, std::map<std::string, std::vector<double>>> samples;
  std::map<std::string, EngineReport> reports;
  for (int rep = 0; rep < f.repeat; ++rep) {
    for (const auto& name : engines) RunEngine(name, f, f.db + "/" + name, rep, &samples[name], &reports[name]);
  }
  std::map<std::string, std::map<std::string, double>> results;
  for (auto& [name, by_workload] : samples) {
    for (auto& [w, v] : by_workload) results[name][w] = Median(v);
  }
  std::string json = "{";
  for (const auto& name : engines) {
    if (name == "rocksdb") continue;
    // "ratio": of the two medians; "paired": the median of each round's own ratio (the two
    // engines run back to back in a round, so a round's ratio shares that minute's noise).
    std::printf("\n%-14s %14s %14s %10s %10s\n", "workload", (name + " ops/s").c_str(), "rocksdb ops/s", "ratio",
                "paired");
    for (const auto& w : Split(f.benchmarks)) {
      double a = results[name][w], b = results["rocksdb"][w];
      const std::vector<double>& ours = samples[name][w];
      const std::vector<double>& base = samples["rocksdb"][w];
      std::vector<double> rounds;
      for (size_t i = 0; i < ours.size() && i < base.size(); ++i) {
        if (base[i] > 0) rounds.push_back(ours[i] / base[i]);
      }
      auto shown = [](double x) { return x > 0 ? std::to_string(x).substr(0, 5) : std::string("-"); };
      std::printf("%-14s %14.0f %14.0f %10s %10s\n", w.c_str(), a, b, shown(a > 0 && b > 0 ? a / b : 0).c_str(),
                  shown(rounds.empty() ? 0 : Median(rounds)).c_str());
      json +=
          "\"" + name + ":" + w + "\":{\"ringkv\":" + std::to_string(a) + ",\"rocksdb\":" + std::to_string(b) + "},";
    }
    const EngineReport& r = reports[name];
    std::printf(
        "%s after the last fill, settled: write amplification %.2f (%.2f without the WAL), "
        "space amplification %.2f, write stalls %llu (total %.1f ms, max %.1f ms)\n",
        name.c_str(), r.write_amp, r.write_amp_no_wal, r.space_amp, static_cast<unsigned long long>(r.stalls),
        r.stall_ms_total, r.stall_ms_max);
    json += "\"" + name + "_write_amp\":" + std::to_string(r.write_amp) + ",\"" + name +
            "_space_amp\":" + std::to_string(r.space_amp) + ",";
  }
  if (json.back() == ',') json.pop_back();
  json += "}";
  if (f.json) std::printf("%s\n", json.c_str());
  if (temp) fs::remove_all(f.db);
  return 0;
}
