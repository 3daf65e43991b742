#pragma once
// Write-ahead log: the durable record of every write not yet in an SSTable.
//
// Format (as LevelDB's log): the file is a sequence of 32 KB blocks; a payload is split
// into fragments (FULL / FIRST / MIDDLE / LAST), each with a 7-byte header
// [masked checksum32 of type+data : 4][length : 2][type : 1]. A fragment header never
// straddles a block; a block tail shorter than a header is zero-filled.
//
// Group commit: Append() copies the payload into a buffer under a short lock and returns a
// ticket. WaitDurable(ticket) returns once the payload is as durable as the mode promises:
//   kNone:   buffered in the process (at once); the WAL thread writes it within the sync
//            interval and never syncs it.
//   kBatch:  written to the OS, so a killed process loses nothing acknowledged. The waiting
//            writer writes the buffer itself when no other thread is writing (one write(2)
//            for every payload buffered: group write); a sync thread fdatasyncs what is
//            written every wal_sync_interval, apart from the writes, so a slow fsync holds
//            no writer (a power loss loses at most that much).
//   kAlways: on stable storage: the WAL thread writes and fdatasyncs, one fdatasync for
//            every writer waiting on it.
// Append never waits: a writer calls WaitForRoom first (without its own locks held) when
// more than 8 MB are buffered behind a slow disk.
//
// Failures: the first failed write or fsync fails every payload not yet durable and every
// later call (sticky). When a write(2) failed because the disk is full, OutOfSpace() is
// true and the file is intact up to GoodBytes() (the payloads acknowledged before it: synced
// ones under kAlways, written ones otherwise): Reopen() continues the same log from there,
// cutting off the rest (the owner decides; storage.md, "I/O errors and a full disk").
//
// Replay: every valid payload in order. A torn tail (a damaged or incomplete record with no
// valid record after it) is truncated away. Damage followed by valid records is mid-log
// corruption: replay fails naming the file and offset, unless `salvage` skips it.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "common/config.h"
#include "common/mutex.h"
#include "node/storage/file.h"
#include "node/storage/stats.h"
#include "ringkv/status.h"

namespace ringkv::storage {

inline constexpr size_t kWalBlockSize = 32 * 1024;
inline constexpr size_t kWalHeaderSize = 7;

enum class WalFragmentType : uint8_t { kZero = 0, kFull = 1, kFirst = 2, kMiddle = 3, kLast = 4 };

// Appends framed payloads to a file (no threads, no syncing). Used by Wal and by tests
// that need to craft logs.
class WalWriter {
 public:
  explicit WalWriter(uint64_t initial_offset = 0) : block_offset_(initial_offset % kWalBlockSize) {}
  // Frames `payload` and appends the bytes to *out.
  void AddRecord(std::string_view payload, std::string* out);

 private:
  size_t block_offset_;
};

struct WalReplayStats {
  uint64_t records = 0;
  uint64_t valid_bytes = 0;  // offset just past the last valid record
  bool truncated_torn_tail = false;
  uint64_t corrupt_regions_skipped = 0;  // only with salvage
};

// Reads every payload of the log at `path` in order, calling `apply` for each.
// Truncates a torn tail in place. Returns Corruption("<path> at offset N: ...") for
// mid-log damage unless `salvage`. An error returned by `apply` stops replay and is returned.
Status ReplayWal(const std::string& path, bool salvage, const std::function<Status(std::string_view payload)>& apply,
                 WalReplayStats* stats);

class Wal {
 public:
  // Creates (truncating) the log file at `path`.
  static Result<std::unique_ptr<Wal>> Create(const std::string& path, const StorageOptions& options,
                                             StorageStats* stats);
  // Continues the log at `path` after its first `good_bytes` (the rest is cut off), for a
  // log whose write failed for lack of space; `unwritten` (the failed log's
  // UnwrittenAcknowledged) is written first. Until a write succeeds, WaitDurable waits in
  // every mode for the payload to reach the OS, so a write on a still-full disk fails.
  static Result<std::unique_ptr<Wal>> Reopen(const std::string& path, uint64_t good_bytes, std::string unwritten,
                                             const StorageOptions& options, StorageStats* stats);
  ~Wal();  // Close()s
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Buffers the framed payload; the ticket identifies it for WaitDurable. Never waits.
  // *durable_now (if given) is set when the payload is already as durable as the mode
  // promises (kNone outside Reopen's confirming): WaitDurable would return OK at once.
  Result<uint64_t> Append(std::string_view payload, bool* durable_now = nullptr);
  // True while more than the backlog limit is buffered (and the log has not failed): the
  // next writer should WaitForRoom. Lock-free.
  bool Backlogged() const { return backlogged_.load(std::memory_order_relaxed); }
  // Waits while the buffer is over its limit (the disk is behind); returns at once after a
  // failure or Close. Call it holding no lock that readers need.
  void WaitForRoom();
  // True when WaitForRoom or WaitDurable would wait for I/O now (whatever the mode).
  bool WritesWouldWait();
  // After a failure: whether it was a write refused for lack of space (not an fsync), and
  // how many bytes of the file hold the payloads acknowledged before it.
  bool OutOfSpace();
  uint64_t GoodBytes();
  // The framed payloads after GoodBytes() that were acknowledged although not written yet
  // (kNone acknowledges on buffering): a Reopen must write them. Empty in the other modes.
  std::string UnwrittenAcknowledged();
  // The sticky failure, or OK.
  Status error();
  // Blocks until the payload behind `ticket` is as durable as the mode promises.
  Status WaitDurable(uint64_t ticket);
  // Writes and fsyncs everything appended so far, whatever the mode.
  Status Sync();
  // Sync + stop the background thread + close the file. Idempotent.
  Status Close();
  const std::string& path() const { return path_; }

