#include "node/storage/compaction.h"

#include <algorithm>

#include "node/storage/record.h"
#include "node/storage/sstable_builder.h"

namespace ringkv::storage {
namespace {

constexpr uint64_t kSmallTableBytes = 1u << 20;

bool TombstoneExpired(std::string_view encoded, const MergePolicy& policy) {
  bool tombstone = false;
  uint64_t ts = 0;
  if (!PeekTombstone(encoded, &tombstone, &ts) || !tombstone) return false;
  return policy.now_ms >= ts && policy.now_ms - ts >= policy.grace_ms;
}

}  // namespace

bool OlderVersionMayExist(const std::vector<std::shared_ptr<SSTable>>& tables, std::string_view user_key,
                          SequenceNumber seq) {
  for (const auto& t : tables) {
    const TableProperties& p = t->properties();
    if (p.num_entries == 0 || p.min_seq >= seq) continue;
    if (user_key < ExtractUserKey(p.smallest_key) || user_key > ExtractUserKey(p.largest_key)) continue;
    if (t->MayContain(user_key)) return true;
  }
  return false;
}

Result<MergeResult> WriteMergedTable(InternalIterator* input, const MergePolicy& policy, const StorageOptions& options,
                                     const std::string& path, uint64_t file_number, BlockCache* cache,
                                     StorageStats* stats) {
  RINGKV_ASSIGN(auto file, WritableFile::Create(path));
  SSTableBuilder builder(options, std::move(file));
  MergeResult result;
  std::string last_user_key;
  bool have_last = false;

  for (input->SeekToFirst(); input->Valid(); input->Next()) {
    ++result.entries_read;
    std::string_view ikey = input->key();
    std::string_view user_key = ExtractUserKey(ikey);
    if (have_last && user_key == last_user_key) continue;  // an older, shadowed version
    last_user_key.assign(user_key);
    have_last = true;
    if (policy.reap_tombstones && TombstoneExpired(input->value(), policy) &&
        !OlderVersionMayExist(policy.outside, user_key, ExtractSequence(ikey))) {
      ++result.tombstones_dropped;
      continue;
    }
    Status s = builder.Add(ikey, input->value());
    if (!s.ok()) {
      builder.Abandon();
      (void)RemoveFile(path);
      return s;
    }
    ++result.entries_written;
  }
  Status s = input->status();
  if (s.ok() && result.entries_written == 0) {
    builder.Abandon();
    RINGKV_TRY(RemoveFile(path));
    return result;
  }
  if (s.ok()) s = builder.Finish();
  if (!s.ok()) {
    builder.Abandon();
    (void)RemoveFile(path);
    return s;
  }
  result.bytes_written = builder.FileSize();
  RINGKV_ASSIGN(result.table, SSTable::Open(path, file_number, cache, stats));
  return result;
}

std::vector<std::shared_ptr<SSTable>> PickSizeTieredCompaction(const std::vector<std::shared_ptr<SSTable>>& candidates,
                                                               const StorageOptions& options) {
  std::vector<std::shared_ptr<SSTable>> sorted = candidates;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a->file_size() < b->file_size(); });

  std::vector<std::shared_ptr<SSTable>> bucket;
  double bucket_mean = 0;
  auto fits = [&](uint64_t size) {
    if (size < kSmallTableBytes && bucket_mean < kSmallTableBytes) return true;
    return size <= bucket_mean * options.compaction_bucket_ratio;
  };
  auto ready = [&] { return static_cast<int>(bucket.size()) >= options.compaction_min_tables; };

  for (const auto& t : sorted) {
    uint64_t size = t->file_size();
    if (!bucket.empty() && !fits(size)) {
      if (ready()) break;
      bucket.clear();
    }
    bucket.push_back(t);
    bucket_mean += (static_cast<double>(size) - bucket_mean) / static_cast<double>(bucket.size());
    if (static_cast<int>(bucket.size()) >= options.compaction_max_tables) break;
  }
  if (!ready()) bucket.clear();
  return bucket;
}

}  // namespace ringkv::storage
