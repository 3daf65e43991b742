#pragma once
// StateFileWriter: keeps one small state file of the data directory (MEMBERSHIP) up to
// date on disk without doing file I/O on the thread that changed the state.
//
// Guarantees:
//   - MarkDirty() never touches the disk and takes only this writer's own lock briefly:
//     it is safe on the RPC event loop and while holding the owner's lock.
//   - The file is replaced with storage::WriteFileAtomically (temp file, fsync, rename,
//     fsync of the directory): after a crash at any point the file holds the old or the
//     new contents, whole, never a prefix or nothing.
//   - Saves coalesce and the latest state wins: the writer's thread calls `render` (which
//     copies the owner's state under the owner's lock, then formats it) once per write,
//     however many MarkDirty() calls came since the last one.
//   - A failed write is logged and retried every kRetryDelay until it succeeds.
//   - The destructor writes once more if anything is unsaved, then joins the thread.
// `render` runs on the writer's thread and must not call back into this writer.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "ringkv/status.h"

namespace ringkv {

class StateFileWriter {
 public:
  static constexpr auto kRetryDelay = std::chrono::seconds(1);

  StateFileWriter(std::string path, std::function<std::string()> render);
  ~StateFileWriter();
  StateFileWriter(const StateFileWriter&) = delete;
  StateFileWriter& operator=(const StateFileWriter&) = delete;

  // The state changed: write it (soon, on the writer's thread).
  void MarkDirty();
  // Waits until every change marked before the call was written, or a write made after
  // it failed: OK, or that write's error.
  Status Flush();

  const std::string& path() const { return path_; }

 private:
  void Main();

  const std::string path_;
  const std::function<std::string()> render_;
  std::mutex mu_;
  std::condition_variable wake_;     // MarkDirty and the destructor -> the thread
  std::condition_variable written_;  // the thread -> Flush
  uint64_t marked_ = 0;              // GUARDED_BY(mu_): changes marked so far
  uint64_t saved_ = 0;               // GUARDED_BY(mu_): changes on disk
  uint64_t attempted_ = 0;           // GUARDED_BY(mu_): changes the last finished write covered
  Status last_;                      // GUARDED_BY(mu_): the last write's outcome
  bool stopping_ = false;            // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace ringkv
