#pragma once
// StorageEngine's internal state, shared by engine.cc (open, read and write paths) and
// engine_background.cc (flush, compaction, version installs). Not a public header.

#include <condition_variable>
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

  const std::string dir;
  const StorageOptions options;
  StorageStats stats;
  BlockCache cache;
  int lock_fd = -1;

  std::mutex mu;                    // guards everything below
  std::condition_variable bg_cv;    // work for the background threads
  std::condition_variable done_cv;  // background progress: stalled writers, Flush(), CompactAll()
  std::shared_ptr<Memtable> mem;
  std::shared_ptr<Memtable> imm;    // being flushed; null when none
  std::shared_ptr<Wal> wal;         // receives writes to `mem`
  std::shared_ptr<Wal> imm_wal;     // holds the writes of `imm`; closed by the flush thread
  uint64_t wal_number = 0;
  std::shared_ptr<const Version> version;
  uint64_t next_file_number = 1;
  uint64_t log_number = 0;          // as in the manifest
  SequenceNumber last_sequence = 0;
  std::set<uint64_t> compacting;    // tables being merged
  std::set<uint64_t> tombstone_checked;  // tables a tombstone-only compaction already tried
  uint64_t manual_requested = 0;
  uint64_t manual_done = 0;
  bool closing = false;
  bool closed = false;
  bool compaction_running = false;
  Status bg_error;                  // sticky: a failed flush/compaction stops writes
  std::string wal_scratch;          // reused WAL payload buffer (guarded by mu)

  std::mutex install_mu;            // serialises version installs across manifest I/O
  std::thread flush_thread;
  std::thread compaction_thread;

  uint64_t NowMs() const;
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
  // Write path helper: waits while the engine cannot take a write (engine.cc).
  Status MakeRoomForWrite(std::unique_lock<std::mutex>& lock);
  void WaitAndCount(std::unique_lock<std::mutex>& lock);

 private:
  Status RunCompaction(std::unique_lock<std::mutex>& lock, std::vector<std::shared_ptr<SSTable>> inputs);

 public:
  std::vector<std::shared_ptr<SSTable>> PickCompaction(bool manual);

 private:
  std::vector<std::shared_ptr<SSTable>> PickTombstoneCompaction();
};

}  // namespace ringkv::storage
