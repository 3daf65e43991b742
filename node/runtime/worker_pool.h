#pragma once
// WorkerPool: runs blocking work (storage reads that may hit disk, fsync waits) on its own
// threads and hands each result back to the calling KJ event loop as a promise, so the
// RPC loop never blocks. Run() must be called on a thread with a KJ event loop; if the
// returned promise is dropped, the result is discarded safely, and a job whose promise
// was dropped before it started is not run at all (its caller went away).
//
// Shutdown: jobs hold raw pointers to the node's components (the replica store,
// membership, anti-entropy, the streamer), so the pool must be shut down before any of
// them is destroyed (node/node.h does it in that order). Shutdown() runs or discards
// every queued job, then joins the threads; a Run() once it started rejects its promise.

#include <kj/async.h>
#include <kj/function.h>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace ringkv {

class WorkerPool {
 public:
  explicit WorkerPool(size_t threads);
  ~WorkerPool();  // Shutdown()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  template <typename T, typename Func>
  kj::Promise<T> Run(Func&& func) {
    auto paf = kj::newPromiseAndCrossThreadFulfiller<T>();
    Enqueue([func = kj::fwd<Func>(func), fulfiller = kj::mv(paf.fulfiller)]() mutable {
      if (!fulfiller->isWaiting()) return;  // the caller dropped the promise: nobody wants the result
      fulfiller->fulfill(func());
    });
    return kj::mv(paf.promise);
  }

  // Finishes every queued job (skipping the ones nobody waits for) and joins the threads.
  // Idempotent. Once it has started, a Run() rejects at once.
  void Shutdown();

  size_t QueueDepth();

 private:
  void Enqueue(kj::Function<void()> job);
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<kj::Function<void()>> jobs_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                  // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;       // touched only by the constructor and Shutdown()
};

}  // namespace ringkv
