#pragma once
// The engines storage_bench compares, behind one small interface, configured alike.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ringkv::bench {

struct EngineReport {
  double write_amp = 0;         // bytes written to disk / logical bytes written
  double write_amp_no_wal = 0;  // the same, flushes and compactions only
  double space_amp = 0;         // bytes on disk / logical bytes
  uint64_t stalls = 0;
  double stall_ms_total = 0;
  double stall_ms_max = 0;
};

// What an engine says about its own state, for the bench to print: compaction debt (ringkv:
// EngineInfo::compaction_debt_bytes; RocksDB: rocksdb.estimate-pending-compaction-bytes),
// tables, and (ringkv only, cumulative counters) the read path's bloom filter and block
// cache figures and the write stalls.
struct EngineGauges {
  uint64_t compaction_debt_bytes = 0;
  uint64_t level0_tables = 0;
  uint64_t tables = 0;
  std::string tables_per_level;  // "L0 3, L1 5, ..." (or "" when the engine has no levels)
  uint64_t bloom_checks = 0;     // tables whose bloom filter a read consulted
  uint64_t bloom_skips = 0;      // of which the filter said "absent"
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
  uint64_t stalls = 0;
  uint64_t stall_micros = 0;
};

class KvEngine {
 public:
  virtual ~KvEngine() = default;
  virtual std::string Name() const = 0;
  virtual void Put(const std::string& key, std::string_view value) = 0;  // aborts on error
  virtual bool Get(const std::string& key, std::string* value) = 0;      // false: not found
  virtual void FinishWrites() {}
  // Flushes the memtable and waits for pending compactions, so reads see a settled tree.
  virtual void SettleForReads() = 0;
  virtual EngineReport Report(uint64_t logical_bytes) = 0;
  virtual EngineGauges Gauges() = 0;
};

bool RocksDbAvailable();
// "ringkv" (its default compaction, leveled), "ringkv-tiered" (size-tiered) or "rocksdb"; exits
// with a message if the engine cannot open.
// How an engine keeps large values: ringkv's blob_threshold_bytes (0: its default); RocksDB
// turns its integrated blob files on (enable_blob_files, min_blob_size = the same threshold,
// blob garbage collection on) for workloads whose values are >= kRocksBlobValueBytes, as its
// docs advise for large values.
struct LargeValueOptions {
  size_t value_size = 0;
  size_t blob_threshold = 0;
};
inline constexpr size_t kRocksBlobValueBytes = 64u << 10;

// How many full memtables may wait for their flush before writes stall (0: each engine's
// default): ringkv's max_immutable_memtables, and RocksDB's max_write_buffer_number (which
// counts the active memtable too: its default 2 is one waiting memtable).
struct MemtableQueueOptions {
  int ringkv_max_immutable = 0;
  int rocksdb_write_buffers = 0;
};

std::unique_ptr<KvEngine> OpenEngine(const std::string& name, const std::string& dir, const std::string& compression,
                                     const LargeValueOptions& large = {}, const MemtableQueueOptions& queue = {});

}  // namespace ringkv::bench
