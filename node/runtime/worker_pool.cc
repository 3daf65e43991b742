#include "node/runtime/worker_pool.h"

namespace ringkv {

WorkerPool::WorkerPool(size_t threads) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

WorkerPool::~WorkerPool() { Shutdown(); }

void WorkerPool::Shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void WorkerPool::Enqueue(kj::Function<void()> job) {
  {
    std::lock_guard lock(mu_);
    // Once Shutdown started nothing may run it: dropping it rejects the caller's promise
    // ("fulfiller destroyed") instead of leaving it pending forever.
    if (stopping_) return;
    jobs_.push_back(kj::mv(job));
  }
  cv_.notify_one();
}

size_t WorkerPool::QueueDepth() {
  std::lock_guard lock(mu_);
  return jobs_.size();
}

void WorkerPool::Loop() {
  for (;;) {
    kj::Function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping and drained
      job = kj::mv(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace ringkv
