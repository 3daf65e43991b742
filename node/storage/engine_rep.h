#pragma once
// StorageEngine's internal state, shared by engine.cc (open, read and write paths) and
// engine_background.cc (flush, compaction, version installs). Not a public header.

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "common/mutex.h"
#include "node/storage/block_cache.h"
#include "node/storage/compaction.h"
#include "node/storage/engine.h"
#include "node/storage/manifest.h"
#include "node/storage/memtable.h"
#include "node/storage/version.h"
#include "node/storage/wal.h"

namespace ringkv::storage {

// One change to the live files, installed atomically (a new Version and MANIFEST).
struct VersionEdit {
  std::vector<std::shared_ptr<SSTable>> added;  // into added_level
  std::vector<std::shared_ptr<SSTable>> removed;
  int added_level = 0;                   // a table both removed and added only moves there (kept, not deleted)
  std::shared_ptr<BlobFile> added_blob;  // null: none
  BlobFileMeta added_blob_meta;
  std::map<uint64_t, uint64_t> blob_garbage;  // value bytes newly unreferenced, per blob file
  uint64_t new_log_number = 0;
};

struct StorageEngine::Rep {
  Rep(std::string d, const StorageOptions& o) : dir(std::move(d)), options(o), cache(o.block_cache_bytes) {}

  // A write between its WAL append and its publication (engine.cc, Write): it lives on the
  // writing thread's stack and waits in `writers` until it and every earlier write are
  // durable, then is inserted into `mem` (or dropped, if it failed) in sequence order.
  // Its fields are Rep::mu's once it is in `writers` (the analysis cannot name an outer
  // object's mutex here: Publish, which REQUIRES mu, is where they change).
  struct Writer {
    const WriteBatch* batch = nullptr;
    SequenceNumber first = 0;
    std::shared_ptr<Memtable> mem;  // the memtable whose WAL is `wal`
    std::shared_ptr<Wal> wal;
    uint64_t ticket = 0;
    Status status;           // what WaitDurable said
    bool durable = false;    // WaitDurable returned
    bool published = false;  // inserted into `mem`, or dropped after a failure
  };

  const std::string dir;
  const StorageOptions options;
  StorageStats stats;
  BlockCache cache;
  int lock_fd = -1;

  // Lock order: install_mu, then mu, then a Wal's own mutex (Append, Close and its queries
  // are called under mu; a Wal never calls back into the engine).
  Mutex mu;         // guards everything GUARDED_BY(mu) below
  CondVar bg_cv;    // work for the background threads
  CondVar done_cv;  // background progress: stalled writers, Flush(), CompactAll()
  // A full memtable waiting for its flush, with the WAL that holds its writes.
  struct Immutable {
    std::shared_ptr<Memtable> mem;
    std::shared_ptr<Wal> wal;  // closed by the flush thread; null for the writes replayed at open
    uint64_t wal_number = 0;   // of `wal`: the manifest's log number stays at or below it until `mem` is a table
  };

