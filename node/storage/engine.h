#pragma once
// StorageEngine: a node's local, durable, versioned key -> Record map (an LSM tree).
//
//   Write -> WAL (group commit) -> memtable --flush--> SSTable (L0) --leveled compaction--> SSTables (L1..)
//                                                  \--> blob file (values >= blob_threshold_bytes)
//   Get   -> memtable -> immutable memtables (newest first) -> L0 tables newest first -> one table per
//            level below (bloom filter first)
//            -> the blob file, when the record refers to one
//
// Guarantees:
//  - A write is durable when Put/Write returns, to the degree `options.durability` promises;
//    after a crash, reopening recovers every such write and nothing that was never written.
//  - The set of live files is recorded in a MANIFEST replaced atomically (tmp + fsync +
//    rename), so a crash at any point recovers to a consistent state.
//  - Keys over 1 KB, values over `max_value_bytes` (default 1 MB) and empty keys are
//    refused with InvalidArgument and nothing is written.
//  - A tombstone is dropped by compaction only when `purge_decider` says every replica
//    holds it and its grace has passed (without a decider: once older than
//    `tombstone_grace`), and no older table outside the compaction could still hold the key.
//  - Durable, then visible: a write is inserted into the memtable (and readable) only after
//    its WAL record is as durable as `options.durability` promises, in sequence order.
//  - A failed fsync, or a write that failed for any reason but a full disk, makes every
//    later write fail with that error (sticky until reopened); reads keep working. A write
//    refused because the disk is full failed cleanly (nothing of it is kept): the next
//    write tries again and succeeds once space is freed. WriteError() says which applies.
//  - Values of at least `blob_threshold_bytes` leave the memtable for a blob file at flush
//    (they are in the WAL until then); tables hold a reference. A blob file is deleted once
//    no live table and no snapshot or iterator refers to it; one mostly garbage has its
//    live values rewritten by compaction. A damaged blob file reads as Corruption naming it.
//  - Flush, compaction and fsync run on background threads; a write waits only when the
//    memtable is full while `max_immutable_memtables` earlier ones still wait for their
//    flush, when tables pile up (level 0 at 5 x `level0_compaction_trigger`; size-tiered:
//    `stall_table_count` tables; both counted as write stalls), or
//    when more than 8 MB of WAL wait for a slow disk. From 4/5 of that table count writes
//    are paced to `slowdown_write_bytes_per_s` (counted as write slowdowns). None of these waits holds the lock
//    that reads take. Full memtables are flushed one at a time, oldest first, and a WAL is
//    deleted only once every write it holds is in a table.
// Thread-safe: any number of readers and writers.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/config.h"
#include "node/storage/record.h"
#include "node/storage/stats.h"
#include "ringkv/status.h"

namespace ringkv::storage {

// Several writes applied atomically (one WAL record, consecutive sequence numbers).
class WriteBatch {
 public:
  // `clock` stamps tombstones put without a timestamp (StorageEngine::Put passes the
  // engine's options.clock); it must outlive the batch.
  explicit WriteBatch(const Clock& clock = Clock::System()) : clock_(&clock) {}
  void Put(std::string_view key, const Record& record);
  size_t Count() const { return count_; }
  bool Empty() const { return count_ == 0; }
  void Clear();
  // [count varint][key length-prefixed][record length-prefixed]...
  const std::string& Contents() const { return rep_; }
  size_t ApproximateBytes() const { return rep_.size(); }

