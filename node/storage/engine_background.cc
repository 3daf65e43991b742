// StorageEngine's background work: flushing the immutable memtables (oldest first), leveled or
// size-tiered and tombstone compactions, and installing each result as a new version + manifest.

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

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

Status StorageEngine::Rep::InstallVersion(const VersionEdit& edit) {
  MutexLock install(&install_mu);
  MutexLock lock(&mu);
  auto next = std::make_shared<Version>();
  auto in = [](const std::vector<std::shared_ptr<SSTable>>& list, const std::shared_ptr<SSTable>& t) {
    return std::any_of(list.begin(), list.end(), [&](const auto& x) { return x.get() == t.get(); });
  };
  std::vector<std::shared_ptr<SSTable>> tables;
  for (const auto& t : version->tables) {
    if (in(edit.removed, t)) continue;
    tables.push_back(t);
    next->level_of[t->file_number()] = version->LevelOf(t->file_number());
  }
  for (const auto& t : edit.added) {
    tables.push_back(t);
    next->level_of[t->file_number()] = edit.added_level;
  }
  next->Arrange(std::move(tables));

  next->blobs = version->blobs;
  std::map<uint64_t, BlobFileMeta> next_meta = blob_meta;
  if (edit.added_blob) {
    next->blobs[edit.added_blob->file_number()] = edit.added_blob;
    next_meta[edit.added_blob->file_number()] = edit.added_blob_meta;
  }
  for (const auto& [number, bytes] : edit.blob_garbage) {
    auto it = next_meta.find(number);
    if (it != next_meta.end()) it->second.garbage_bytes += bytes;
  }
  // A blob file no live table refers to is garbage whole: it leaves the version.
  std::set<uint64_t> referenced;
  for (const auto& t : next->tables)
    referenced.insert(t->properties().blob_files.begin(), t->properties().blob_files.end());
  std::vector<std::shared_ptr<BlobFile>> dropped;
  for (auto it = next->blobs.begin(); it != next->blobs.end();) {
    if (referenced.count(it->first)) {
      ++it;
      continue;
    }
    dropped.push_back(it->second);
    next_meta.erase(it->first);
    it = next->blobs.erase(it);
  }

  ManifestState state;
  state.next_file_number = next_file_number;
  state.last_sequence = last_sequence;
  state.log_number = std::max(log_number, edit.new_log_number);
  for (const auto& t : next->tables) {
    state.table_numbers.push_back(t->file_number());
    state.table_levels.push_back(next->LevelOf(t->file_number()));
  }
  for (const auto& [number, meta] : next_meta) state.blob_files.push_back(meta);
  mu.Unlock();  // the manifest write needs only install_mu: readers and writers go on

  Status s = WriteManifest(dir, state);
  mu.Lock();
  if (!s.ok()) {
    for (const auto& t : edit.added) {
      if (!in(edit.removed, t)) t->MarkObsolete();
    }
    if (edit.added_blob) edit.added_blob->MarkObsolete();
    return s;
  }
  version = std::move(next);
  blob_meta = std::move(next_meta);
  log_number = state.log_number;
  for (const auto& t : edit.removed) {
    if (!in(edit.added, t)) t->MarkObsolete();  // deleted once no reader holds them
  }
  for (const auto& b : dropped) b->MarkObsolete();
  stats.blob_files_deleted.fetch_add(dropped.size(), std::memory_order_relaxed);
  return Status::OK();
}

// ---- flush ----

void StorageEngine::Rep::FlushLoop() {
  MutexLock lock(&mu);
  for (;;) {
    while (!closing && imms.empty()) bg_cv.Wait(&mu);
    if (imms.empty()) return;  // closing with nothing left to flush
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
    if (!s.ok()) {
      // Sticky (LevelDB's order): every later write is refused, and the memtables stay in
      // their WALs for the next open to replay. Trying this flush again at once would spin.
      stats.flush_errors.fetch_add(1, std::memory_order_relaxed);
      SetBackgroundError(s);
      while (!closing) bg_cv.Wait(&mu);
      return;
    }
    done_cv.SignalAll();
    bg_cv.SignalAll();  // compaction may have work now
  }
}

