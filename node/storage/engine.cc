// StorageEngine: open and recovery, the write path (WAL + memtable), the read path and
// the synchronous control calls. Background work lives in engine_background.cc.

#include "node/storage/engine.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/coding.h"
#include "node/storage/engine_rep.h"
#include "node/storage/file.h"
#include "node/storage/record_iterator.h"
#include "ringkv/limits.h"

namespace ringkv::storage {
namespace {

Status LockDir(const std::string& dir, int* fd_out) {
  std::string path = dir + "/LOCK";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno("cannot open " + path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::Busy("data directory " + dir + " is in use by another process");
  }
  *fd_out = fd;
  return Status::OK();
}

// Applies one WAL payload ([first seq fixed64][count varint][key, record]...) to `mem`.
Status ApplyBatchPayload(std::string_view payload, Memtable* mem, SequenceNumber* last_seq) {
  uint64_t seq = 0;
  uint32_t count = 0;
  if (!GetFixed64(&payload, &seq) || !GetVarint32(&payload, &count)) {
    return Status::Corruption("malformed write batch header");
  }
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key, record;
    if (!GetLengthPrefixed(&payload, &key) || !GetLengthPrefixed(&payload, &record)) {
      return Status::Corruption("malformed write batch entry");
    }
    mem->Add(seq + i, key, record);
  }
  if (!payload.empty()) return Status::Corruption("trailing bytes after write batch");
  if (count > 0) *last_seq = std::max(*last_seq, seq + count - 1);
  return Status::OK();
}

}  // namespace

StorageEngine::StorageEngine() = default;
StorageEngine::~StorageEngine() { (void)Close(); }

const StorageStats& StorageEngine::stats() const { return rep_->stats; }
const std::string& StorageEngine::dir() const { return rep_->dir; }

// ---- open and recovery ----

Result<std::unique_ptr<StorageEngine>> StorageEngine::Open(const std::string& dir, const StorageOptions& options) {
  if (options.max_immutable_memtables < 1) {
    return Status::InvalidArgument("max_immutable_memtables is " + std::to_string(options.max_immutable_memtables) +
                                   "; it must be at least 1");
  }
  if (options.slowdown_write_bytes_per_s != 0 && options.slowdown_write_bytes_per_s < kMinSlowdownBytesPerSecond) {
    return Status::InvalidArgument(
        "slowdown_write_bytes_per_s is " + std::to_string(options.slowdown_write_bytes_per_s) +
        "; it must be 0 (no pacing) or at least " + std::to_string(kMinSlowdownBytesPerSecond));
  }
  RINGKV_TRY(CreateDirIfMissing(dir));
  std::unique_ptr<StorageEngine> engine(new StorageEngine());
  engine->rep_ = std::make_unique<Rep>(dir, options);
  Rep& r = *engine->rep_;
  RINGKV_TRY(LockDir(dir, &r.lock_fd));

  RINGKV_ASSIGN(auto manifest, ReadManifest(dir));
  ManifestState state = manifest.value_or(ManifestState{});
  auto version = std::make_shared<Version>();
  SequenceNumber last_sequence = state.last_sequence;
  std::vector<std::shared_ptr<SSTable>> tables;
  bool leveled = options.compaction_style == CompactionStyle::kLeveled;
  for (size_t i = 0; i < state.table_numbers.size(); ++i) {
    uint64_t number = state.table_numbers[i];
    RINGKV_ASSIGN(auto table, SSTable::Open(TablePath(dir, number), number, &r.cache, &r.stats));
    last_sequence = std::max(last_sequence, table->properties().max_seq);
    // Size-tiered keeps every table in level 0 (tables a leveled engine left are taken as they are).
    version->level_of[number] = leveled && i < state.table_levels.size() ? state.table_levels[i] : 0;
    tables.push_back(std::move(table));
  }
  version->Arrange(std::move(tables));
  std::map<uint64_t, BlobFileMeta> blob_meta;
  for (const BlobFileMeta& meta : state.blob_files) {
    RINGKV_ASSIGN(version->blobs[meta.number], BlobFile::Open(BlobPath(dir, meta.number), meta.number));
    blob_meta[meta.number] = meta;
  }
  for (const auto& t : version->tables) {
    for (uint64_t number : t->properties().blob_files) {
      if (!version->blobs.count(number)) {
        return Status::Corruption("table " + t->path() + " refers to blob file " + BlobPath(dir, number) +
                                  ", which the manifest does not name");
      }
    }
  }

  // Remove what an interrupted flush or compaction left behind; find the WALs to replay.
  RINGKV_ASSIGN(auto names, ListDir(dir));
  std::vector<uint64_t> wals;
  uint64_t next_file_number = state.next_file_number;
  for (const auto& name : names) {
    uint64_t number = 0;
    FileKind kind = ParseFileName(name, &number);
    next_file_number = std::max(next_file_number, number + 1);
    bool live_table =
        std::find(state.table_numbers.begin(), state.table_numbers.end(), number) != state.table_numbers.end();
    bool live_blob = version->blobs.count(number) > 0;
    if ((kind == FileKind::kTable && !live_table) || (kind == FileKind::kBlob && !live_blob) ||
        kind == FileKind::kTemp) {
      RINGKV_TRY(RemoveFile(dir + "/" + name));
    } else if (kind == FileKind::kWal) {
      if (number >= state.log_number)
        wals.push_back(number);
      else
        RINGKV_TRY(RemoveFile(dir + "/" + name));
    }
  }
  std::sort(wals.begin(), wals.end());
  {
    // No other thread runs yet; the lock is for the analysis (and costs nothing).
    MutexLock lock(&r.mu);
    r.version = std::move(version);
    r.blob_meta = std::move(blob_meta);
    r.last_sequence = last_sequence;
    r.log_number = state.log_number;
    r.next_file_number = next_file_number;
  }
  RINGKV_TRY(r.Recover(wals));

  r.flush_thread = std::thread([&r] { r.FlushLoop(); });
  r.compaction_thread = std::thread([&r] { r.CompactionLoop(); });
  return engine;
}

