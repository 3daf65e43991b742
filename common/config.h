#pragma once
// Configuration structs shared by the node's components. Defaults are the documented ones;
// every field is settable from the node's JSON config file and command line (later issues).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "common/clock.h"
#include "common/purge_decider.h"

namespace ringkv {

// How durable a write is when Put returns.
enum class Durability {
  kNone,    // buffered in the process: written to the OS within `wal_sync_interval`, never fsync'd
  kBatch,   // written to the OS (a killed process loses nothing); fsync'd every `wal_sync_interval` (default)
  kAlways,  // fsync'd before Put returns (group commit shares one fsync across writers)
};

enum class Compression { kNone = 0, kLz4 = 1, kZstd = 2 };

// How the storage engine merges its tables (docs/storage.md, "Compaction").
enum class CompactionStyle { kLeveled, kSizeTiered };

// The slowest write pacing StorageEngine::Open accepts (StorageOptions::slowdown_write_bytes_per_s):
// below it one large value would hold its writer for seconds.
inline constexpr uint64_t kMinSlowdownBytesPerSecond = 64 * 1024;

struct StorageOptions {
  Durability durability = Durability::kBatch;
  std::chrono::milliseconds wal_sync_interval{5};
  // Open even if the WAL has a corrupt record in its middle: skip the damaged records
  // (reporting them) instead of refusing. A torn tail is always truncated.
  bool salvage_wal = false;

  size_t memtable_bytes = 32u << 20;  // flush threshold
  // Full memtables that may wait for their flush while writes go on into a fresh one (as
  // RocksDB's max_write_buffer_number - 1); a writer stalls only when this many are queued.
  // Memory: up to (1 + this) x memtable_bytes. At least 1.
  int max_immutable_memtables = 2;
  // Largest record value the engine accepts. Users' values are capped at kMaxValueBytes
  // (1 MB); a replica stores a key's siblings together, so the node raises this.
  size_t max_value_bytes = 1u << 20;
  size_t block_bytes = 4096;  // uncompressed data block target
  int block_restart_interval = 16;
  int bloom_bits_per_key = 10;
  Compression compression = Compression::kLz4;
  size_t block_cache_bytes = 8u << 20;
  // Values at least this large are kept out of line in blob files (docs/storage.md, "Large
  // values"); 0 keeps every value in the tables.
  size_t blob_threshold_bytes = 4u << 10;
  // A blob file whose unreferenced bytes reach this share of it has its live values
  // rewritten by a compaction of the tables that refer to it, and is then deleted.
  double blob_gc_garbage_ratio = 0.5;

  CompactionStyle compaction_style = CompactionStyle::kLeveled;
  // Leveled compaction (as LevelDB/RocksDB): flushed tables land in level 0 (they may
  // overlap); once level0_compaction_trigger of them exist they are merged with the level-1
  // tables they overlap. Levels >= 1 hold disjoint tables of up to target_table_bytes; level 1
  // is allowed level1_target_bytes, each level below level_size_multiplier times more, and a
  // level over its target has one table merged into the tables below it that it overlaps.
  int level0_compaction_trigger = 4;
  uint64_t level1_target_bytes = 256u << 20;
  int level_size_multiplier = 10;
  uint64_t target_table_bytes = 64u << 20;
  int num_levels = 7;

  // Size-tiered compaction: merge when this many tables of similar size exist.
  int compaction_min_tables = 4;
  int compaction_max_tables = 32;
  // Tables within [avg/bucket_ratio, avg*bucket_ratio] are "of similar size".
  double compaction_bucket_ratio = 2.0;
  // Writes wait (a measured stall) while this many tables are live (leveled: in level 0)
  // until compaction catches up.
  int stall_table_count = 48;
  // Writes are paced once level 0 holds 4/5 of the tables that stop them (16 of 20 by
  // default; size-tiered: 4/5 of stall_table_count live tables): each write then waits for
  // its bytes' share of this rate, so writers slow down before compaction has to stop them
  // for seconds (RocksDB's delayed_write_rate, also 16 MB/s). 0: no pacing, only the stop.
  uint64_t slowdown_write_bytes_per_s = 16u << 20;  // 0, or at least kMinSlowdownBytesPerSecond
  // Without a purge_decider: tombstones are kept this long (so that repair can spread them
  // to every replica), then dropped. Ignored when purge_decider is set.
  std::chrono::seconds tombstone_grace{std::chrono::hours(24 * 10)};
  // A tombstone of a user key for which this returns true is dropped by compaction at once,
  // without waiting for the grace (still only when no older version may remain outside the
  // compaction): a key no write can ever store again, such as one of a dropped namespace
  // incarnation (common/published_catalog.h). Called from compaction threads; must be
  // thread-safe and cheap. Empty: none.
  std::function<bool(std::string_view user_key)> reap_at_once;
  // Decides, per deleted record, whether compaction may drop it (common/purge_decider.h).
  // Null: the fixed tombstone_grace above. Must outlive the engine; the node's data engine
  // gets one, its hint store does not (a delivered hint is gone for good).
  const PurgeDecider* purge_decider = nullptr;
  // How often an idle compaction thread looks for tables whose tombstones have expired.
  std::chrono::milliseconds tombstone_scan_interval{std::chrono::seconds(10)};
  // What tombstones are stamped and aged by (its WallMs). Never null; tests give a
  // ManualClock, which must outlive the engine.
  const Clock* clock = &Clock::System();
};

std::string_view DurabilityName(Durability d);
bool ParseDurability(std::string_view name, Durability* out);

}  // namespace ringkv
