#pragma once
// Size-tiered compaction (as Cassandra's default): tables of similar size are merged into
// one once `compaction_min_tables` of them exist. Chosen over leveled compaction because
// Dynamo-style replicas are write-heavy (each key is written on N nodes and repaired):
// every byte is rewritten O(log_T size) times instead of O(levels x fan-out), and bloom
// filters keep point reads to about one data-block read however many tables there are.
//
// The merge writes one new table (flush uses the same writer, keeping tombstones).

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
  std::shared_ptr<SSTable> table;  // null when nothing survived the merge (file removed)
  std::shared_ptr<BlobFile> blob;  // the new blob file, or null when none was needed
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

// Writes the newest version of every key of `input` (older versions are dropped: snapshots
// pin the files and memtables they read, so no reader needs them) to a new table at `path`,
// and values as `blobs` says to a new blob file. Streams: holds one value at a time.
Result<MergeResult> WriteMergedTable(InternalIterator* input, const MergePolicy& policy, const BlobPolicy& blobs,
                                     const StorageOptions& options, const std::string& path, uint64_t file_number,
                                     BlockCache* cache, StorageStats* stats);

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