// Replays `wals` into a memtable, writes it out as a table, and starts a fresh WAL.
Status StorageEngine::Rep::Recover(const std::vector<uint64_t>& wals) {
  auto replayed = std::make_shared<Memtable>();
  SequenceNumber replayed_sequence = 0;
  for (uint64_t number : wals) {
    WalReplayStats replay;
    RINGKV_TRY(ReplayWal(
        WalPath(dir, number), options.salvage_wal,
        [&](std::string_view payload) {
          Status s = ApplyBatchPayload(payload, replayed.get(), &replayed_sequence);
          if (!s.ok()) {
            return Status::Corruption("wal " + WalPath(dir, number) + ": " + s.message());
          }
          return s;
        },
        &replay));
    stats.corrupt_wal_records_skipped.fetch_add(replay.corrupt_regions_skipped, std::memory_order_relaxed);
  }

  MutexLock lock(&mu);
  last_sequence = std::max(last_sequence, replayed_sequence);
  last_allocated = last_sequence;
  wal_number = next_file_number++;
  RINGKV_ASSIGN(wal, Wal::Create(WalPath(dir, wal_number), options, &stats));
  mem = std::make_shared<Memtable>();
  if (!replayed->Empty()) {
    // Move the replayed writes into a table now so that the old WALs can go.
    imms.push_back(Immutable{std::move(replayed), nullptr, log_number});
    ++memtables_sealed;
    PublishImmutables();
    return FlushImmutable();
  }
  VersionEdit edit;
  edit.new_log_number = wal_number;
  mu.Unlock();                      // InstallVersion takes it
  Status s = InstallVersion(edit);  // records the new WAL number
  uint64_t new_log_number = edit.new_log_number;
  if (s.ok()) DeleteObsoleteWals(new_log_number);
  mu.Lock();
  return s;
}

// ---- write path ----

void StorageEngine::Rep::WaitAndCount() {
  auto start = std::chrono::steady_clock::now();
  done_cv.WaitFor(&mu, std::chrono::milliseconds(100));
  auto micros = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count());
  stats.write_stall_micros.fetch_add(micros, std::memory_order_relaxed);
  StorageStats::AddMax(stats.max_write_stall_micros, micros);
}