  std::shared_ptr<Memtable> mem GUARDED_BY(mu);
  std::shared_ptr<Wal> wal GUARDED_BY(mu);  // receives writes to `mem`
  uint64_t wal_number GUARDED_BY(mu) = 0;
  // The full memtables, oldest first, at most options.max_immutable_memtables: the flush
  // thread writes out the front one, so tables are made (and WALs retired) in write order.
  std::deque<Immutable> imms GUARDED_BY(mu);
  // The same memtables for readers, newest first: rebuilt by PublishImmutables whenever
  // `imms` changes, so Get copies one pointer.
  std::shared_ptr<const MemtableList> imm_list GUARDED_BY(mu) = std::make_shared<MemtableList>();
  uint64_t memtables_sealed GUARDED_BY(mu) = 0;   // memtables ever queued in `imms`
  uint64_t memtables_flushed GUARDED_BY(mu) = 0;  // of which written out (Flush waits on these)
  std::shared_ptr<const Version> version GUARDED_BY(mu);
  std::map<uint64_t, BlobFileMeta> blob_meta GUARDED_BY(mu);  // every blob file of `version`, as in the manifest
  uint64_t next_file_number GUARDED_BY(mu) = 1;
  uint64_t log_number GUARDED_BY(mu) = 0;  // as in the manifest
  SequenceNumber last_sequence GUARDED_BY(mu) = 0;
  std::set<uint64_t> compacting GUARDED_BY(mu);              // tables being merged
  std::map<int, std::string> compact_cursor GUARDED_BY(mu);  // leveled: per level, where the last pick ended
  std::set<uint64_t> tombstone_checked GUARDED_BY(mu);       // tables a tombstone-only compaction already tried
  uint64_t checked_epoch GUARDED_BY(mu) = 0;                 // the decider's Epoch() when they were tried
  // Per live table written by a compaction: tombstones it kept past their grace for lack
  // of proof (EngineInfo::tombstones_awaiting_proof sums them).
  std::map<uint64_t, uint64_t> awaiting_proof GUARDED_BY(mu);
  uint64_t manual_requested GUARDED_BY(mu) = 0;
  uint64_t manual_done GUARDED_BY(mu) = 0;
  bool closing GUARDED_BY(mu) = false;
  bool closed GUARDED_BY(mu) = false;
  bool compaction_running GUARDED_BY(mu) = false;
  // Sticky: a failed fsync, a write that failed for another reason than a full disk, or a
  // failed flush/compaction. Every later write returns it, until the engine is reopened.
  Status bg_error GUARDED_BY(mu);
  // Transient (a full disk, nothing written): the last WAL write, flush or compaction
  // found no space. Cleared by the next one that succeeds (storage.md).
  Status wal_space_error GUARDED_BY(mu);
  Status flush_space_error GUARDED_BY(mu);
  Status compaction_space_error GUARDED_BY(mu);
  std::string wal_scratch GUARDED_BY(mu);            // reused WAL payload buffer
  std::deque<Writer*> writers GUARDED_BY(mu);        // appended to a WAL, not yet published; in sequence order
  CondVar published_cv;                              // a writer was published
  SequenceNumber last_allocated GUARDED_BY(mu) = 0;  // the last sequence given to a write; >= last_sequence

  Mutex install_mu;  // serialises version installs across manifest I/O
  // Started at the end of Open, joined by Close (the thread that calls it; not under mu).
  std::thread flush_thread;
  std::thread compaction_thread;

  // ---- open (engine.cc) ----
  // Replays `wals` into a table and starts a fresh WAL.
  Status Recover(const std::vector<uint64_t>& wals) EXCLUDES(mu);

  // ---- write path (engine.cc); the helpers that wait release `mu` meanwhile ----
  // Waits while the engine cannot take a write; refuses it when it never could.
  Status MakeRoomForWrite() REQUIRES(mu);
  // Writes wait while true: too many level-0 tables (leveled) or tables (size-tiered).
  bool TooManyTables() const REQUIRES(mu) {
    if (options.compaction_style == CompactionStyle::kLeveled)
      return static_cast<int>(version->levels[0].size()) >= Level0StallTables();
    return static_cast<int>(version->tables.size()) >= options.stall_table_count;
  }
  // Writes are paced (PaceWrite) while true: 4/5 of the way to TooManyTables.
  bool NearTooManyTables() const REQUIRES(mu) {
    if (options.compaction_style == CompactionStyle::kLeveled)
      return static_cast<int>(version->levels[0].size()) >= std::max(1, Level0StallTables() * 4 / 5);
    return static_cast<int>(version->tables.size()) >= std::max(1, options.stall_table_count * 4 / 5);
  }
  bool Paced() const REQUIRES(mu) { return options.slowdown_write_bytes_per_s > 0 && NearTooManyTables(); }
  // While Paced(): holds a write of `bytes` until the writes paced so far fit the rate.
  // Waits without `mu`.
  void PaceWrite(size_t bytes) REQUIRES(mu);
  // Leveled: writes wait while level 0 holds this many tables (5 merges' worth, 20 by
  // default; RocksDB stops writes at 36, LevelDB at 12), so that they cannot outrun
  // compaction for long; never more than stall_table_count.
  int Level0StallTables() const {
    return std::min(options.stall_table_count, 5 * std::max(1, options.level0_compaction_trigger));
  }
  uint64_t CompactionDebtBytes() const REQUIRES(mu) {
    return options.compaction_style == CompactionStyle::kLeveled ? LeveledDebtBytes(*version, options)
                                                                 : SizeTieredDebtBytes(*version, options);
  }
  bool ImmutablesFull() const REQUIRES(mu) { return static_cast<int>(imms.size()) >= options.max_immutable_memtables; }
  // Queues `mem` for its flush and starts a fresh memtable and WAL.
  // REQUIRES: !ImmutablesFull().
  Status SealMemtable() REQUIRES(mu);
  // Rebuilds `imm_list` from `imms`.
  void PublishImmutables() REQUIRES(mu);
  void WaitAndCount() REQUIRES(mu);
  // PaceWrite: the time the writes paced so far have earned up to at the slowdown rate.
  std::chrono::steady_clock::time_point paced_until GUARDED_BY(mu);
  // Gives `w` its sequence numbers, appends it to the WAL and queues it in `writers`;
  // *durable_now as for Wal::Append.
  Status AppendToWal(const WriteBatch& batch, Writer* w, bool* durable_now) REQUIRES(mu);
  // Records how `w`'s WaitDurable ended, publishes every durable write at the head of
  // `writers` in order, and waits until `w` itself is published. Returns `w`'s outcome.
  Status Publish(Writer* w, const Status& durable) REQUIRES(mu);
  // A WAL append or WaitDurable failed: a full disk is transient (the log continues after
  // its last acknowledged record); anything else is sticky. Returns `s`.
  Status OnWalFailure(const std::shared_ptr<Wal>& failed, const Status& s) REQUIRES(mu);
  bool WritersUsing(const Memtable* m) const REQUIRES(mu);