Status StorageEngine::Rep::FlushImmutable() {
  // Writes appended to its WAL are inserted into the memtable once durable: wait for them.
  while (WritersUsing(imms.front().mem.get())) published_cv.Wait(&mu);
  std::shared_ptr<Memtable> mem_to_flush = imms.front().mem;
  std::shared_ptr<Wal> old_wal = imms.front().wal;
  uint64_t number = next_file_number++;
  uint64_t blob_number = next_file_number++;
  // Once this table is live, the next memtable's WAL (or the active one's) is the oldest
  // that still matters: the WALs before it hold only writes that are in tables.
  uint64_t new_log_number = imms.size() > 1 ? imms[1].wal_number : wal_number;
  mu.Unlock();  // the memtable stays queued meanwhile: readers still see it, and it alone is flushed

  Status s = old_wal ? old_wal->Close() : Status::OK();
  // The memtable holds only writes that reached the log before it filled up; the table replaces it.
  if (!s.ok() && old_wal->OutOfSpace()) s = Status::OK();
  std::optional<MergeResult> merged;
  if (s.ok()) {
    auto input = mem_to_flush->NewIterator();
    BlobPolicy blobs;
    blobs.threshold = options.blob_threshold_bytes;
    blobs.file_number = blob_number;
    blobs.path = BlobPath(dir, blob_number);
    TableOutput out{dir, [number] { return number; }, 0};  // one table, numbered before
    auto written = WriteMergedTables(input.get(), MergePolicy{}, blobs, options, out, &cache, &stats);
    if (written.ok())
      merged = std::move(written).value();
    else
      s = written.status();
  }
  if (s.ok()) {
    VersionEdit edit;
    edit.added = merged->tables;
    edit.added_blob = merged->blob;
    edit.added_blob_meta = merged->blob_meta;
    edit.new_log_number = new_log_number;
    stats.flush_count.fetch_add(1, std::memory_order_relaxed);
    stats.flush_bytes_written.fetch_add(merged->bytes_written, std::memory_order_relaxed);
    stats.blob_bytes_written.fetch_add(merged->blob_meta.value_bytes, std::memory_order_relaxed);
    s = InstallVersion(edit);
  }
  if (s.ok()) DeleteObsoleteWals(new_log_number);
  mu.Lock();
  if (s.ok()) {  // the table is in the version: the memtable can leave the readers' view
    imms.pop_front();
    ++memtables_flushed;
    PublishImmutables();
  }
  return s;
}

// ---- compaction ----

uint64_t StorageEngine::Rep::GraceMs() const {
  if (options.purge_decider) return options.purge_decider->MinGraceMs();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(options.tombstone_grace).count());
}

