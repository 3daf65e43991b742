#include "cli/node_load.h"

#include <cstdlib>
#include <limits>

namespace ringkv::cli {
namespace {

double Get(const StatsReading& r, const std::string& key) {
  auto it = r.find(key);
  return it == r.end() ? 0 : it->second;
}

// A counter's growth; a counter that fell (restart) grew from zero.
double Growth(const StatsReading& before, const StatsReading& after, const std::string& key) {
  double a = Get(after, key), b = Get(before, key);
  return a >= b ? a - b : a;
}

bool StartsWith(const std::string& s, std::string_view prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// `le="0.0025"` in a bucket's labels -> 0.0025; +Inf -> infinity.
double UpperBound(const std::string& key) {
  size_t at = key.find("le=\"");
  if (at == std::string::npos) return std::numeric_limits<double>::infinity();
  std::string text = key.substr(at + 4, key.find('"', at + 4) - at - 4);
  if (text == "+Inf") return std::numeric_limits<double>::infinity();
  return std::strtod(text.c_str(), nullptr);
}

double P99Ms(const StatsReading& before, const StatsReading& after) {
  // Buckets are cumulative per op; summing the ops' growth per bound keeps them cumulative.
  std::map<double, double> by_bound;
  for (const auto& [key, _] : after) {
    if (StartsWith(key, "rpc_latency_seconds_bucket{")) by_bound[UpperBound(key)] += Growth(before, after, key);
  }
  if (by_bound.empty()) return 0;
  double total = by_bound.rbegin()->second;  // +Inf holds every call
  if (total <= 0) return 0;
  double largest_finite = 0;
  for (const auto& [bound, count] : by_bound) {
    if (bound != std::numeric_limits<double>::infinity()) largest_finite = bound;
  }
  for (const auto& [bound, count] : by_bound) {
    if (count >= 0.99 * total)
      return 1000 * (bound == std::numeric_limits<double>::infinity() ? largest_finite : bound);
  }
  return 1000 * largest_finite;
}

}  // namespace

NodeLoad LoadBetween(const std::string& id, const StatsReading& before, const StatsReading& after, double seconds) {
  NodeLoad load;
  load.id = id;
  double keys = 0;
  for (const auto& [key, _] : after) {
    if (StartsWith(key, "rpc_keys_total{")) keys += Growth(before, after, key);
  }
  load.ops_per_s = keys / seconds;
  load.p99_ms = P99Ms(before, after);
  load.disk_bytes = Get(after, "sstable_bytes") + Get(after, "memtable_bytes") + Get(after, "wal_bytes");
  load.hints_queued = Get(after, "hints_queued_total");
  return load;
}

double RepairsRunning(const StatsReading& reading) { return Get(reading, "repair_sessions_running"); }

}  // namespace ringkv::cli
