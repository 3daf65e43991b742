#include "node/replica/replica_scan.h"

namespace ringkv {
namespace {

std::unique_ptr<storage::RecordIterator> IteratorOver(storage::StorageEngine& engine, const StoredKeyRange& range,
                                                      const std::shared_ptr<const storage::Snapshot>& snapshot) {
  storage::RangeOptions options;
  options.start = range.start;
  options.end = range.end;
  options.snapshot = snapshot;
  return engine.NewIterator(options);
}

}  // namespace

Result<ReplicaScanPage> ReadReplicaRange(storage::StorageEngine& engine, const std::vector<StoredKeyRange>& ranges,
                                         size_t max_entries, size_t max_bytes, uint64_t now_ms) {
  ReplicaScanPage page;
  if (max_entries == 0) return Status::InvalidArgument("a scan page needs room for at least one entry");
  auto snapshot = engine.GetSnapshot();  // one view across the ranges
  size_t bytes = 0;
  for (const StoredKeyRange& range : ranges) {
    auto it = IteratorOver(engine, range, snapshot);
    for (; it->Valid(); it->Next()) {
      if (page.entries.size() >= max_entries || (!page.entries.empty() && bytes >= max_bytes)) {
        page.more = true;  // a key remains past the last entry
        return page;
      }
      auto set = SiblingSet::Decode(it->record().value);
      if (!set.ok()) {
        return Status::Corruption("stored versions of a key are unreadable: " + set.status().message());
      }
      set->Expire(now_ms);
      bytes += it->key().size() + it->record().value.size();
      page.entries.emplace_back(std::string(it->key()), std::move(set).value());
    }
    RINGKV_TRY(it->status());
  }
  return page;
}

Result<uint64_t> CountLiveKeys(storage::StorageEngine& engine, const std::vector<StoredKeyRange>& ranges,
                               uint64_t now_ms) {
  uint64_t live = 0;
  auto snapshot = engine.GetSnapshot();
  for (const StoredKeyRange& range : ranges) {
    auto it = IteratorOver(engine, range, snapshot);
    for (; it->Valid(); it->Next()) {
      const storage::Record& record = it->record();
      bool expired = record.expires_at_ms != 0 && now_ms >= record.expires_at_ms;  // every value has expired
      if (!record.tombstone && !expired) ++live;
    }
    RINGKV_TRY(it->status());
  }
  return live;
}

}  // namespace ringkv