void StorageEngine::Rep::PaceWrite(size_t bytes) {
  if (!Paced()) return;
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  auto cost = std::chrono::nanoseconds(
      static_cast<int64_t>(static_cast<double>(bytes) * 1e9 / static_cast<double>(options.slowdown_write_bytes_per_s)));
  paced_until = std::max(paced_until, start) + cost;
  // Shorter waits are not worth a sleep: their time carries over to a later write's.
  if (paced_until - start < std::chrono::milliseconds(1)) return;
  stats.write_slowdowns.fetch_add(1, std::memory_order_relaxed);
  // Woken by every flush and compaction: the wait ends early once level 0 is back below the
  // pace line (the time still owed is forgiven), or when the engine fails or closes.
  while (Paced() && bg_error.ok() && !closing && !closed) {
    auto left = paced_until - Clock::now();
    if (left <= Clock::duration::zero()) break;
    done_cv.WaitFor(&mu, std::chrono::ceil<std::chrono::milliseconds>(left));
  }
  if (!Paced()) paced_until = Clock::now();
  stats.write_slowdown_micros.fetch_add(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count()),
      std::memory_order_relaxed);
}

Status StorageEngine::Rep::MakeRoomForWrite() {
  bool stalled = false;
  for (;;) {
    if (!bg_error.ok()) return bg_error;
    if (closed) return Status::Aborted("storage engine " + dir + " is closed");
    bool too_many_tables = TooManyTables();
    bool mem_full = !mem->Empty() && mem->ApproximateBytes() >= options.memtable_bytes;
    if (!too_many_tables && !mem_full) return Status::OK();
    if (too_many_tables || ImmutablesFull()) {
      // A flush or compaction that cannot run for lack of space would hold the writer here
      // for as long as the disk stays full: refuse the write instead.
      if (ImmutablesFull() && !flush_space_error.ok()) return flush_space_error;
      if (too_many_tables && !compaction_space_error.ok()) return compaction_space_error;
      if (!stalled) stats.write_stalls.fetch_add(1, std::memory_order_relaxed);
      stalled = true;
      WaitAndCount();
      continue;
    }
    RINGKV_TRY(SealMemtable());  // the flush thread writes the full one out
  }
}

Status StorageEngine::Rep::SealMemtable() {
  uint64_t number = next_file_number++;
  RINGKV_ASSIGN(auto new_wal, Wal::Create(WalPath(dir, number), options, &stats));
  imms.push_back(Immutable{std::move(mem), std::move(wal), wal_number});
  ++memtables_sealed;
  mem = std::make_shared<Memtable>();
  wal = std::move(new_wal);
  wal_number = number;
  PublishImmutables();
  bg_cv.SignalAll();
  return Status::OK();
}

void StorageEngine::Rep::PublishImmutables() {
  auto list = std::make_shared<MemtableList>();
  list->reserve(imms.size());
  for (auto it = imms.rbegin(); it != imms.rend(); ++it) list->push_back(it->mem);
  imm_list = std::move(list);
}

Status StorageEngine::Rep::AppendToWal(const WriteBatch& batch, Writer* w, bool* durable_now) {
  w->batch = &batch;
  w->first = last_allocated + 1;
  w->mem = mem;
  w->wal = wal;
  wal_scratch.clear();
  PutFixed64(&wal_scratch, w->first);
  PutVarint32(&wal_scratch, static_cast<uint32_t>(batch.count_));
  wal_scratch.append(batch.rep_);
  auto ticket = wal->Append(wal_scratch, durable_now);
  if (!ticket.ok()) return OnWalFailure(w->wal, ticket.status());
  w->ticket = *ticket;
  last_allocated += batch.count_;
  writers.push_back(w);
  return Status::OK();
}

Status StorageEngine::Rep::OnWalFailure(const std::shared_ptr<Wal>& failed, const Status& s) {
  if (!s.IsIOError()) return s;  // closed under the writer: nothing failed on disk
  stats.write_errors.fetch_add(1, std::memory_order_relaxed);
  if (!failed->OutOfSpace()) {
    // An fsync (or a write) failed for a reason other than space: what the disk holds is
    // unknown, as LevelDB's RecordBackgroundError assumes. Refuse every later write, and
    // cut the log back to what was acknowledged so that a reopen does not bring back
    // writes reported as failed (best effort: the disk is failing).
    SetBackgroundError(s);
    (void)TruncateFile(failed->path(), failed->GoodBytes());
    return s;
  }
  // The disk is full; the log is intact up to its last good record. Continue it from
  // there, so that the next write tries again and succeeds once space is freed.
  wal_space_error = s;
  if (failed == wal) {
    uint64_t good = wal->GoodBytes();
    std::string unwritten = wal->UnwrittenAcknowledged();
    (void)wal->Close();  // stops its thread; the error it returns is `s`
    auto revived = Wal::Reopen(WalPath(dir, wal_number), good, std::move(unwritten), options, &stats);
    if (revived.ok()) wal = std::move(revived).value();
    // Otherwise the failed log stays; the next write fails on it and tries again.
  }
  return s;
}

