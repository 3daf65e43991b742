#pragma once
// Size-tiered compaction (as Cassandra's default): tables of similar size are merged into
// one once `compaction_min_tables` of them exist. Chosen over leveled compaction because
// Dynamo-style replicas are write-heavy (each key is written on N nodes and repaired):
// every byte is rewritten O(log_T size) times instead of O(levels x fan-out), and bloom
// filters keep point reads to about one data-block read however many tables there are.
//
// The merge writes one new table (flush uses the same writer, keeping tombstones).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "node/storage/block_cache.h"
#include "node/storage/iterator.h"
#include "node/storage/sstable.h"
#include "node/storage/stats.h"
#include "ringkv/status.h"

namespace ringkv::storage {

struct MergePolicy {
  // Drop tombstones older than grace_ms when no table in `outside` may hold an older
  // version of the key (min_seq below the tombstone's, key in range, bloom says maybe).
  bool reap_tombstones = false;
  uint64_t now_ms = 0;
  uint64_t grace_ms = 0;
  std::vector<std::shared_ptr<SSTable>> outside;
};

struct MergeResult {
  std::shared_ptr<SSTable> table;  // null when nothing survived the merge (file removed)
  uint64_t entries_read = 0;
  uint64_t entries_written = 0;
  uint64_t tombstones_dropped = 0;
  uint64_t bytes_written = 0;
};

// Writes the newest version of every key of `input` (older versions are dropped: snapshots
// pin the files and memtables they read, so no reader needs them) to a new table at `path`.
Result<MergeResult> WriteMergedTable(InternalIterator* input, const MergePolicy& policy, const StorageOptions& options,
                                     const std::string& path, uint64_t file_number, BlockCache* cache,
                                     StorageStats* stats);

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
