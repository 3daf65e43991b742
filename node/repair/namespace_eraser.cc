#include "node/repair/namespace_eraser.h"

#include <spdlog/spdlog.h>

namespace ringkv {
namespace {
constexpr size_t kKeysPerWrite = 250;
}  // namespace

NamespaceEraser::NamespaceEraser(ReplicaStore* store, storage::StorageEngine* engine, const PublishedCatalog* catalog,
                                 Options options)
    : store_(store), engine_(engine), catalog_(catalog), options_(options) {}

std::map<std::string, uint64_t> NamespaceEraser::ErasedKeys() const {
  MutexLock lock(&counts_mu_);
  return erased_;
}

Result<bool> NamespaceEraser::Step() {
  if (!in_pass_) {
    uint64_t generation = catalog_->generation();
    if (generation == done_generation_.load()) return true;
    // The generation first: a change published after it starts another pass.
    pass_generation_ = generation;
    ranges_ = catalog_->Get()->DroppedRanges();
    // A write that checked the catalog before the drop was published is stored by now,
    // so the scan below sees it; every later one is refused.
    store_->AwaitWritesInFlight();
    range_ = 0;
    cursor_ = ranges_.empty() ? std::string() : ranges_[0].start;
    erased_in_pass_ = 0;
    in_pass_ = true;
  }
  RINGKV_ASSIGN(size_t erased, EraseSome(options_.keys_per_step));
  erased_in_pass_ += erased;
  if (range_ < ranges_.size()) return false;
  if (erased_in_pass_ > 0) {
    // Reaps the tombstones just written, and the values and blob references they shadow.
    RINGKV_TRY(engine_->CompactAll());
    spdlog::info("dropped namespaces: erased {} keys and compacted", erased_in_pass_);
  }
  in_pass_ = false;
  done_generation_.store(pass_generation_);
  return catalog_->generation() == pass_generation_;
}

Result<size_t> NamespaceEraser::EraseSome(size_t budget) {
  size_t erased = 0, scanned = 0;
  const size_t scan_budget = 8 * budget;  // tombstones cost a look each, not a write
  std::vector<std::string> batch;
  auto flush = [&]() -> Status {
    RINGKV_TRY(store_->EraseDropped(batch));
    MutexLock lock(&counts_mu_);
    erased_[ranges_[range_].name] += batch.size();
    erased += batch.size();
    batch.clear();
    return Status::OK();
  };
  auto more = [&] { return erased + batch.size() < budget && scanned < scan_budget; };
  while (range_ < ranges_.size() && more()) {
    const DroppedRange& range = ranges_[range_];
    storage::RangeOptions scan;
    scan.start = cursor_;
    scan.end = range.end;
    auto it = engine_->NewIterator(scan);
    for (; it->Valid() && more(); it->Next()) {
      ++scanned;
      if (it->record().tombstone) continue;  // deleted already (erased, or a user's delete)
      batch.emplace_back(it->key());
      if (batch.size() == kKeysPerWrite) RINGKV_TRY(flush());
    }
    RINGKV_TRY(it->status());
    bool range_done = !it->Valid();
    if (!range_done) cursor_ = std::string(it->key());
    if (!batch.empty()) RINGKV_TRY(flush());
    if (!range_done) break;
    if (++range_ < ranges_.size()) cursor_ = ranges_[range_].start;
  }
  return erased;
}

}  // namespace ringkv