 private:
  friend class StorageEngine;
  Status ValidateRecord(std::string_view key, const Record& record);
  const Clock* clock_;
  std::string rep_;
  size_t count_ = 0;
  size_t max_value_bytes_ = 0;  // largest value in the batch (checked against the engine's limit)
  Status validation_;           // first invalid key/value met by Put; Write refuses the batch
};

class Snapshot;  // a consistent point-in-time view; see StorageEngine::GetSnapshot

// Iterates user keys in order with the newest version of each visible at its snapshot,
// tombstones included (repair and streaming need them; callers skip them if they want).
class RecordIterator {
 public:
  virtual ~RecordIterator() = default;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  virtual std::string_view key() const = 0;
  virtual const Record& record() const = 0;
  virtual Status status() const = 0;
};

struct RangeOptions {
  std::string start;                         // inclusive; empty = from the first key
  std::string end;                           // exclusive; empty = to the last key
  std::shared_ptr<const Snapshot> snapshot;  // null = a snapshot taken now
};

// kNoBlock reads answer from memory only (memtables, cached blocks, bloom filters) and
// return Busy when a block or a blob would have to be read from disk: for callers on an
// event loop.
enum class ReadMode { kMayBlock, kNoBlock };

struct EngineInfo {
  uint64_t memtable_bytes = 0;
  uint64_t immutable_memtable_bytes = 0;  // of the full memtables waiting for their flush
  uint64_t immutable_memtables = 0;       // how many there are (at most max_immutable_memtables)
  uint64_t num_tables = 0;
  std::vector<uint64_t> tables_per_level;  // level 0 first (size-tiered: all in level 0)
  uint64_t table_bytes = 0;
  // Bytes compaction still has to merge to bring the tables to their settled shape (leveled:
  // level 0 at its trigger and every level within its target; size-tiered: no bucket due),
  // as RocksDB's estimate-pending-compaction-bytes.
  uint64_t compaction_debt_bytes = 0;
  uint64_t num_blob_files = 0;
  uint64_t blob_bytes = 0;          // blob files' sizes
  uint64_t blob_garbage_bytes = 0;  // of which no table refers to any more
  uint64_t wal_bytes = 0;
  uint64_t last_sequence = 0;
  // Tombstones past their grace that the compactions which wrote the live tables had to
  // keep because the purge decider lacked proof (PurgeVerdict::kAwaitingProof).
  uint64_t tombstones_awaiting_proof = 0;
};

// One live table, as EngineLayout lists it.
struct TableInfo {
  uint64_t number = 0;
  int level = 0;
  std::string smallest;  // user keys
  std::string largest;
  uint64_t bytes = 0;
  SequenceNumber min_seq = 0;
  SequenceNumber max_seq = 0;
};

// What StorageEngine::Checkpoint linked.
struct CheckpointInfo {
  uint64_t tables = 0;
  uint64_t blob_files = 0;
  uint64_t bytes = 0;  // of the tables and blob files
  SequenceNumber last_sequence = 0;
};

class StorageEngine {
 public:
  static Result<std::unique_ptr<StorageEngine>> Open(const std::string& dir, const StorageOptions& options);
  ~StorageEngine();  // Close()s
  StorageEngine(const StorageEngine&) = delete;
  StorageEngine& operator=(const StorageEngine&) = delete;

  Status Put(std::string_view key, const Record& record);
  // True when a write now would wait: for its WAL record's write (batch) or fsync
  // (always), for the WAL's backlog, for a flush/compaction to catch up, or for its turn
  // while writes are paced (level 0 nearing the stop). Only durability
  // none writes without waiting. Callers on an event loop send such writes elsewhere.
  bool WriteWouldBlock();
  Status Write(const WriteBatch& batch);
  // Why writes fail now, or OK: the sticky error after a failed fsync or write, or the
  // disk being full (until a write, flush or compaction finds room again).
  Status WriteError();
  // The newest record for `key` (a tombstone comes back with tombstone = true), or NotFound.
  Result<Record> Get(std::string_view key, ReadMode mode = ReadMode::kMayBlock);

  std::shared_ptr<const Snapshot> GetSnapshot();
  std::unique_ptr<RecordIterator> NewIterator(const RangeOptions& options);

  // Flushes the memtable to an SSTable and waits for it.
  Status Flush();
  // Writes a consistent copy of the engine into the directory `dir` (created; it must not
  // exist): flushes the memtable, then hard-links every table and blob file of the live
  // version at that moment and writes a MANIFEST naming them (atomically, fsynced), and
  // syncs `dir`. Opening `dir` as an engine finds every write acknowledged before the call
  // (and maybe some made during it), nothing else. Writes go on meanwhile: they wait only
  // as for any flush, never for the links. Hard links need `dir` on the engine's
  // filesystem (else IOError). On an error `dir` may hold part of the copy: the caller
  // removes it. Blocks on disk: never call it on an event loop.
  Result<CheckpointInfo> Checkpoint(const std::string& dir);
  // Merges every table into one (major compaction) and waits for it.
  Status CompactAll();
  // Waits until no flush or compaction is running or due (benchmarks and tests).
  Status WaitForCompactions();
  // Flushes, waits for background work, closes the WAL. Idempotent.
  Status Close();

  const StorageStats& stats() const;
  EngineInfo Info();
  // Every live table with its level, level by level (level 0 newest first, the others in
  // key order): for tests and tools.
  std::vector<TableInfo> Layout();
  // The sequence number of the last write made visible: every entry at or below it is
  // readable now (repair sessions take it as their start).
  SequenceNumber LastSequence();
  const std::string& dir() const;

 private:
  StorageEngine();
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace ringkv::storage