bool StorageEngine::Rep::WritersUsing(const Memtable* m) const {
  return std::any_of(writers.begin(), writers.end(), [m](const Writer* w) { return w->mem.get() == m; });
}

Status StorageEngine::Rep::Publish(Writer* w, const Status& durable) {
  w->status = durable.ok() ? durable : OnWalFailure(w->wal, durable);
  w->durable = true;
  // Sequence order: a write becomes visible only once every earlier write is durable (or
  // has failed), so readers never see a later write to a key without the earlier ones.
  bool progressed = false;
  while (!writers.empty() && writers.front()->durable) {
    Writer* next = writers.front();
    writers.pop_front();
    if (next->status.ok()) {
      std::string_view entries(next->batch->rep_);
      for (SequenceNumber seq = next->first; !entries.empty(); ++seq) {
        std::string_view key, record;
        GetLengthPrefixed(&entries, &key);  // built by WriteBatch::Put: well-formed
        GetLengthPrefixed(&entries, &record);
        next->mem->Add(seq, key, record);
      }
      last_sequence = next->first + next->batch->count_ - 1;
      stats.user_bytes_written.fetch_add(next->batch->rep_.size(), std::memory_order_relaxed);
      wal_space_error = Status::OK();  // the log took a write: the disk has room again
    }
    next->published = true;
    progressed = true;
  }
  if (progressed) published_cv.SignalAll();
  while (!w->published) published_cv.Wait(&mu);
  return w->status;
}

bool StorageEngine::WriteWouldBlock() {
  Rep& r = *rep_;
  if (r.options.durability != Durability::kNone) return true;  // every write waits for its WAL record's I/O
  MutexLock lock(&r.mu);
  bool mem_full = !r.mem->Empty() && r.mem->ApproximateBytes() >= r.options.memtable_bytes;
  return (mem_full && r.ImmutablesFull()) || r.TooManyTables() || r.Paced() || r.wal->WritesWouldWait();
}

Status StorageEngine::WriteError() {
  Rep& r = *rep_;
  MutexLock lock(&r.mu);
  for (const Status* s : {&r.bg_error, &r.wal_space_error, &r.flush_space_error}) {
    if (!s->ok()) return *s;
  }
  if (r.TooManyTables() && !r.compaction_space_error.ok()) return r.compaction_space_error;
  return r.wal ? r.wal->error() : Status::OK();  // a failure of the WAL thread no write has met yet
}

Status StorageEngine::Put(std::string_view key, const Record& record) {
  WriteBatch batch(*rep_->options.clock);
  batch.Put(key, record);
  return Write(batch);
}

// Durable, then visible (LevelDB's order): the record goes to the WAL, the writer waits
// for it to be durable without the lock (one fsync covers every writer waiting: group
// commit), and only then is it inserted into the memtable, in sequence order. A write whose
// WAL write or fsync failed is never inserted and returns the error.
Status StorageEngine::Write(const WriteBatch& batch) {
  RINGKV_TRY(batch.validation_);
  if (batch.Empty()) return Status::OK();
  Rep& r = *rep_;
  if (batch.max_value_bytes_ > r.options.max_value_bytes) {
    return Status::InvalidArgument("value is " + std::to_string(batch.max_value_bytes_) + " bytes; the limit is " +
                                   std::to_string(r.options.max_value_bytes) + " bytes");
  }
  Rep::Writer w;
  MutexLock lock(&r.mu);
  r.PaceWrite(batch.rep_.size());  // level 0 near its stop: slow down now rather than stop later
  for (;;) {                       // each pass waits until the WAL drains below its limit, fails or closes
    RINGKV_TRY(r.MakeRoomForWrite());
    if (!r.wal->Backlogged()) break;
    std::shared_ptr<Wal> wal = r.wal;
    r.mu.Unlock();
    wal->WaitForRoom();  // backpressure from a slow disk, without `mu`: reads go on meanwhile
    r.mu.Lock();
  }
  bool durable_now = false;
  RINGKV_TRY(r.AppendToWal(batch, &w, &durable_now));
  Status durable;
  if (!durable_now) {
    // `w` is queued in `writers`; only this thread reads w.wal and w.ticket until it is published.
    r.mu.Unlock();
    durable = w.wal->WaitDurable(w.ticket);
    r.mu.Lock();
  }
  return r.Publish(&w, durable);
}

