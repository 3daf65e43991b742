#include "bench/kv_engines.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "node/storage/engine.h"

#ifdef RINGKV_HAVE_ROCKSDB
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#endif

namespace ringkv::bench {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "storage_bench: %s\n", what.c_str());
  std::exit(1);
}

// The engine's flush thread may still be deleting files (a WAL it retired) while this
// runs: a file gone between the listing and its size counts as 0 bytes.
uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code gone;
    if (!it->is_regular_file(gone)) continue;
    uint64_t size = it->file_size(gone);
    if (!gone) total += size;
  }
  return total;
}

// "L<level> <tables>".
std::string LevelLabel(int level, uint64_t tables) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "L%d %llu", level, static_cast<unsigned long long>(tables));
  return buf;
}

class RingkvEngine : public KvEngine {
 public:
  RingkvEngine(const std::string& dir, const std::string& compression, const LargeValueOptions& large,
               const MemtableQueueOptions& queue, bool size_tiered)
      : name_(size_tiered ? "ringkv-tiered" : "ringkv") {
    // Defaults: batch durability, 32 MB memtable, 4 KB blocks, 10 bits/key, 8 MB cache, leveled compaction.
    StorageOptions o;
    if (size_tiered) o.compaction_style = CompactionStyle::kSizeTiered;
    if (large.blob_threshold > 0) o.blob_threshold_bytes = large.blob_threshold;
    if (queue.ringkv_max_immutable > 0) o.max_immutable_memtables = queue.ringkv_max_immutable;
    o.compression = compression == "zstd"   ? Compression::kZstd
                    : compression == "none" ? Compression::kNone
                                            : Compression::kLz4;
    auto e = storage::StorageEngine::Open(dir, o);
    if (!e.ok()) Die("ringkv open: " + e.status().ToString());
    engine_ = std::move(e).value();
    dir_ = dir;
  }
  std::string Name() const override { return name_; }
  void Put(const std::string& key, std::string_view value) override {
    record_.value.assign(value);
    Status s = engine_->Put(key, record_);
    if (!s.ok()) Die("ringkv put: " + s.ToString());
  }
  bool Get(const std::string& key, std::string* value) override {
    auto r = engine_->Get(key);
    if (!r.ok()) {
      if (r.status().IsNotFound()) return false;
      Die("ringkv get: " + r.status().ToString());
    }
    *value = std::move(r->value);
    return true;
  }
  void SettleForReads() override {
    if (Status s = engine_->Flush(); !s.ok()) Die("ringkv flush: " + s.ToString());
    if (Status s = engine_->WaitForCompactions(); !s.ok()) Die("ringkv compaction: " + s.ToString());
  }
  EngineGauges Gauges() override {
    const auto& st = engine_->stats();
    storage::EngineInfo info = engine_->Info();
    EngineGauges g;
    g.compaction_debt_bytes = info.compaction_debt_bytes;
    g.tables = info.num_tables;
    g.level0_tables = info.tables_per_level.empty() ? info.num_tables : info.tables_per_level[0];
    for (size_t level = 0; level < info.tables_per_level.size(); ++level) {
      if (!g.tables_per_level.empty()) g.tables_per_level += ", ";
      g.tables_per_level += LevelLabel(static_cast<int>(level), info.tables_per_level[level]);
    }
    g.bloom_checks = st.bloom_checks.load();
    g.bloom_skips = st.bloom_skips.load();
    g.cache_hits = st.block_cache_hits.load();
    g.cache_misses = st.block_cache_misses.load();
    g.stalls = st.write_stalls.load();
    g.stall_micros = st.write_stall_micros.load();
    return g;
  }
  EngineReport Report(uint64_t logical) override {
    const auto& st = engine_->stats();
    double flushed = static_cast<double>(st.flush_bytes_written.load() + st.compaction_bytes_written.load());
    EngineReport r;
    r.write_amp = (flushed + static_cast<double>(st.wal_bytes_written.load())) / static_cast<double>(logical);
    r.write_amp_no_wal = flushed / static_cast<double>(logical);
    r.space_amp = static_cast<double>(DirBytes(dir_)) / static_cast<double>(logical);
    r.stalls = st.write_stalls.load();
    r.stall_ms_total = static_cast<double>(st.write_stall_micros.load()) / 1000.0;
    r.stall_ms_max = static_cast<double>(st.max_write_stall_micros.load()) / 1000.0;
    return r;
  }

