#pragma once
// Compaction: merging tables, and choosing which to merge.
//
// Leveled (the default, as LevelDB/RocksDB): flushes write level 0, whose tables may
// overlap; once `level0_compaction_trigger` of them exist, all of them are merged with the
// level-1 tables they overlap. Each level >= 1 holds disjoint tables of at most
// `target_table_bytes`; level 1 may hold `level1_target_bytes`, each level below
// `level_size_multiplier` times more, and the level most over its target has one table
// (taken round-robin through the key space) merged with the tables of the next level that
// it overlaps (moved down as it is when none does). A point read consults every level-0
// table and at most one table per level below, and stops at the first level that has the
// key: a key's version in a level is always newer than any below it.
//
// Size-tiered (`CompactionStyle::kSizeTiered`, as Cassandra's default): tables of similar
// size are merged into one once `compaction_min_tables` of them exist; every table stays in
// level 0. It rewrites each byte fewer times, but at scale leaves more tables per lookup
// (docs/storage.md, "Compaction").
//
// Both drop tombstones only as MergePolicy says, whatever the level. The merge writes new
// tables (flush uses the same writer, keeping tombstones).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/config.h"
#include "node/storage/block_cache.h"
#include "node/storage/iterator.h"
#include "node/storage/manifest.h"
#include "node/storage/sstable.h"
#include "node/storage/stats.h"
#include "node/storage/version.h"
#include "ringkv/status.h"

namespace ringkv::storage {

struct MergePolicy {
  // Drop a tombstone when `decider` says kPurge (without one: when it is older than
  // grace_ms), and no table in `outside` may hold an older version of the key (min_seq
  // below the tombstone's, key in range, bloom says maybe).
  bool reap_tombstones = false;
  // Replace each record whose every live value has expired by now_ms with the tombstone it
  // has become (record.h, ExpireRecord): its value bytes go, inline or in a blob file, and
  // it then meets the tombstone rule above as deleted at its expiry.
  bool expire_values = false;
  const PurgeDecider* decider = nullptr;
  uint64_t now_ms = 0;
  uint64_t grace_ms = 0;
  // Tombstones of keys it accepts are dropped whatever their age (StorageOptions::reap_at_once).
  std::function<bool(std::string_view user_key)> reap_at_once;
  std::vector<std::shared_ptr<SSTable>> outside;
};

// Large values out of line (blob_file.h): a flush moves inline values of at least
// `threshold` bytes into one new blob file; a compaction copies the references it keeps,
// and the values of references into `relocate_from` (blob files mostly garbage) into the
// new blob file, so that those files lose their last reference and are deleted.
struct BlobPolicy {
  size_t threshold = 0;  // 0: values stay inline
  std::string path;      // the new blob file, created on its first value
  uint64_t file_number = 0;
  std::set<uint64_t> relocate_from;
  std::shared_ptr<const Version> source;  // holds the blob files to relocate from
};

struct MergeResult {
  // In key order; none when nothing survived the merge. Fsynced, not yet named by a manifest.
  std::vector<std::shared_ptr<SSTable>> tables;
  std::vector<uint64_t> awaiting_proof_per_table;  // tombstones_awaiting_proof, per table above
  std::shared_ptr<BlobFile> blob;                  // the new blob file, or null when none was needed
  BlobFileMeta blob_meta;
  // Value bytes per blob file that no output record refers to any more: references
  // dropped with shadowed versions and reaped tombstones, and relocated ones.
  std::map<uint64_t, uint64_t> blob_garbage;
  uint64_t blob_bytes_relocated = 0;
  uint64_t entries_read = 0;
  uint64_t entries_written = 0;
  uint64_t tombstones_dropped = 0;
  uint64_t values_expired = 0;             // records turned into tombstones by expiry (some maybe then dropped)
  uint64_t tombstones_awaiting_proof = 0;  // kept past their grace: the decider lacks proof
  uint64_t bytes_written = 0;
};

// Where a merge writes its tables: in `dir`, numbered by `new_file_number` (called once
// per table, from the merging thread), a new table once one reaches max_table_bytes (0: one table).
struct TableOutput {
  std::string dir;
  std::function<uint64_t()> new_file_number;
  uint64_t max_table_bytes = 0;
};

// Writes the newest version of every key of `input` (older versions are dropped: snapshots
// pin the files and memtables they read, so no reader needs them) to new tables as `out`
// says, and values as `blobs` says to a new blob file. Streams: holds one value at a time.
// On failure every file it wrote is removed.
Result<MergeResult> WriteMergedTables(InternalIterator* input, const MergePolicy& policy, const BlobPolicy& blobs,
                                      const StorageOptions& options, const TableOutput& out, BlockCache* cache,
                                      StorageStats* stats);

// What a compaction merges and the level its tables go to.
struct CompactionPick {
  std::vector<std::shared_ptr<SSTable>> inputs;
  int output_level = 0;
  // One table that nothing in the next level overlaps: it moves down as it is (no merge).
  bool trivial_move = false;
  // Leveled: where the round-robin through level cursor_level continues once this ran (-1: none).
  int cursor_level = -1;
  std::string cursor_key;
};

// The bytes level `level` (>= 1) may hold before it is compacted into the next.
uint64_t LevelTargetBytes(int level, const StorageOptions& options);

// Leveled: the compaction due in `version`, or none (inputs empty). `cursor` holds, per
// level, the largest user key of the table last compacted out of it (round-robin).
CompactionPick PickLeveledCompaction(const Version& version, const StorageOptions& options,
                                     const std::map<int, std::string>& cursor);

// What compaction still has to merge (EngineInfo::compaction_debt_bytes), in bytes.
uint64_t LeveledDebtBytes(const Version& version, const StorageOptions& options);
uint64_t SizeTieredDebtBytes(const Version& version, const StorageOptions& options);

// The tables of `level` whose user-key range meets [smallest, largest].
std::vector<std::shared_ptr<SSTable>> OverlappingTables(const Version& version, int level, std::string_view smallest,
                                                        std::string_view largest);

// The tables to merge next, or empty: the bucket of similar-sized tables (within
// compaction_bucket_ratio of the bucket's mean size; tables under 1 MB share one bucket)
// with at least compaction_min_tables members, smallest tables first, at most
// compaction_max_tables.
std::vector<std::shared_ptr<SSTable>> PickSizeTieredCompaction(const std::vector<std::shared_ptr<SSTable>>& candidates,
                                                               const StorageOptions& options);

// True when a tombstone of `user_key` at `seq` has an older version in one of `tables`
// (by key range, sequence range and bloom filter: may answer true falsely, never falsely false).
bool OlderVersionMayExist(const std::vector<std::shared_ptr<SSTable>>& tables, std::string_view user_key,
                          SequenceNumber seq);

}  // namespace ringkv::storage