// ---- read path ----

std::shared_ptr<const Snapshot> StorageEngine::GetSnapshot() {
  MutexLock lock(&rep_->mu);
  return std::make_shared<Snapshot>(rep_->mem, rep_->imm_list, rep_->version, rep_->last_sequence);
}

Result<Record> StorageEngine::Get(std::string_view key, ReadMode mode) {
  RINGKV_TRY(ValidateKey(key));
  // A snapshot without the heap: copies of the three pointers, taken under the lock.
  std::shared_ptr<Memtable> mem;
  std::shared_ptr<const MemtableList> imms;
  std::shared_ptr<const Version> version;
  SequenceNumber seq;
  {
    MutexLock lock(&rep_->mu);
    mem = rep_->mem;
    imms = rep_->imm_list;
    version = rep_->version;
    seq = rep_->last_sequence;
  }

  // Memtables hold disjoint sequence ranges, newest first: the first one that has the key
  // has its newest version.
  std::string encoded;
  SequenceNumber found_seq = 0;
  bool found = false;
  auto search = [&](const Memtable& m) {
    if (auto e = m.Get(key, seq)) {
      encoded = std::move(e->value);
      found_seq = e->seq;
      found = true;
    }
  };
  search(*mem);
  for (size_t i = 0; !found && i < imms->size(); ++i) search(*(*imms)[i]);
  // Level 0 is newest first by max sequence; its tables' sequence ranges may overlap after
  // a size-tiered merge, so keep looking while a table could hold something newer.
  for (const auto& t : version->levels[0]) {
    const TableProperties& p = t->properties();
    if (found && p.max_seq < found_seq) break;
    if (key < ExtractUserKey(p.smallest_key) || key > ExtractUserKey(p.largest_key)) continue;
    RINGKV_ASSIGN(auto entry, t->Get(key, seq, mode == ReadMode::kNoBlock));
    if (entry && (!found || entry->seq > found_seq)) {
      encoded = std::move(entry->value);
      found_seq = entry->seq;
      found = true;
    }
  }
  // Levels >= 1 (leveled compaction): at most one table per level may hold the key, and a
  // version found in a level is newer than any below it.
  for (size_t level = 1; !found && level < version->levels.size(); ++level) {
    const auto& tables = version->levels[level];
    auto it = std::lower_bound(tables.begin(), tables.end(), key, [](const auto& t, std::string_view k) {
      return ExtractUserKey(t->properties().largest_key) < k;
    });
    if (it == tables.end() || key < ExtractUserKey((*it)->properties().smallest_key)) continue;
    RINGKV_ASSIGN(auto entry, (*it)->Get(key, seq, mode == ReadMode::kNoBlock));
    if (entry) {
      encoded = std::move(entry->value);
      found_seq = entry->seq;
      found = true;
    }
  }
  if (!found) return Status::NotFound("key not found");
  Record record;
  std::optional<BlobRef> blob;
  RINGKV_TRY(DecodeRecord(encoded, &record, &blob));
  if (blob) {
    if (mode == ReadMode::kNoBlock) return Status::Busy("the value is in a blob file: reading it needs the disk");
    RINGKV_TRY(version->ReadBlob(*blob, &record.value));
    rep_->stats.blob_reads.fetch_add(1, std::memory_order_relaxed);
  }
  return record;
}

std::unique_ptr<RecordIterator> StorageEngine::NewIterator(const RangeOptions& options) {
  auto snap = options.snapshot ? options.snapshot : GetSnapshot();
  return NewSnapshotIterator(std::move(snap), options.start, options.end);
}

// ---- control ----

Status StorageEngine::Flush() {
  Rep& r = *rep_;
  MutexLock lock(&r.mu);
  // Room in the queue, unless its flushes fail for lack of space (then say so).
  while (!r.mem->Empty() && r.ImmutablesFull() && r.bg_error.ok() && r.flush_space_error.ok()) r.done_cv.Wait(&r.mu);
  if (!r.bg_error.ok()) return r.bg_error;
  if (!r.imms.empty() && !r.flush_space_error.ok()) return r.flush_space_error;
  if (!r.mem->Empty()) RINGKV_TRY(r.SealMemtable());
  uint64_t target = r.memtables_sealed;  // this memtable and every one queued before it
  while (r.memtables_flushed < target && r.bg_error.ok() && r.flush_space_error.ok()) r.done_cv.Wait(&r.mu);
  if (!r.bg_error.ok()) return r.bg_error;
  return r.memtables_flushed >= target ? Status::OK() : r.flush_space_error;
}

