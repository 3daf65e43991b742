#pragma once
// Maintenance: the node's background work that talks to other nodes — hinted handoff
// every handoff interval, background Merkle repair every repair interval (rate-limited),
// streaming in on a join, streaming out on a decommission — and the erasing of dropped
// namespaces (a throttled slice per step, NamespaceEraser), plus the jobs the admin RPCs
// ask for (`kv repair`, `kv node decommission`), all on one BackgroundLoop, one at a time.
//
// Submit() may be called from the RPC event loop: the job runs on the maintenance thread
// and its result comes back to the caller's loop as a promise.

#include <deque>
#include <functional>
#include <mutex>

#include <kj/async.h>

#include "node/repair/anti_entropy.h"
#include "node/repair/hinted_handoff.h"
#include "node/repair/namespace_eraser.h"
#include "node/repair/streaming.h"
#include "node/runtime/background_loop.h"

namespace ringkv {

struct MaintenanceOptions {
  std::chrono::milliseconds handoff_interval{1000};
  std::chrono::seconds repair_interval{3600};  // 0: no background repair
  AntiEntropy::Options background_repair;
};

class Maintenance {
 public:
  // `eraser` may be null (nothing to erase).
  Maintenance(HintedHandoff* handoff, AntiEntropy* repair, Streamer* streamer, Membership* membership,
              NamespaceEraser* eraser, MaintenanceOptions options, wire::PoolOptions pool);
  void Start();
  void Stop() { loop_.Stop(); }

  template <typename T>
  kj::Promise<T> Submit(std::function<T(BackgroundLoop::Context&)> job) {
    auto paf = kj::newPromiseAndCrossThreadFulfiller<T>();
    std::lock_guard lock(mu_);
    jobs_.push_back([job = std::move(job), f = kj::mv(paf.fulfiller)](BackgroundLoop::Context& ctx) mutable {
      f->fulfill(job(ctx));
    });
    return kj::mv(paf.promise);
  }

 private:
  void Step(BackgroundLoop::Context& ctx);
  void RunJobs(BackgroundLoop::Context& ctx);
  void ResumeRingChange(BackgroundLoop::Context& ctx);

  HintedHandoff* handoff_;
  AntiEntropy* repair_;
  Streamer* streamer_;
  Membership* membership_;
  NamespaceEraser* eraser_;
  MaintenanceOptions options_;
  std::mutex mu_;
  std::deque<kj::Function<void(BackgroundLoop::Context&)>> jobs_;
  std::chrono::steady_clock::time_point next_handoff_{}, next_repair_{};
  BackgroundLoop loop_;
};

}  // namespace ringkv