std::vector<std::shared_ptr<SSTable>> StorageEngine::Rep::PickTombstoneCompaction() {
  uint64_t now = options.clock->WallMs();
  uint64_t grace_ms = GraceMs();
  if (options.purge_decider && options.purge_decider->Epoch() != checked_epoch) {
    // The proof advanced: what a table's last compaction had to keep may go now.
    checked_epoch = options.purge_decider->Epoch();
    tombstone_checked.clear();
  }
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

std::vector<std::shared_ptr<SSTable>> StorageEngine::Rep::PickExpiredCompaction() {
  uint64_t now = options.clock->WallMs();
  for (const auto& t : version->tables) {
    const TableProperties& p = t->properties();
    if (compacting.count(t->file_number()) || p.num_expiring == 0 || now < p.newest_expiry_ms) continue;
    if (static_cast<double>(p.num_expiring) < kTombstoneRatio * p.num_entries) continue;
    return {t};  // its output holds no expiring record: never picked again
  }
  return {};
}

CompactionPick StorageEngine::Rep::PickRegularCompaction() {
  if (options.compaction_style == CompactionStyle::kLeveled) {
    return PickLeveledCompaction(*version, options, compact_cursor);
  }
  std::vector<std::shared_ptr<SSTable>> candidates;
  for (const auto& t : version->tables) {
    if (!compacting.count(t->file_number())) candidates.push_back(t);
  }
  CompactionPick pick;
  pick.inputs = PickSizeTieredCompaction(candidates, options);
  return pick;
}

CompactionPick StorageEngine::Rep::PickCompaction(bool manual) {
  CompactionPick pick;
  if (manual) {
    // Everything into one level: the deepest holding a table (leveled), else level 0.
    for (const auto& t : version->tables) {
      if (compacting.count(t->file_number())) continue;
      pick.inputs.push_back(t);
      pick.output_level = std::max(pick.output_level, version->LevelOf(t->file_number()));
    }
    if (options.compaction_style == CompactionStyle::kLeveled) pick.output_level = std::max(1, pick.output_level);
    return pick;
  }
  pick = PickRegularCompaction();
  if (pick.inputs.empty()) pick = RewriteInPlace(PickTombstoneCompaction());
  if (pick.inputs.empty()) pick = RewriteInPlace(PickExpiredCompaction());
  if (pick.inputs.empty()) pick = RewriteInPlace(PickBlobGcCompaction());
  return pick;
}

CompactionPick StorageEngine::Rep::RewriteInPlace(std::vector<std::shared_ptr<SSTable>> tables) {
  if (tables.size() > 1 && options.compaction_style == CompactionStyle::kLeveled) tables.resize(1);
  CompactionPick rewrite;
  rewrite.output_level = tables.empty() ? 0 : version->LevelOf(tables[0]->file_number());
  rewrite.inputs = std::move(tables);
  return rewrite;
}

std::set<uint64_t> StorageEngine::Rep::BlobFilesToRelocate() const {
  std::set<uint64_t> numbers;
  for (const auto& [number, m] : blob_meta) {
    // garbage > 0: a file just written by relocation never qualifies, so GC cannot loop.
    if (m.garbage_bytes > 0 &&
        static_cast<double>(m.garbage_bytes) >= options.blob_gc_garbage_ratio * static_cast<double>(m.value_bytes)) {
      numbers.insert(number);
    }
  }
  return numbers;
}

std::vector<std::shared_ptr<SSTable>> StorageEngine::Rep::PickBlobGcCompaction() {
  for (uint64_t number : BlobFilesToRelocate()) {
    std::vector<std::shared_ptr<SSTable>> referring;
    bool busy = false;
    for (const auto& t : version->tables) {
      const auto& refs = t->properties().blob_files;
      if (!std::binary_search(refs.begin(), refs.end(), number)) continue;
      busy = busy || compacting.count(t->file_number()) > 0;
      referring.push_back(t);
    }
    if (!busy && !referring.empty()) return referring;
  }
  return {};
}

void StorageEngine::Rep::CompactionLoop() {
  MutexLock lock(&mu);
  while (!closing) {
    bool manual = manual_requested > manual_done;
    CompactionPick pick;
    if (bg_error.ok()) pick = PickCompaction(manual);
    const auto& inputs = pick.inputs;
    bool one_settled = inputs.size() == 1 && !inputs[0]->properties().num_tombstones &&
                       !inputs[0]->properties().num_expiring &&
                       version->LevelOf(inputs[0]->file_number()) == pick.output_level;
    if (manual && (inputs.empty() || one_settled)) {
      manual_done = manual_requested;  // nothing to merge
      done_cv.SignalAll();
      continue;
    }
    if (inputs.empty()) {
      bg_cv.WaitFor(&mu, options.tombstone_scan_interval);
      continue;
    }
    uint64_t target = manual_requested;
    if (pick.cursor_level >= 0) compact_cursor[pick.cursor_level] = pick.cursor_key;
    compaction_running = true;
    Status s = RunCompaction(std::move(pick));
    compaction_running = false;
    bool disk_full = IsDiskFull(s);
    compaction_space_error = disk_full ? s : Status::OK();  // the inputs are intact: retried later
    if (!s.ok() && !disk_full) SetBackgroundError(s);
    if (manual) manual_done = target;
    done_cv.SignalAll();
    if (disk_full) bg_cv.WaitFor(&mu, kDiskFullRetry);
  }
}

Status StorageEngine::Rep::MoveTable(const std::shared_ptr<SSTable>& table, int level) {
  compacting.insert(table->file_number());
  mu.Unlock();
  VersionEdit edit;
  edit.removed = {table};
  edit.added = {table};
  edit.added_level = level;
  Status s = InstallVersion(edit);
  if (s.ok()) stats.trivial_moves.fetch_add(1, std::memory_order_relaxed);
  mu.Lock();
  compacting.erase(table->file_number());
  return s;
}

Status StorageEngine::Rep::RunCompaction(CompactionPick pick) {
  const std::vector<std::shared_ptr<SSTable>>& inputs = pick.inputs;
  if (pick.trivial_move && BlobFilesToRelocate().empty()) return MoveTable(inputs[0], pick.output_level);
  MergePolicy policy;
  policy.reap_tombstones = true;
  policy.reap_at_once = options.reap_at_once;
  policy.expire_values = true;
  policy.decider = options.purge_decider;
  policy.now_ms = options.clock->WallMs();
  policy.grace_ms = GraceMs();
  for (const auto& t : version->tables) {
    if (std::find(inputs.begin(), inputs.end(), t) == inputs.end()) policy.outside.push_back(t);
  }
  for (const auto& t : inputs) compacting.insert(t->file_number());
  BlobPolicy blobs;
  blobs.file_number = next_file_number++;
  blobs.path = BlobPath(dir, blobs.file_number);
  blobs.relocate_from = BlobFilesToRelocate();
  blobs.source = version;
  bool single_table = inputs.size() == 1;
  TableOutput out;
  out.dir = dir;
  out.new_file_number = [this] {
    MutexLock lock(&mu);
    return next_file_number++;
  };
  // Level 0 keeps one table per merge; levels below are cut into tables of target size.
  out.max_table_bytes = pick.output_level > 0 ? options.target_table_bytes : 0;
  mu.Unlock();  // the inputs are marked `compacting`: no other compaction takes them

  std::vector<std::unique_ptr<InternalIterator>> children;
  uint64_t bytes_read = 0;
  for (const auto& t : inputs) {
    children.push_back(t->NewIterator());
    bytes_read += t->file_size();
  }
  auto merged_input = NewMergingIterator(std::move(children));
  auto merged = WriteMergedTables(merged_input.get(), policy, blobs, options, out, &cache, &stats);
  Status s = merged.ok() ? Status::OK() : merged.status();
  if (s.ok()) {
    VersionEdit edit;
    edit.added = merged->tables;
    edit.added_level = pick.output_level;
    edit.removed = inputs;
    edit.added_blob = merged->blob;
    edit.added_blob_meta = merged->blob_meta;
    edit.blob_garbage = merged->blob_garbage;
    s = InstallVersion(edit);
    stats.blob_bytes_written.fetch_add(merged->blob_meta.value_bytes, std::memory_order_relaxed);
    stats.blob_bytes_relocated.fetch_add(merged->blob_bytes_relocated, std::memory_order_relaxed);
    stats.compaction_count.fetch_add(1, std::memory_order_relaxed);
    stats.compaction_bytes_read.fetch_add(bytes_read, std::memory_order_relaxed);
    stats.compaction_bytes_written.fetch_add(merged->bytes_written, std::memory_order_relaxed);
    stats.tombstones_dropped.fetch_add(merged->tombstones_dropped, std::memory_order_relaxed);
    stats.values_expired.fetch_add(merged->values_expired, std::memory_order_relaxed);
  }
  mu.Lock();
  for (const auto& t : inputs) compacting.erase(t->file_number());
  if (s.ok()) {
    for (const auto& t : inputs) awaiting_proof.erase(t->file_number());
    for (size_t i = 0; i < merged->tables.size(); ++i) {
      if (merged->awaiting_proof_per_table[i] > 0)
        awaiting_proof[merged->tables[i]->file_number()] = merged->awaiting_proof_per_table[i];
    }
  }
  // A single-table merge that reaped nothing would only repeat itself: remember its output.
  // (Not one that turned expired values into tombstones: those are new, their grace to come.)
  if (s.ok() && single_table && merged->tombstones_dropped == 0 && merged->values_expired == 0) {
    for (const auto& t : merged->tables) tombstone_checked.insert(t->file_number());
  }
  return s;
}

}  // namespace ringkv::storage
