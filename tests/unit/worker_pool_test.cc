// WorkerPool shutdown: the node drains it before destroying what its jobs point to.

#include <atomic>
#include <future>

#include <kj/async.h>
#include <catch2/catch.hpp>

#include "node/runtime/worker_pool.h"

using namespace ringkv;

TEST_CASE("worker pool shutdown runs the queued jobs someone waits for, skips abandoned ones, then refuses more") {
  kj::EventLoop loop;
  kj::WaitScope wait(loop);
  WorkerPool pool(1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> kept_ran{false}, abandoned_ran{false};
  // The only worker is held, so the next two jobs stay queued.
  auto blocker = pool.Run<int>([&] {
    released.wait();
    return 0;
  });
  auto kept = pool.Run<int>([&] {
    kept_ran = true;
    return 42;
  });
  {
    auto abandoned = pool.Run<int>([&] {
      abandoned_ran = true;
      return 0;
    });
  }  // its caller went away
  CHECK(pool.QueueDepth() >= 2);
  release.set_value();
  pool.Shutdown();  // returns once every queued job ran or was skipped
  CHECK(kept_ran.load());
  CHECK_FALSE(abandoned_ran.load());
  CHECK(kept.wait(wait) == 42);
  CHECK(blocker.wait(wait) == 0);

  auto late = pool.Run<int>([] { return 1; });
  KJ_IF_MAYBE (e, kj::runCatchingExceptions([&] { late.wait(wait); })) {
    SUCCEED("a job after shutdown is refused: " << e->getDescription().cStr());
  } else {
    FAIL("a job submitted after shutdown ran");
  }
}
