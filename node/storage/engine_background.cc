// StorageEngine's background work: flushing the immutable memtable, size-tiered and
// tombstone compactions, and installing each result as a new version + manifest.

#include <algorithm>
#include <chrono>
#include <optional>

#include "node/storage/compaction.h"
#include "node/storage/engine_rep.h"
#include "node/storage/file.h"
#include "node/storage/merger.h"

namespace ringkv::storage {
namespace {

// A table qualifies for a tombstone-only compaction when this share of it is tombstones.
constexpr double kTombstoneRatio = 0.2;
// How often a flush or compaction that found the disk full tries again.
constexpr std::chrono::milliseconds kDiskFullRetry{200};

void SortNewestFirst(std::vector<std::shared_ptr<SSTable>>* tables) {
  std::sort(tables->begin(), tables->end(),
            [](const auto& a, const auto& b) { return a->properties().max_seq > b->properties().max_seq; });
}

}  // namespace

void StorageEngine::Rep::SetBackgroundError(const Status& s) {
  if (bg_error.ok()) bg_error = s;
  done_cv.SignalAll();
}

void StorageEngine::Rep::DeleteObsoleteWals(uint64_t below_number) {
  auto names = ListDir(dir);
  if (!names.ok()) return;
  for (const auto& name : *names) {
    uint64_t number = 0;
    if (ParseFileName(name, &number) == FileKind::kWal && number < below_number) {
      (void)RemoveFile(dir + "/" + name);
    }
  }
}

Status StorageEngine::Rep::InstallVersion(const std::vector<std::shared_ptr<SSTable>>& added,
                                          const std::vector<std::shared_ptr<SSTable>>& removed,
                                          uint64_t new_log_number) {
  MutexLock install(&install_mu);
  MutexLock lock(&mu);
  auto next = std::make_shared<Version>();
  for (const auto& t : version->tables) {
    bool gone = std::any_of(removed.begin(), removed.end(), [&](const auto& r) { return r.get() == t.get(); });
    if (!gone) next->tables.push_back(t);
  }
  next->tables.insert(next->tables.end(), added.begin(), added.end());
  SortNewestFirst(&next->tables);

  ManifestState state;
  state.next_file_number = next_file_number;
  state.last_sequence = last_sequence;
  state.log_number = std::max(log_number, new_log_number);
  for (const auto& t : next->tables) state.table_numbers.push_back(t->file_number());
  mu.Unlock();  // the manifest write needs only install_mu: readers and writers go on

  Status s = WriteManifest(dir, state);
  mu.Lock();
  if (!s.ok()) {
    for (const auto& t : added) t->MarkObsolete();
    return s;
  }
  version = std::move(next);
  log_number = state.log_number;
  for (const auto& t : removed) t->MarkObsolete();  // deleted once no reader holds them
  return Status::OK();
}

// ---- flush ----

void StorageEngine::Rep::FlushLoop() {
  MutexLock lock(&mu);
  for (;;) {
    while (!closing && imm == nullptr) bg_cv.Wait(&mu);
    if (imm == nullptr) return;  // closing with nothing left to flush
    Status s = FlushImmutable();
    if (IsDiskFull(s)) {
      // Nothing is lost (the memtable stays, its table was removed): try again later.
      // Writes that need the memtable's room are refused meanwhile (MakeRoomForWrite).
      flush_space_error = s;
      done_cv.SignalAll();
      if (closing) return;
      bg_cv.WaitFor(&mu, kDiskFullRetry);
      continue;
    }
    flush_space_error = Status::OK();
    if (!s.ok()) SetBackgroundError(s);
    done_cv.SignalAll();
    bg_cv.SignalAll();  // compaction may have work now
  }
}

Status StorageEngine::Rep::FlushImmutable() {
  // Writes appended to imm's WAL are inserted into imm once durable: wait for them.
  while (WritersUsing(imm.get())) published_cv.Wait(&mu);
  std::shared_ptr<Memtable> mem_to_flush = imm;
  std::shared_ptr<Wal> old_wal = imm_wal;
  uint64_t number = next_file_number++;
  uint64_t new_log_number = wal_number;  // every older WAL is covered once this table is live
  mu.Unlock();                           // imm stays set meanwhile: no other flush starts, readers still see it

  Status s = old_wal ? old_wal->Close() : Status::OK();
  // imm holds only writes that reached the log before it filled up; the table replaces it.
  if (!s.ok() && old_wal->OutOfSpace()) s = Status::OK();
  std::optional<MergeResult> merged;
  if (s.ok()) {
    auto input = mem_to_flush->NewIterator();
    auto written =
        WriteMergedTable(input.get(), MergePolicy{}, options, TablePath(dir, number), number, &cache, &stats);
    if (written.ok())
      merged = std::move(written).value();
    else
      s = written.status();
  }
  if (s.ok()) {
    std::vector<std::shared_ptr<SSTable>> added;
    if (merged->table) added.push_back(merged->table);
    stats.flush_count.fetch_add(1, std::memory_order_relaxed);
    stats.flush_bytes_written.fetch_add(merged->bytes_written, std::memory_order_relaxed);
    s = InstallVersion(added, {}, new_log_number);
  }
  if (s.ok()) DeleteObsoleteWals(new_log_number);
  mu.Lock();
  if (s.ok()) {
    imm.reset();
    imm_wal.reset();
  }
  return s;
}

// ---- compaction ----

std::vector<std::shared_ptr<SSTable>> StorageEngine::Rep::PickTombstoneCompaction() {
  uint64_t now = options.clock->WallMs();
  auto grace_ms =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(options.tombstone_grace).count());
  for (const auto& t : version->tables) {
    const TableProperties& p = t->properties();
    if (compacting.count(t->file_number()) || tombstone_checked.count(t->file_number())) continue;
    if (p.num_tombstones == 0 || static_cast<double>(p.num_tombstones) < kTombstoneRatio * p.num_entries) continue;
    // The newest tombstone in the table can be no younger than the table's creation.
    if (p.newest_tombstone_ms > now || now - p.newest_tombstone_ms < grace_ms) continue;
    return {t};
  }
  return {};
}