 private:
  Wal(std::string path, std::unique_ptr<WritableFile> file, uint64_t file_bytes, const StorageOptions& options,
      StorageStats* stats);
  void BackgroundLoop() EXCLUDES(mu_);
  // kBatch: fdatasyncs what is written every sync interval, on its own thread.
  void SyncLoop() EXCLUDES(mu_);
  // Whether the background thread must write or sync before its timer runs out.
  bool HasWork() const REQUIRES(mu_);
  void UpdateBacklog() REQUIRES(mu_);
  // Writes (and maybe syncs) the pending buffer; releases mu_ around the I/O.
  // REQUIRES: !io_in_progress_ (this thread then owns file_ until it returns).
  void WriteOut(bool sync) REQUIRES(mu_);

  const std::string path_;
  // Written without mu_ by the one thread that set io_in_progress_ (the WAL thread or a
  // waiting writer), synced by the sync thread (SyncWritten, the descriptor only), and
  // closed by Close once both threads have ended and no write is in progress.
  std::unique_ptr<WritableFile> file_;
  const Durability durability_;
  const std::chrono::milliseconds sync_interval_;
  StorageStats* stats_;

  Mutex mu_;
  CondVar work_cv_;     // wakes the background thread
  CondVar durable_cv_;  // wakes waiters when progress is made
  CondVar sync_cv_;     // wakes the sync thread (to close)
  WalWriter framer_ GUARDED_BY(mu_);
  std::string pending_ GUARDED_BY(mu_);          // framed bytes not yet handed to the OS
  uint64_t appended_ GUARDED_BY(mu_) = 0;        // tickets: byte offset just past each payload
  uint64_t written_ GUARDED_BY(mu_) = 0;         // bytes handed to the OS
  uint64_t synced_ GUARDED_BY(mu_) = 0;          // bytes known to be on stable storage
  uint64_t sync_requested_ GUARDED_BY(mu_) = 0;  // highest ticket someone is waiting to have synced
  const uint64_t base_bytes_;                    // file size at open (Reopen); tickets count from there
  bool confirm_writes_ GUARDED_BY(mu_) = false;  // WaitDurable waits for the write (after Reopen)
  bool out_of_space_ GUARDED_BY(mu_) = false;    // bg_error_ is a write refused for lack of space
  bool io_in_progress_ GUARDED_BY(mu_) = false;
  bool wal_thread_waits_for_io_ GUARDED_BY(mu_) = false;  // the WAL thread waits for a writer's write
  bool closing_ GUARDED_BY(mu_) = false;
  bool closed_ GUARDED_BY(mu_) = false;
  bool thread_done_ GUARDED_BY(mu_) = false;
  Status bg_error_ GUARDED_BY(mu_);      // sticky: after an I/O failure every call reports it
  std::atomic<bool> backlogged_{false};  // written under mu_ (UpdateBacklog), read without it
  std::thread thread_;
  std::thread sync_thread_;  // kBatch only
};

}  // namespace ringkv::storage