Status StorageEngine::CompactAll() {
  RINGKV_TRY(Flush());
  Rep& r = *rep_;
  MutexLock lock(&r.mu);
  uint64_t ticket = ++r.manual_requested;
  r.bg_cv.SignalAll();
  while (r.manual_done < ticket && r.bg_error.ok() && !r.closing) r.done_cv.Wait(&r.mu);
  return r.bg_error.ok() ? r.compaction_space_error : r.bg_error;
}

Status StorageEngine::WaitForCompactions() {
  Rep& r = *rep_;
  MutexLock lock(&r.mu);
  for (;;) {
    if (!r.bg_error.ok() || r.closing) return r.bg_error;
    RINGKV_TRY(r.flush_space_error);  // it would not catch up while the disk is full
    RINGKV_TRY(r.compaction_space_error);
    bool busy = !r.imms.empty() || r.compaction_running;
    if (!busy && r.PickCompaction(false).inputs.empty()) return Status::OK();
    r.bg_cv.SignalAll();
    r.done_cv.WaitFor(&r.mu, std::chrono::milliseconds(20));
  }
}

Status StorageEngine::Close() {
  if (!rep_) return Status::OK();
  Rep& r = *rep_;
  bool opened = false;
  {
    MutexLock lock(&r.mu);
    if (r.closed || r.closing) return Status::OK();
    opened = r.mem != nullptr;  // no memtable: Open failed part-way
  }
  Status s = opened ? Flush() : Status::OK();
  {
    MutexLock lock(&r.mu);
    r.closing = true;
    r.bg_cv.SignalAll();
  }
  if (r.flush_thread.joinable()) r.flush_thread.join();
  if (r.compaction_thread.joinable()) r.compaction_thread.join();
  std::shared_ptr<Wal> wal;
  {
    MutexLock lock(&r.mu);
    wal = r.wal;
  }
  Status wal_status = wal ? wal->Close() : Status::OK();  // without `mu`: it waits for the last fsync
  if (s.ok()) s = wal_status;
  {
    MutexLock lock(&r.mu);
    r.closed = true;
  }
  if (r.lock_fd >= 0) {
    ::close(r.lock_fd);  // releases the flock
    r.lock_fd = -1;
  }
  return s;
}

EngineInfo StorageEngine::Info() {
  Rep& r = *rep_;
  MutexLock lock(&r.mu);
  EngineInfo info;
  info.memtable_bytes = r.mem->ApproximateBytes();
  for (const auto& imm : r.imms) info.immutable_memtable_bytes += imm.mem->ApproximateBytes();
  info.immutable_memtables = r.imms.size();
  info.num_tables = r.version->tables.size();
  for (const auto& level : r.version->levels) info.tables_per_level.push_back(level.size());
  info.compaction_debt_bytes = r.CompactionDebtBytes();
  info.table_bytes = r.version->TotalBytes();
  info.num_blob_files = r.version->blobs.size();
  info.blob_bytes = r.version->BlobBytes();
  for (const auto& [number, meta] : r.blob_meta) info.blob_garbage_bytes += meta.garbage_bytes;
  info.last_sequence = r.last_sequence;
  for (const auto& [number, count] : r.awaiting_proof) info.tombstones_awaiting_proof += count;
  auto size = FileSize(WalPath(r.dir, r.wal_number));
  info.wal_bytes = size.ok() ? *size : 0;
  return info;
}

std::vector<TableInfo> StorageEngine::Layout() {
  std::shared_ptr<const Version> version;
  {
    MutexLock lock(&rep_->mu);
    version = rep_->version;
  }
  std::vector<TableInfo> out;
  for (size_t level = 0; level < version->levels.size(); ++level) {
    for (const auto& t : version->levels[level]) {
      const TableProperties& p = t->properties();
      out.push_back(TableInfo{t->file_number(), static_cast<int>(level), std::string(ExtractUserKey(p.smallest_key)),
                              std::string(ExtractUserKey(p.largest_key)), t->file_size(), p.min_seq, p.max_seq});
    }
  }
  return out;
}

SequenceNumber StorageEngine::LastSequence() {
  MutexLock lock(&rep_->mu);
  return rep_->last_sequence;
}

}  // namespace ringkv::storage
