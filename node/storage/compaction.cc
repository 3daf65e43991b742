#include "node/storage/compaction.h"

#include <algorithm>

#include "node/storage/blob_file.h"
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

Result<MergeResult> WriteMergedTable(InternalIterator* input, const MergePolicy& policy, const BlobPolicy& blobs,
                                     const StorageOptions& options, const std::string& path, uint64_t file_number,
                                     BlockCache* cache, StorageStats* stats) {
  RINGKV_ASSIGN(auto file, WritableFile::Create(path));
  SSTableBuilder builder(options, std::move(file));
  MergeResult result;
  BlobSeparator separator(blobs, &result);
  auto fail = [&](const Status& s) {
    builder.Abandon();
    (void)RemoveFile(path);
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
    if (policy.reap_tombstones) {
      PurgeVerdict verdict = TombstoneVerdict(user_key, ExtractSequence(ikey), value, policy);
      if (verdict == PurgeVerdict::kPurge && !OlderVersionMayExist(policy.outside, user_key, ExtractSequence(ikey))) {
        separator.Drop(value);
        ++result.tombstones_dropped;
        continue;
      }
      if (verdict == PurgeVerdict::kAwaitingProof) ++result.tombstones_awaiting_proof;
    }
    auto record = separator.Separate(value);
    if (!record.ok()) return fail(record.status());
    Status s = builder.Add(ikey, *record);
    if (!s.ok()) return fail(s);
    ++result.entries_written;
  }
  Status s = input->status();
  if (!s.ok()) return fail(s);
  if (result.entries_written == 0) {
    builder.Abandon();
    separator.Abandon();
    RINGKV_TRY(RemoveFile(path));
    return result;
  }
  s = separator.Finish();
  if (s.ok()) s = builder.Finish();
  if (!s.ok()) return fail(s);
  result.bytes_written = builder.FileSize() + result.blob_meta.value_bytes;
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