 private:
  std::string name_;
  std::unique_ptr<storage::StorageEngine> engine_;
  storage::Record record_{"", "", 0, false};
  std::string dir_;
};

#ifdef RINGKV_HAVE_ROCKSDB
class RocksEngine : public KvEngine {
 public:
  RocksEngine(const std::string& dir, const std::string& compression, const LargeValueOptions& large,
              const MemtableQueueOptions& queue) {
    rocksdb::Options o;
    if (queue.rocksdb_write_buffers > 0) o.max_write_buffer_number = queue.rocksdb_write_buffers;
    if (large.value_size >= kRocksBlobValueBytes) {
      o.enable_blob_files = true;
      o.min_blob_size = large.blob_threshold > 0 ? large.blob_threshold : StorageOptions().blob_threshold_bytes;
      o.enable_blob_garbage_collection = true;
    }
    o.create_if_missing = true;
    o.write_buffer_size = 32u << 20;
    o.compression = compression == "zstd"   ? rocksdb::kZSTD
                    : compression == "none" ? rocksdb::kNoCompression
                                            : rocksdb::kLZ4Compression;
    rocksdb::BlockBasedTableOptions t;
    t.block_size = 4096;
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    t.block_cache = rocksdb::NewLRUCache(8u << 20);
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    rocksdb::DB* db = nullptr;
    auto s = rocksdb::DB::Open(o, dir, &db);
    if (!s.ok()) Die("rocksdb open: " + s.ToString());
    db_.reset(db);
    write_.sync = false;  // WAL on, no fsync per write
  }
  std::string Name() const override { return "rocksdb"; }
  void Put(const std::string& key, std::string_view value) override {
    auto s = db_->Put(write_, key, rocksdb::Slice(value.data(), value.size()));
    if (!s.ok()) Die("rocksdb put: " + s.ToString());
  }
  bool Get(const std::string& key, std::string* value) override {
    auto s = db_->Get(rocksdb::ReadOptions(), key, value);
    if (s.IsNotFound()) return false;
    if (!s.ok()) Die("rocksdb get: " + s.ToString());
    return true;
  }
  void SettleForReads() override {
    db_->Flush(rocksdb::FlushOptions());
    for (;;) {
      uint64_t running = 0, pending = 0;
      db_->GetIntProperty("rocksdb.num-running-compactions", &running);
      db_->GetIntProperty("rocksdb.compaction-pending", &pending);
      if (running == 0 && pending == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  EngineReport Report(uint64_t) override { return {}; }
  EngineGauges Gauges() override {
    EngineGauges g;
    uint64_t v = 0;
    if (db_->GetIntProperty("rocksdb.estimate-pending-compaction-bytes", &v)) g.compaction_debt_bytes = v;
    for (int level = 0; level < 7; ++level) {
      std::string files;
      if (!db_->GetProperty("rocksdb.num-files-at-level" + std::to_string(level), &files)) break;
      uint64_t n = std::strtoull(files.c_str(), nullptr, 10);
      if (level == 0) g.level0_tables = n;
      g.tables += n;
      if (n == 0 && level > 0) continue;
      if (!g.tables_per_level.empty()) g.tables_per_level += ", ";
      g.tables_per_level += LevelLabel(level, n);
    }
    return g;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions write_;
};
#endif

}  // namespace

bool RocksDbAvailable() {
#ifdef RINGKV_HAVE_ROCKSDB
  return true;
#else
  return false;
#endif
}

std::unique_ptr<KvEngine> OpenEngine(const std::string& name, const std::string& dir, const std::string& compression,
                                     const LargeValueOptions& large, const MemtableQueueOptions& queue) {
  std::filesystem::create_directories(dir);
  if (name == "ringkv") return std::make_unique<RingkvEngine>(dir, compression, large, queue, false);
  if (name == "ringkv-tiered") return std::make_unique<RingkvEngine>(dir, compression, large, queue, true);
#ifdef RINGKV_HAVE_ROCKSDB
  if (name == "rocksdb") return std::make_unique<RocksEngine>(dir, compression, large, queue);
#endif
  Die("unknown engine " + name);
}

}  // namespace ringkv::bench
