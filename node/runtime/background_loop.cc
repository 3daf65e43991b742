#include "node/runtime/background_loop.h"

#include <spdlog/spdlog.h>

namespace ringkv {

void BackgroundLoop::Context::Sleep(std::chrono::milliseconds d) {
  constexpr auto kSlice = std::chrono::milliseconds(50);
  while (d.count() > 0 && !stopping.load()) {
    auto step = std::min(d, kSlice);
    timer.afterDelay(step.count() * kj::MILLISECONDS).wait(wait);
    d -= step;
  }
}

void BackgroundLoop::Start(std::chrono::milliseconds period, std::function<void(Context&)> body) {
  body_ = std::move(body);
  thread_ = std::thread([this, period] { Main(period); });
}

void BackgroundLoop::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void BackgroundLoop::Main(std::chrono::milliseconds period) {
  auto io = kj::setupAsyncIo();
  kj::Timer& timer = io.provider->getTimer();
  {
    wire::ConnectionPool pool(*io.provider, *io.lowLevelProvider, timer, pool_options_);
    Context context{io.waitScope, timer, pool, stopping_};
    while (!stopping_.load()) {
      KJ_IF_MAYBE (e, kj::runCatchingExceptions([&] { body_(context); })) {
        spdlog::warn("{}: {}", name_, e->getDescription().cStr());
      }
      context.Sleep(period);
    }
  }
  // Let the pool's deferred connection teardowns run on this loop before it goes away.
  io.provider->getTimer().afterDelay(1 * kj::MILLISECONDS).wait(io.waitScope);
}

}  // namespace ringkv