  // ---- background work (engine_background.cc) ----
  void FlushLoop() EXCLUDES(mu);
  void CompactionLoop() EXCLUDES(mu);
  // Writes the oldest immutable memtable out as a table, installs it and retires its WAL;
  // releases `mu` around the I/O. REQUIRES: !imms.empty().
  Status FlushImmutable() REQUIRES(mu);
  // The tables the next compaction merges (when `manual`, all not being merged already);
  // empty when none is due.
  CompactionPick PickCompaction(bool manual) REQUIRES(mu);
  // Applies `edit` to the live version and records it in the manifest; blob files no table
  // refers to any more leave both (deleted once no reader holds them).
  Status InstallVersion(const VersionEdit& edit) EXCLUDES(mu, install_mu);
  void SetBackgroundError(const Status& s) REQUIRES(mu);
  void DeleteObsoleteWals(uint64_t below_number);

 private:
  // Merges the pick's inputs into tables of its output level and installs them (or only
  // moves a trivial move's table); releases `mu` around the I/O.
  Status RunCompaction(CompactionPick pick) REQUIRES(mu);
  // Moves `table` down a level: a manifest edit, no merge.
  Status MoveTable(const std::shared_ptr<SSTable>& table, int level) REQUIRES(mu);
  // Uses the leveled or the size-tiered picker, as options say.
  CompactionPick PickRegularCompaction() REQUIRES(mu);
  // The tombstone, expiry and blob-GC picks rewrite tables within their own level (leveled:
  // one table at a time).
  CompactionPick RewriteInPlace(std::vector<std::shared_ptr<SSTable>> tables) REQUIRES(mu);
  std::vector<std::shared_ptr<SSTable>> PickTombstoneCompaction() REQUIRES(mu);
  // A table whose expiring records have all expired, if they are a fifth of it or more:
  // compacting it alone drops their values (compaction.h, MergePolicy::expire_values).
  std::vector<std::shared_ptr<SSTable>> PickExpiredCompaction() REQUIRES(mu);
  // The shortest grace a tombstone gets (the decider's, else tombstone_grace), in ms.
  uint64_t GraceMs() const;
  // The tables that refer to a blob file whose garbage reached blob_gc_garbage_ratio.
  std::vector<std::shared_ptr<SSTable>> PickBlobGcCompaction() REQUIRES(mu);
  // Blob files whose references a compaction relocates (garbage ratio reached).
  std::set<uint64_t> BlobFilesToRelocate() const REQUIRES(mu);
};

}  // namespace ringkv::storage
