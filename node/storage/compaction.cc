#include "node/storage/compaction.h"

#include <algorithm>

#include "node/storage/blob_file.h"
#include "node/storage/file.h"
#include "node/storage/manifest.h"
#include "node/storage/record.h"
#include "node/storage/sstable_builder.h"

namespace ringkv::storage {
namespace {

constexpr uint64_t kSmallTableBytes = 1u << 20;

// What the policy says of the newest entry of a key: kPurge, or why it stays (a live
// value is kTooYoung too: it is simply kept). A tombstone of a key no write can store
// again (a dropped namespace incarnation's: PublishedCatalog::IsDroppedKey in the node, via
// policy.reap_at_once) is purged at once.
PurgeVerdict TombstoneVerdict(std::string_view user_key, SequenceNumber seq, std::string_view encoded,
                              const MergePolicy& policy) {
  bool tombstone = false;
  uint64_t ts = 0;
  if (!PeekTombstone(encoded, &tombstone, &ts) || !tombstone) return PurgeVerdict::kTooYoung;
  if (policy.reap_at_once && policy.reap_at_once(user_key)) return PurgeVerdict::kPurge;
  if (policy.decider) return policy.decider->Decide(user_key, seq, ts);
  bool old = policy.now_ms >= ts && policy.now_ms - ts >= policy.grace_ms;
  return old ? PurgeVerdict::kPurge : PurgeVerdict::kTooYoung;
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

namespace {

// The blob side of one merge: where each kept record's value goes.
class BlobSeparator {
 public:
  BlobSeparator(const BlobPolicy& policy, MergeResult* result) : policy_(policy), result_(result) {}

  // The record to write for `encoded`: itself, or with its value moved to (or relocated
  // into) the new blob file. The view stays valid until the next call.
  Result<std::string_view> Separate(std::string_view encoded) {
    BlobRef ref;
    if (PeekBlobRef(encoded, &ref)) {
      if (!policy_.relocate_from.count(ref.file_number)) return encoded;
      RINGKV_TRY(policy_.source->ReadBlob(ref, &value_));
      result_->blob_garbage[ref.file_number] += ref.size;
      result_->blob_bytes_relocated += ref.size;
      return Rewrite(encoded, value_);
    }
    std::string_view header, value;
    if (policy_.threshold == 0 || !SplitRecord(encoded, &header, &value) || value.size() < policy_.threshold) {
      return encoded;
    }
    return Rewrite(encoded, value);
  }

  // A record the merge drops: the value it referred to is garbage now.
  void Drop(std::string_view encoded) {
    BlobRef ref;
    if (PeekBlobRef(encoded, &ref)) result_->blob_garbage[ref.file_number] += ref.size;
  }

  Status Finish() {
    if (!out_) return Status::OK();
    RINGKV_TRY(out_->Finish());
    result_->blob_meta = BlobFileMeta{out_->file_number(), out_->value_count(), out_->value_bytes(), 0};
    RINGKV_ASSIGN(result_->blob, BlobFile::Open(out_->path(), out_->file_number()));
    return Status::OK();
  }
  // Removes the new blob file (the merge failed).
  void Abandon() {
    if (!out_) return;
    out_->Abandon();
    (void)RemoveFile(out_->path());
    out_.reset();
  }

 private:
  Result<std::string_view> Rewrite(std::string_view encoded, std::string_view value) {
    if (!out_) {
      RINGKV_ASSIGN(out_, BlobFileBuilder::Create(policy_.path, policy_.file_number));
    }
    RINGKV_ASSIGN(BlobRef ref, out_->Add(value));
    std::string_view header, inline_value;
    SplitRecord(encoded, &header, &inline_value);  // parsed before: well-formed
    record_.clear();
    EncodeBlobRecord(header, ref, &record_);
    // A relocated record's header carries the blob flag already; EncodeBlobRecord sets it.
    return std::string_view(record_);
  }

  const BlobPolicy& policy_;
  MergeResult* result_;
  std::unique_ptr<BlobFileBuilder> out_;
  std::string value_;
  std::string record_;
};

}  // namespace

namespace {

// The output tables of one merge: a new one starts once the current one reaches
// out.max_table_bytes (every entry is a different user key, so tables never share one).
class TableWriter {
 public:
  TableWriter(const StorageOptions& options, const TableOutput& out, BlockCache* cache, StorageStats* stats,
              MergeResult* result)
      : options_(options), out_(out), cache_(cache), stats_(stats), result_(result) {}

  Status Add(std::string_view ikey, std::string_view record, bool awaiting_proof) {
    if (builder_ && out_.max_table_bytes > 0 && builder_->FileSize() >= out_.max_table_bytes) {
      RINGKV_TRY(FinishTable());
    }
    if (!builder_) {
      number_ = out_.new_file_number();
      path_ = TablePath(out_.dir, number_);
      RINGKV_ASSIGN(auto file, WritableFile::Create(path_));
      builder_ = std::make_unique<SSTableBuilder>(options_, std::move(file));
      awaiting_ = 0;
    }
    if (awaiting_proof) ++awaiting_;
    return builder_->Add(ikey, record);
  }
  // Finishes the open table, if any (fsynced before the caller names it in a manifest).
  Status FinishTable() {
    if (!builder_) return Status::OK();
    RINGKV_TRY(builder_->Finish());
    result_->bytes_written += builder_->FileSize();
    builder_.reset();
    RINGKV_ASSIGN(auto table, SSTable::Open(path_, number_, cache_, stats_));
    result_->tables.push_back(std::move(table));
    result_->awaiting_proof_per_table.push_back(awaiting_);
    return Status::OK();
  }
  // Removes every table of this merge (it failed).
  void Abandon() {
    if (builder_) {
      builder_->Abandon();
      builder_.reset();
      (void)RemoveFile(path_);
    }
    for (auto& t : result_->tables) t->MarkObsolete();
    result_->tables.clear();
    result_->awaiting_proof_per_table.clear();
  }

 private:
  const StorageOptions& options_;
  const TableOutput& out_;
  BlockCache* cache_;
  StorageStats* stats_;
  MergeResult* result_;
  std::unique_ptr<SSTableBuilder> builder_;
  uint64_t number_ = 0;
  std::string path_;
  uint64_t awaiting_ = 0;
};

}  // namespace

Result<MergeResult> WriteMergedTables(InternalIterator* input, const MergePolicy& policy, const BlobPolicy& blobs,
                                      const StorageOptions& options, const TableOutput& out, BlockCache* cache,
                                      StorageStats* stats) {
  MergeResult result;
  TableWriter tables(options, out, cache, stats, &result);
  BlobSeparator separator(blobs, &result);
  auto fail = [&](const Status& s) {
    tables.Abandon();
    separator.Abandon();
    return s;
  };
  std::string last_user_key;
  bool have_last = false;
  std::string expired;  // the current record once its values expired

  for (input->SeekToFirst(); input->Valid(); input->Next()) {
    ++result.entries_read;
    std::string_view ikey = input->key();
    std::string_view user_key = ExtractUserKey(ikey);
    if (have_last && user_key == last_user_key) {  // an older, shadowed version
      separator.Drop(input->value());
      continue;
    }
    last_user_key.assign(user_key);
    have_last = true;
    std::string_view value = input->value();
    if (policy.expire_values && ExpireRecord(value, policy.now_ms, &expired)) {
      separator.Drop(value);  // its value bytes: garbage now if they were in a blob file
      value = expired;
      ++result.values_expired;
    }
    bool awaiting_proof = false;
    if (policy.reap_tombstones) {
      PurgeVerdict verdict = TombstoneVerdict(user_key, ExtractSequence(ikey), value, policy);
      if (verdict == PurgeVerdict::kPurge && !OlderVersionMayExist(policy.outside, user_key, ExtractSequence(ikey))) {
        separator.Drop(value);
        ++result.tombstones_dropped;
        continue;
      }
      if (verdict == PurgeVerdict::kAwaitingProof) {
        ++result.tombstones_awaiting_proof;
        awaiting_proof = true;
      }
    }
    auto record = separator.Separate(value);
    if (!record.ok()) return fail(record.status());
    Status s = tables.Add(ikey, *record, awaiting_proof);
    if (!s.ok()) return fail(s);
    ++result.entries_written;
  }
  Status s = input->status();
  if (!s.ok()) return fail(s);
  if (result.entries_written == 0) {
    separator.Abandon();
    return result;
  }
  s = separator.Finish();
  if (s.ok()) s = tables.FinishTable();
  if (!s.ok()) return fail(s);
  result.bytes_written += result.blob_meta.value_bytes;
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

namespace ringkv::storage {
namespace {

// The user-key range [smallest, largest] that `tables` cover together.
void KeyRange(const std::vector<std::shared_ptr<SSTable>>& tables, std::string* smallest, std::string* largest) {
  for (size_t i = 0; i < tables.size(); ++i) {
    std::string_view lo = ExtractUserKey(tables[i]->properties().smallest_key);
    std::string_view hi = ExtractUserKey(tables[i]->properties().largest_key);
    if (i == 0 || lo < *smallest) smallest->assign(lo);
    if (i == 0 || hi > *largest) largest->assign(hi);
  }
}

int LastLevel(const StorageOptions& options) { return std::max(1, options.num_levels - 1); }

}  // namespace

uint64_t LevelTargetBytes(int level, const StorageOptions& options) {
  double target = static_cast<double>(options.level1_target_bytes);
  for (int l = 1; l < level; ++l) target *= std::max(2, options.level_size_multiplier);
  return static_cast<uint64_t>(std::min(target, 1e18));
}

std::vector<std::shared_ptr<SSTable>> OverlappingTables(const Version& version, int level, std::string_view smallest,
                                                        std::string_view largest) {
  std::vector<std::shared_ptr<SSTable>> out;
  if (level < 0 || static_cast<size_t>(level) >= version.levels.size()) return out;
  for (const auto& t : version.levels[static_cast<size_t>(level)]) {
    const TableProperties& p = t->properties();
    if (ExtractUserKey(p.largest_key) < smallest || ExtractUserKey(p.smallest_key) > largest) continue;
    out.push_back(t);
  }
  return out;
}

CompactionPick PickLeveledCompaction(const Version& version, const StorageOptions& options,
                                     const std::map<int, std::string>& cursor) {
  CompactionPick pick;
  std::string smallest, largest;
  // The level with the highest score (LevelDB's rule): level 0 by its table count against
  // the trigger, the others by their bytes against their target (never the last level: it
  // has none below). Level 0 alone first would let level 1 grow without bound while writes
  // outpace compaction, and every level-0 merge rewrite all of it.
  int trigger = std::max(1, options.level0_compaction_trigger);
  double level0_score =
      version.levels.empty() ? 0.0 : static_cast<double>(version.levels[0].size()) / static_cast<double>(trigger);
  int best = -1;
  double best_score = 1.0;
  if (level0_score >= best_score) {
    best = 0;
    best_score = level0_score;
  }
  for (int level = 1; level < LastLevel(options) && static_cast<size_t>(level) < version.levels.size(); ++level) {
    double score = static_cast<double>(version.LevelBytes(static_cast<size_t>(level))) /
                   static_cast<double>(LevelTargetBytes(level, options));
    if (score > best_score) {
      best = level;
      best_score = score;
    }
  }
  if (best == 0) {
    pick.inputs = version.levels[0];  // all of them: older level-0 versions must not stay above newer level-1 ones
    KeyRange(pick.inputs, &smallest, &largest);
    auto below = OverlappingTables(version, 1, smallest, largest);
    pick.inputs.insert(pick.inputs.end(), below.begin(), below.end());
    pick.output_level = 1;
    return pick;
  }
  if (best < 0) return pick;
  const auto& tables = version.levels[static_cast<size_t>(best)];
  std::shared_ptr<SSTable> chosen = tables.front();
  auto at = cursor.find(best);
  if (at != cursor.end()) {
    for (const auto& t : tables) {
      if (ExtractUserKey(t->properties().smallest_key) > at->second) {
        chosen = t;
        break;
      }
    }
  }
  smallest.assign(ExtractUserKey(chosen->properties().smallest_key));
  largest.assign(ExtractUserKey(chosen->properties().largest_key));
  pick.cursor_level = best;
  pick.cursor_key = largest;
  pick.inputs = {chosen};
  auto below = OverlappingTables(version, best + 1, smallest, largest);
  pick.trivial_move = below.empty();
  pick.inputs.insert(pick.inputs.end(), below.begin(), below.end());
  pick.output_level = best + 1;
  return pick;
}

uint64_t LeveledDebtBytes(const Version& version, const StorageOptions& options) {
  uint64_t debt = 0;
  if (!version.levels.empty() &&
      static_cast<int>(version.levels[0].size()) >= std::max(1, options.level0_compaction_trigger)) {
    debt += version.LevelBytes(0) + version.LevelBytes(1);
  }
  for (int level = 1; level < LastLevel(options) && static_cast<size_t>(level) < version.levels.size(); ++level) {
    uint64_t bytes = version.LevelBytes(static_cast<size_t>(level));
    uint64_t target = LevelTargetBytes(level, options);
    if (bytes <= target) continue;
    // The excess, and the share of the level below it is merged with (RocksDB's estimate).
    double excess = static_cast<double>(bytes - target);
    double below = static_cast<double>(version.LevelBytes(static_cast<size_t>(level) + 1));
    debt += static_cast<uint64_t>(excess * (1.0 + below / static_cast<double>(bytes)));
  }
  return debt;
}

uint64_t SizeTieredDebtBytes(const Version& version, const StorageOptions& options) {
  std::vector<std::shared_ptr<SSTable>> left = version.tables;
  uint64_t debt = 0;
  for (size_t round = 0; round < version.tables.size(); ++round) {  // each round takes at least 2 tables
    auto bucket = PickSizeTieredCompaction(left, options);
    if (bucket.size() < 2) break;
    for (const auto& t : bucket) {
      debt += t->file_size();
      left.erase(std::find(left.begin(), left.end(), t));
    }
  }
  return debt;
}

}  // namespace ringkv::storage