std::vector<std::shared_ptr<SSTable>> StorageEngine::Rep::PickCompaction(bool manual) {
  std::vector<std::shared_ptr<SSTable>> candidates;
  for (const auto& t : version->tables) {
    if (!compacting.count(t->file_number())) candidates.push_back(t);
  }
  if (manual) return candidates;
  auto picked = PickSizeTieredCompaction(candidates, options);
  if (picked.empty()) picked = PickTombstoneCompaction();
  return picked;
}

void StorageEngine::Rep::CompactionLoop() {
  MutexLock lock(&mu);
  while (!closing) {
    bool manual = manual_requested > manual_done;
    std::vector<std::shared_ptr<SSTable>> inputs;
    if (bg_error.ok()) inputs = PickCompaction(manual);
    if (manual && inputs.size() <= 1 && (inputs.empty() || !inputs[0]->properties().num_tombstones)) {
      manual_done = manual_requested;  // nothing to merge
      done_cv.SignalAll();
      continue;
    }
    if (inputs.empty()) {
      bg_cv.WaitFor(&mu, options.tombstone_scan_interval);
      continue;
    }
    uint64_t target = manual_requested;
    compaction_running = true;
    Status s = RunCompaction(std::move(inputs));
    compaction_running = false;
    bool disk_full = IsDiskFull(s);
    compaction_space_error = disk_full ? s : Status::OK();  // the inputs are intact: retried later
    if (!s.ok() && !disk_full) SetBackgroundError(s);
    if (manual) manual_done = target;
    done_cv.SignalAll();
    if (disk_full) bg_cv.WaitFor(&mu, kDiskFullRetry);
  }
}

Status StorageEngine::Rep::RunCompaction(std::vector<std::shared_ptr<SSTable>> inputs) {
  MergePolicy policy;
  policy.reap_tombstones = true;
  policy.now_ms = options.clock->WallMs();
  policy.grace_ms =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(options.tombstone_grace).count());
  for (const auto& t : version->tables) {
    if (std::find(inputs.begin(), inputs.end(), t) == inputs.end()) policy.outside.push_back(t);
  }
  for (const auto& t : inputs) compacting.insert(t->file_number());
  uint64_t number = next_file_number++;
  bool single_table = inputs.size() == 1;
  mu.Unlock();  // the inputs are marked `compacting`: no other compaction takes them

  std::vector<std::unique_ptr<InternalIterator>> children;
  uint64_t bytes_read = 0;
  for (const auto& t : inputs) {
    children.push_back(t->NewIterator());
    bytes_read += t->file_size();
  }
  auto merged_input = NewMergingIterator(std::move(children));
  auto merged = WriteMergedTable(merged_input.get(), policy, options, TablePath(dir, number), number, &cache, &stats);
  Status s = merged.ok() ? Status::OK() : merged.status();
  if (s.ok()) {
    std::vector<std::shared_ptr<SSTable>> added;
    if (merged->table) added.push_back(merged->table);
    s = InstallVersion(added, inputs, 0);
    stats.compaction_count.fetch_add(1, std::memory_order_relaxed);
    stats.compaction_bytes_read.fetch_add(bytes_read, std::memory_order_relaxed);
    stats.compaction_bytes_written.fetch_add(merged->bytes_written, std::memory_order_relaxed);
    stats.tombstones_dropped.fetch_add(merged->tombstones_dropped, std::memory_order_relaxed);
  }
  mu.Lock();
  for (const auto& t : inputs) compacting.erase(t->file_number());
  // A single-table merge that reaped nothing would only repeat itself: remember its output.
  if (s.ok() && single_table && merged->table && merged->tombstones_dropped == 0) {
    tombstone_checked.insert(merged->table->file_number());
  }
  return s;
}

}  // namespace ringkv::storage
