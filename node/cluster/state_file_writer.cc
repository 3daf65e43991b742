#include "node/cluster/state_file_writer.h"

#include <spdlog/spdlog.h>

#include "node/storage/file.h"

namespace ringkv {

StateFileWriter::StateFileWriter(std::string path, std::function<std::string()> render)
    : path_(std::move(path)), render_(std::move(render)), thread_([this] { Main(); }) {}

StateFileWriter::~StateFileWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void StateFileWriter::MarkDirty() {
  {
    std::lock_guard lock(mu_);
    ++marked_;
  }
  wake_.notify_one();
}

Status StateFileWriter::Flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = marked_;
  written_.wait(lock, [&] { return saved_ >= target || attempted_ >= target; });
  return saved_ >= target ? Status::OK() : last_;
}

void StateFileWriter::Main() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || marked_ > saved_; });
    if (marked_ == saved_) return;  // stopping, and everything is on disk
    const uint64_t covers = marked_;
    // Render and write unlocked: MarkDirty never waits for the disk.
    lock.unlock();
    Status s = storage::WriteFileAtomically(path_, render_());
    lock.lock();
    attempted_ = covers;
    last_ = s;
    if (s.ok()) saved_ = std::max(saved_, covers);
    written_.notify_all();
    if (s.ok()) continue;
    spdlog::error("cannot save {}: {}{}", path_, s.ToString(), stopping_ ? "" : "; retrying");
    if (stopping_) return;  // that was the final write
    wake_.wait_for(lock, kRetryDelay, [&] { return stopping_; });
  }
}

}  // namespace ringkv
