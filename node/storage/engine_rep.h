#pragma once
// StorageEngine's internal state, shared by engine.cc (open, read and write paths) and
// engine_background.cc (flush, compaction, version installs). Not a public header.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "node/storage/block_cache.h"
#include "node/storage/engine.h"
#include "node/storage/manifest.h"
#include "node/storage/memtable.h"
#include "node/storage/version.h"
#include "node/storage/wal.h"

namespace ringkv::storage {

struct StorageEngine::Rep {
  Rep(std::string d, const StorageOptions& o) : dir(std::move(d)), options(o), cache(o.block_cache_bytes) {}

  // A write between its WAL append and its publication (engine.cc, Write): it lives on the
  // writing thread's stack and waits in `writers` until it and every earlier write are
  // durable, then is inserted into `mem` (or dropped, if it failed) in sequence order.
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

  std::mutex mu;                    // guards everything below
  std::condition_variable bg_cv;    // work for the background threads
  std::condition_variable done_cv;  // background progress: stalled writers, Flush(), CompactAll()
  std::shared_ptr<Memtable> mem;
  std::shared_ptr<Memtable> imm;  // being flushed; null when none
  std::shared_ptr<Wal> wal;       // receives writes to `mem`
  std::shared_ptr<Wal> imm_wal;   // holds the writes of `imm`; closed by the flush thread
  uint64_t wal_number = 0;
  std::shared_ptr<const Version> version;
  uint64_t next_file_number = 1;
  uint64_t log_number = 0;  // as in the manifest
  SequenceNumber last_sequence = 0;
  std::set<uint64_t> compacting;         // tables being merged
  std::set<uint64_t> tombstone_checked;  // tables a tombstone-only compaction already tried
  uint64_t manual_requested = 0;
  uint64_t manual_done = 0;
  bool closing = false;
  bool closed = false;
  bool compaction_running = false;
  // Sticky: a failed fsync, a write that failed for another reason than a full disk, or a
  // failed flush/compaction. Every later write returns it, until the engine is reopened.
  Status bg_error;
  // Transient (a full disk, nothing written): the last WAL write, flush or compaction
  // found no space. Cleared by the next one that succeeds (storage.md).
  Status wal_space_error;
  Status flush_space_error;
  Status compaction_space_error;
  std::string wal_scratch;               // reused WAL payload buffer (guarded by mu)
  std::deque<Writer*> writers;           // appended to a WAL, not yet published; in sequence order
  std::condition_variable published_cv;  // a writer was published
  SequenceNumber last_allocated = 0;     // the last sequence given to a write; >= last_sequence

  std::mutex install_mu;  // serialises version installs across manifest I/O
  std::thread flush_thread;
  std::thread compaction_thread;

  // Background loops (engine_background.cc).
  void FlushLoop();
  void CompactionLoop();
  // Replaces `removed` by `added` in the live version and records it in the manifest.
  // Called without `mu` held.
  Status InstallVersion(const std::vector<std::shared_ptr<SSTable>>& added,
                        const std::vector<std::shared_ptr<SSTable>>& removed, uint64_t new_log_number);
  void SetBackgroundError(const Status& s);
  void DeleteObsoleteWals(uint64_t below_number);
  // Replays `wals` into a table and starts a fresh WAL (engine.cc).
  Status Recover(const std::vector<uint64_t>& wals);
  // Writes `imm` out as a table and installs it; `lock` holds `mu` on entry and exit.
  Status FlushImmutable(std::unique_lock<std::mutex>& lock);
  // Write path helpers (engine.cc). REQUIRES: `mu` held.
  // Waits while the engine cannot take a write; refuses it when it never could.
  Status MakeRoomForWrite(std::unique_lock<std::mutex>& lock);
  void WaitAndCount(std::unique_lock<std::mutex>& lock);
  // Gives `w` its sequence numbers, appends it to the WAL and queues it in `writers`;
  // *durable_now as for Wal::Append.
  Status AppendToWal(const WriteBatch& batch, Writer* w, bool* durable_now);
  // Records how `w`'s WaitDurable ended, publishes every durable write at the head of
  // `writers` in order, and waits until `w` itself is published. Returns `w`'s outcome.
  Status Publish(std::unique_lock<std::mutex>& lock, Writer* w, const Status& durable);
  // A WAL append or WaitDurable failed: a full disk is transient (the log continues after
  // its last acknowledged record); anything else is sticky. Returns `s`.
  Status OnWalFailure(const std::shared_ptr<Wal>& failed, const Status& s);
  bool WritersUsing(const Memtable* m) const;

 private:
  Status RunCompaction(std::unique_lock<std::mutex>& lock, std::vector<std::shared_ptr<SSTable>> inputs);

 public:
  std::vector<std::shared_ptr<SSTable>> PickCompaction(bool manual);

 private:
  std::vector<std::shared_ptr<SSTable>> PickTombstoneCompaction();
};

}  // namespace ringkv::storage
