#pragma once
// BackgroundLoop: a thread with its own KJ event loop and connection pool, for the node's
// work that talks to other nodes step by step — gossip rounds, hinted handoff, streaming,
// repair — and may wait on them (with timeouts) without holding up the RPC event loop.
//
// `body` runs once per period until Stop(); Stop() waits for the running step to end
// (every remote call a step makes is bounded by a timeout).

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include <kj/async-io.h>

#include "capnp/bounded.h"
#include "capnp/connection_pool.h"
#include "ringkv/status.h"

namespace ringkv {

class BackgroundLoop {
 public:
  struct Context {
    kj::WaitScope& wait;
    kj::Timer& timer;
    wire::ConnectionPool& pool;
    const std::atomic<bool>& stopping;
    // Waits for `call` to the node at `address`, at most `limit`. A failed call is
    // Unavailable, a late one TimedOut; either way the connection is dropped (reopened
    // on the next call), so a peer that was cut off is not stuck behind a dead socket.
    template <typename T>
    Result<T> Await(const std::string& address, kj::Promise<T> call, std::chrono::milliseconds limit,
                    const std::string& what);
    void Sleep(std::chrono::milliseconds d);  // returns early when stopping
  };

  BackgroundLoop(std::string name, wire::PoolOptions pool_options)
      : name_(std::move(name)), pool_options_(std::move(pool_options)) {}
  ~BackgroundLoop() { Stop(); }
  BackgroundLoop(const BackgroundLoop&) = delete;
  BackgroundLoop& operator=(const BackgroundLoop&) = delete;

  void Start(std::chrono::milliseconds period, std::function<void(Context&)> body);
  void Stop();

 private:
  void Main(std::chrono::milliseconds period);

  std::string name_;
  wire::PoolOptions pool_options_;
  std::function<void(Context&)> body_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

template <typename T>
Result<T> BackgroundLoop::Context::Await(const std::string& address, kj::Promise<T> call,
                                         std::chrono::milliseconds limit, const std::string& what) {
  auto bounded = wire::Bounded(timer,
                               call.then([](T v) -> Result<T> { return Result<T>(kj::mv(v)); },
                                         [what](kj::Exception&& e) -> Result<T> {
                                           return Status::Unavailable(what + ": " + e.getDescription().cStr());
                                         }),
                               limit, [what]() -> Result<T> { return Status::TimedOut(what + ": no answer in time"); });
  Result<T> result = bounded.wait(wait);
  if (!result.ok()) pool.MarkFailed(address);
  return result;
}

}  // namespace ringkv
