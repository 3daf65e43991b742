#include "node/replica/hint_store.h"

#include "common/coding.h"
#include "common/hash.h"
#include "node/replica/replica_store.h"
#include "ringkv/limits.h"

namespace ringkv {
namespace {

// Entries are filed under [target length-prefixed][key]: one target's hints are contiguous.
std::string TargetPrefix(std::string_view target) {
  std::string out;
  PutLengthPrefixed(&out, target);
  return out;
}

std::string EntryKey(std::string_view target, std::string_view key) {
  std::string out = TargetPrefix(target);
  out.append(key);
  return out;
}

bool SplitEntryKey(std::string_view entry, std::string_view* target, std::string_view* key) {
  if (!GetLengthPrefixed(&entry, target)) return false;
  *key = entry;
  return true;
}

// The prefix's successor: the first entry key past every key of `prefix`.
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

}  // namespace

std::string_view HintDropName(HintDrop why) {
  switch (why) {
    case HintDrop::kExpired:
      return "expired";
    case HintDrop::kRefused:
      return "refused";
    case HintDrop::kNamespaceDropped:
      return "namespace_dropped";
  }
  return "unknown";
}

uint64_t HintCounters::DroppedTotal() const {
  uint64_t total = 0;
  for (uint64_t n : dropped) total += n;
  return total;
}

uint64_t HintStats::QueuedTotal() const {
  uint64_t total = 0;
  for (const auto& [target, n] : queued) total += n;
  return total;
}

HintStore::HintStore(std::unique_ptr<storage::StorageEngine> engine, std::string node_id,
                     const PublishedCatalog* catalog)
    : engine_(std::move(engine)), node_id_(std::move(node_id)), catalog_(catalog) {}

bool HintStore::Dropped(std::string_view key) const {
  if (!IsDroppedKey(key)) return false;
  catalog_->CountDroppedWrite();
  return true;
}

Result<std::unique_ptr<HintStore>> HintStore::Open(const std::string& dir, std::string node_id, StorageOptions options,
                                                   const PublishedCatalog* catalog) {
  options.tombstone_grace = std::chrono::seconds(0);  // a delivered hint is gone for good
  RINGKV_ASSIGN(auto engine, storage::StorageEngine::Open(dir, options));
  std::unique_ptr<HintStore> store(new HintStore(std::move(engine), std::move(node_id), catalog));
  RINGKV_TRY(store->CountExisting());
  return store;
}

Status HintStore::CountExisting() {
  auto it = engine_->NewIterator({});
  for (; it->Valid(); it->Next()) {
    if (it->record().tombstone) continue;
    std::string_view target, key;
    if (!SplitEntryKey(it->key(), &target, &key)) return Status::Corruption("malformed hint entry key");
    ++queued_[std::string(target)];
    ++counters_.stored;  // taken on again: each will be delivered or dropped like a new one
  }
  return it->status();
}

std::mutex& HintStore::LockFor(std::string_view target, std::string_view key) {
  return stripes_[(Hash64(key) ^ Hash64(target)) % stripes_.size()];
}

Result<std::unique_lock<std::mutex>> HintStore::Lock(std::string_view target, std::string_view key, Mode mode) {
  std::unique_lock lock(LockFor(target, key), std::defer_lock);
  if (mode == Mode::kMayBlock)
    lock.lock();
  else if (!lock.try_lock())
    return Status::Busy("hint is locked by another request");
  return lock;
}

Result<std::optional<Hint>> HintStore::Load(const std::string& entry_key, Mode mode) {
  auto record = engine_->Get(entry_key, mode);
  if (!record.ok()) {
    if (record.status().IsNotFound()) return std::optional<Hint>();
    return record.status();
  }
  if (record->tombstone) return std::optional<Hint>();
  auto set = SiblingSet::Decode(record->value);
  if (!set.ok()) return Status::Corruption("stored hint is unreadable: " + set.status().message());
  Hint hint;
  hint.set = std::move(set).value();
  hint.updated_ms = record->timestamp_ms;
  hint.stored = std::move(record->value);
  return std::optional<Hint>(std::move(hint));
}

Status HintStore::Store(std::string_view target, const std::string& entry_key, const SiblingSet& set, uint64_t now_ms,
                        bool existed) {
  storage::Record record;
  record.value = set.Encode();
  record.timestamp_ms = now_ms;
  RINGKV_TRY(engine_->Put(entry_key, record));
  std::lock_guard lock(counts_mu_);
  if (existed) {
    ++counters_.merged;
  } else {
    ++counters_.stored;
    ++queued_[std::string(target)];
  }
  return Status::OK();
}

void HintStore::CountMerged() {
  std::lock_guard lock(counts_mu_);
  ++counters_.merged;
}

Status HintStore::Add(std::string_view target, std::string_view key, const SiblingSet& set, bool lww, uint64_t now_ms,
                      Mode mode) {
  RINGKV_TRY(ValidateKey(key));
  if (target.empty()) return Status::InvalidArgument("a hint needs a target node");
  if (Dropped(key)) return Status::OK();  // never delivered: nothing to hold
  if (mode == Mode::kNoBlock && engine_->WriteWouldBlock()) return Status::Busy("write would wait");
  std::string entry = EntryKey(target, key);
  RINGKV_ASSIGN(auto lock, Lock(target, key, mode));
  RINGKV_ASSIGN(auto existing, Load(entry, mode));
  SiblingSet merged = existing ? existing->set : SiblingSet();
  bool changed = merged.Merge(set);
  if (lww) changed = merged.ResolveLww() || changed;
  if (existing && !changed) {  // the same hint again: nothing piles up
    CountMerged();
    return Status::OK();
  }
  return Store(target, entry, merged, now_ms, existing.has_value());
}

Result<SiblingSet> HintStore::CoordinatePut(std::string_view target, std::string_view key, const CausalContext& context,
                                            Sibling write, bool lww, uint64_t counter_floor, uint64_t now_ms,
                                            Mode mode) {
  RINGKV_TRY(ValidateKey(key));
  RINGKV_TRY(ValidateValue(write.value));
  if (target.empty()) return Status::InvalidArgument("a hint needs a target node");
  if (Dropped(key)) {
    return Status::InvalidArgument("the key's namespace was dropped (it is being erased); nothing was written");
  }
  if (mode == Mode::kNoBlock && engine_->WriteWouldBlock()) return Status::Busy("write would wait");
  std::string entry = EntryKey(target, key);
  RINGKV_ASSIGN(auto lock, Lock(target, key, mode));
  RINGKV_ASSIGN(auto existing, Load(entry, mode));
  SiblingSet set = existing ? existing->set : SiblingSet();
  switch (set.Classify(write)) {
    case WriteFate::kHeld:
    case WriteFate::kSuperseded:
      return set;
    case WriteFate::kTooOld:
      return TooOldForHistory(write, set);
    case WriteFate::kNew:
      break;
  }
  set.Update(context, node_id_, std::move(write), counter_floor);
  if (lww) set.ResolveLww();
  RINGKV_TRY(Store(target, entry, set, now_ms, existing.has_value()));
  return set;
}

Result<std::vector<Hint>> HintStore::Scan(std::string_view target, std::string_view after, size_t max) {
  std::string prefix = TargetPrefix(target);
  storage::RangeOptions range;
  range.start = after.empty() ? prefix : prefix + std::string(after) + std::string(1, '\0');
  range.end = PrefixEnd(prefix);
  std::vector<Hint> out;
  auto it = engine_->NewIterator(range);
  for (; it->Valid() && out.size() < max; it->Next()) {
    if (it->record().tombstone) continue;
    std::string_view t, key;
    if (!SplitEntryKey(it->key(), &t, &key) || t != target) return Status::Corruption("malformed hint entry key");
    auto set = SiblingSet::Decode(it->record().value);
    if (!set.ok()) return Status::Corruption("stored hint is unreadable: " + set.status().message());
    out.push_back(Hint{std::string(key), std::move(set).value(), it->record().timestamp_ms, it->record().value});
  }
  RINGKV_TRY(it->status());
  return out;
}

Status HintStore::RemoveIfUnchanged(std::string_view target, const Hint& hint, Outcome why) {
  std::string entry = EntryKey(target, hint.key);
  RINGKV_ASSIGN(auto lock, Lock(target, hint.key, Mode::kMayBlock));
  RINGKV_ASSIGN(auto current, Load(entry, Mode::kMayBlock));
  if (!current) return Status::OK();
  if (current->stored != hint.stored) return Status::OK();  // a newer write arrived: keep it for next time
  storage::Record tombstone;
  tombstone.tombstone = true;
  tombstone.timestamp_ms = hint.updated_ms;
  RINGKV_TRY(engine_->Put(entry, tombstone));
  std::lock_guard counts(counts_mu_);
  auto it = queued_.find(std::string(target));
  if (it != queued_.end() && --it->second == 0) queued_.erase(it);
  switch (why) {
    case Outcome::kDelivered:
      ++counters_.delivered;
      break;
    case Outcome::kRedirected:
      ++counters_.delivered;
      ++counters_.redirected;
      break;
    case Outcome::kExpired:
      ++counters_.dropped[static_cast<size_t>(HintDrop::kExpired)];
      break;
    case Outcome::kNamespaceDropped:
      ++counters_.dropped[static_cast<size_t>(HintDrop::kNamespaceDropped)];
      break;
    case Outcome::kRefused:
      ++counters_.dropped[static_cast<size_t>(HintDrop::kRefused)];
      break;
  }
  return Status::OK();
}

std::map<std::string, uint64_t> HintStore::Queued() const {
  std::lock_guard lock(counts_mu_);
  return queued_;
}

HintCounters HintStore::counters() const {
  std::lock_guard lock(counts_mu_);
  return counters_;
}

HintStats HintStore::Stats() const {
  std::lock_guard lock(counts_mu_);
  return HintStats{counters_, queued_};
}

Status HintStore::Close() { return engine_->Close(); }

}  // namespace ringkv
