#pragma once
// WorkerPool: runs blocking work (storage reads that may hit disk, fsync waits) on its own
// threads and hands each result back to the calling KJ event loop as a promise, so the
// RPC loop never blocks. Run() must be called on a thread with a KJ event loop; if the
// returned promise is dropped, the result is discarded safely.

#include <condition_variable>
#include <deque>
#include <kj/async.h>
#include <kj/function.h>
#include <mutex>
#include <thread>
#include <vector>

namespace ringkv {

class WorkerPool {
 public:
  explicit WorkerPool(size_t threads);
  ~WorkerPool();  // finishes queued work, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  template <typename T, typename Func>
  kj::Promise<T> Run(Func&& func) {
    auto paf = kj::newPromiseAndCrossThreadFulfiller<T>();
    Enqueue([func = kj::fwd<Func>(func), fulfiller = kj::mv(paf.fulfiller)]() mutable {
      fulfiller->fulfill(func());
    });
    return kj::mv(paf.promise);
  }

  size_t QueueDepth();

 private:
  void Enqueue(kj::Function<void()> job);
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<kj::Function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ringkv
