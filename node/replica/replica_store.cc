#include "node/replica/replica_store.h"

#include "common/hash.h"
#include "ringkv/limits.h"

namespace ringkv {

Status CheckWriteAge(const Sibling& write, uint64_t now_ms, uint64_t max_age_ms) {
  if (write.timestamp_ms + max_age_ms >= now_ms) return Status::OK();
  return Status::InvalidArgument("write attempt stamped " + std::to_string(now_ms - write.timestamp_ms) +
                                 " ms ago by the client's clock, beyond this node's --max-write-age of " +
                                 std::to_string(max_age_ms) +
                                 " ms (the request was held up, or the client's clock is behind); nothing was written");
}

Status TooOldForHistory(const Sibling& write, const SiblingSet& set) {
  return Status::InvalidArgument("write stamped at " + std::to_string(write.timestamp_ms) +
                                 " ms is older than the superseded writes the key still remembers (since " +
                                 std::to_string(set.retired_floor_ms()) +
                                 " ms): the client's clock is behind; nothing was written");
}

Status CheckExpiry(const Sibling& write) {
  if (write.expires_at_ms == 0) return Status::OK();
  if (write.tombstone) return Status::InvalidArgument("a delete carries no expiry");
  if (write.expires_at_ms <= write.timestamp_ms) {
    return Status::InvalidArgument("write expires at " + std::to_string(write.expires_at_ms) +
                                   " ms, not after its stamp (" + std::to_string(write.timestamp_ms) +
                                   " ms): its ttl must be positive; nothing was written");
  }
  return ValidateTtlMs(static_cast<int64_t>(write.expires_at_ms - write.timestamp_ms));
}

ReplicaStore::ReplicaStore(storage::StorageEngine* engine, std::string node_id, const Clock& clock,
                           const PublishedCatalog* catalog)
    : engine_(engine), node_id_(std::move(node_id)), clock_(clock), catalog_(catalog) {}

bool ReplicaStore::Dropped(std::string_view key) const {
  if (catalog_ == nullptr || !catalog_->IsDroppedKey(key)) return false;
  catalog_->CountDroppedWrite();
  return true;
}

void ReplicaStore::AwaitWritesInFlight() {
  for (std::mutex& stripe : stripes_) std::lock_guard wait(stripe);
}

Status ReplicaStore::EraseDropped(std::span<const std::string> keys) {
  storage::WriteBatch batch(clock_);
  storage::Record erased;
  erased.value = SiblingSet().Encode();  // readers (Merkle, streaming) still decode it
  erased.tombstone = true;
  erased.timestamp_ms = clock_.WallMs();
  for (const std::string& key : keys) batch.Put(key, erased);
  return batch.Empty() ? Status::OK() : engine_->Write(batch);
}

std::mutex& ReplicaStore::LockFor(std::string_view key) { return stripes_[Hash64(key) % stripes_.size()]; }

Result<std::unique_lock<std::mutex>> ReplicaStore::Lock(std::string_view key, Mode mode) {
  std::unique_lock lock(LockFor(key), std::defer_lock);
  if (mode == Mode::kMayBlock)
    lock.lock();
  else if (!lock.try_lock())
    return Status::Busy("key is locked by another request");
  return lock;
}

Result<SiblingSet> ReplicaStore::Load(std::string_view key, Mode mode) {
  auto record = engine_->Get(key, mode);
  if (!record.ok()) {
    if (record.status().IsNotFound()) return SiblingSet();
    return record.status();
  }
  auto set = SiblingSet::Decode(record->value);
  if (!set.ok()) return Status::Corruption("stored versions of a key are unreadable: " + set.status().message());
  uint64_t now = clock_.WallMs();
  if (now > kRetiredRetentionMs) set->ForgetRetiredBefore(now - kRetiredRetentionMs);
  set->Expire(now);
  return set;
}

Status ReplicaStore::Store(std::string_view key, const SiblingSet& set) {
  storage::Record record;
  record.value = set.Encode();
  if (record.value.size() > kMaxSetBytes) {
    return Status::InvalidArgument("key has " + std::to_string(set.siblings().size()) + " unresolved siblings (" +
                                   std::to_string(record.value.size()) +
                                   " bytes); read it and write back a merge with the returned context");
  }
  record.tombstone = set.AllTombstones();
  record.timestamp_ms = record.tombstone ? set.DeletedAtMs() : set.NewestTimestamp();
  if (uint64_t expires = set.AllExpireAt(); expires != 0) {
    // The engine drops the values once they have all expired and keeps what remains of the
    // versions (a tombstone per expired write, which still supersedes what it replaced).
    std::string expired = set.EncodeExpiredAt(expires);
    if (expired.size() <= storage::kMaxClockBytes) {
      record.expires_at_ms = expires;
      record.expired_value = std::move(expired);
    }
    // else (hundreds of siblings or a long retired history): the values stay on disk until
    // the key is written again; reads hide them all the same.
  }
  return engine_->Put(key, record);
}

Result<SiblingSet> ReplicaStore::CoordinatePut(std::string_view key, const CausalContext& context, Sibling write,
                                               bool lww, Mode mode) {
  RINGKV_TRY(ValidateKey(key));
  RINGKV_TRY(ValidateValue(write.value));
  if (write.tombstone && !write.value.empty()) return Status::InvalidArgument("a delete carries no value");
  RINGKV_TRY(CheckExpiry(write));
  if (mode == Mode::kNoBlock && engine_->WriteWouldBlock()) return Status::Busy("write would wait");
  RINGKV_ASSIGN(auto lock, Lock(key, mode));
  if (Dropped(key)) {
    return Status::InvalidArgument("the key's namespace was dropped (it is being erased); nothing was written");
  }
  RINGKV_ASSIGN(SiblingSet set, Load(key, mode));
  switch (set.Classify(write)) {
    case WriteFate::kHeld:
    case WriteFate::kSuperseded:
      return set;  // applied before: applying it again would mint a second version
    case WriteFate::kTooOld:
      return TooOldForHistory(write, set);
    case WriteFate::kNew:
      break;
  }
  set.Update(context, node_id_, std::move(write), DotCounterFloor());
  if (lww) set.ResolveLww();
  set.Expire(clock_.WallMs());  // a write that arrives expired (the client's clock is behind) is a tombstone
  RINGKV_TRY(Store(key, set));
  return set;
}

Result<SiblingSet> ReplicaStore::Merge(std::string_view key, const SiblingSet& incoming, bool lww, Mode mode) {
  RINGKV_TRY(ValidateKey(key));
  for (const Sibling& s : incoming.siblings()) RINGKV_TRY(ValidateValue(s.value));
  if (mode == Mode::kNoBlock && engine_->WriteWouldBlock()) return Status::Busy("write would wait");
  RINGKV_ASSIGN(auto lock, Lock(key, mode));
  if (Dropped(key)) return SiblingSet();  // no write may bring a dropped incarnation back
  RINGKV_ASSIGN(SiblingSet set, Load(key, mode));
  bool changed = set.Merge(incoming);
  if (lww) changed = set.ResolveLww() || changed;
  set.Expire(clock_.WallMs());               // an expired value that came in is kept as its tombstone only
  if (changed) RINGKV_TRY(Store(key, set));  // a repeated replicate writes nothing
  return set;
}

Result<std::optional<SiblingSet>> ReplicaStore::Get(std::string_view key, Mode mode) {
  RINGKV_TRY(ValidateKey(key));
  RINGKV_ASSIGN(SiblingSet set, Load(key, mode));
  if (set.empty()) return std::optional<SiblingSet>();
  return std::optional<SiblingSet>(std::move(set));
}

Status ReplicaStore::ForEach(std::string_view start,
                             const std::function<bool(std::string_view, const SiblingSet&)>& fn) {
  storage::RangeOptions range;
  range.start = std::string(start);
  auto it = engine_->NewIterator(range);
  for (; it->Valid(); it->Next()) {
    auto set = SiblingSet::Decode(it->record().value);
    if (!set.ok()) return Status::Corruption("stored versions of a key are unreadable: " + set.status().message());
    set->Expire(clock_.WallMs());  // repair and streaming never ship an expired value's bytes
    if (!fn(it->key(), *set)) break;
  }
  return it->status();
}

uint64_t ReplicaStore::DotCounterFloor() const {
  constexpr uint64_t k2025 = 1735689600000;  // 2025-01-01T00:00:00Z in ms since the epoch
  uint64_t now = clock_.WallMs();
  return now > k2025 ? now - k2025 : 1;
}

}  // namespace ringkv
