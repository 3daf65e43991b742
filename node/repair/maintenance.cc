#include "node/repair/maintenance.h"

#include <spdlog/spdlog.h>

#include <unistd.h>
#include <csignal>

namespace ringkv {

Maintenance::Maintenance(HintedHandoff* handoff, AntiEntropy* repair, Streamer* streamer, Membership* membership,
                         NamespaceEraser* eraser, MaintenanceOptions options, wire::PoolOptions pool)
    : handoff_(handoff),
      repair_(repair),
      streamer_(streamer),
      membership_(membership),
      eraser_(eraser),
      options_(options),
      loop_("maintenance", std::move(pool)) {}

void Maintenance::Start() {
  auto now = std::chrono::steady_clock::now();
  next_handoff_ = now;
  next_repair_ = now + options_.repair_interval;
  loop_.Start(std::chrono::milliseconds(50), [this](BackgroundLoop::Context& ctx) { Step(ctx); });
}

void Maintenance::RunJobs(BackgroundLoop::Context& ctx) {
  while (!ctx.stopping.load()) {
    kj::Function<void(BackgroundLoop::Context&)> job;
    {
      std::lock_guard lock(mu_);
      if (jobs_.empty()) return;
      job = kj::mv(jobs_.front());
      jobs_.pop_front();
    }
    job(ctx);
  }
}

// A join or leave this node started (perhaps before a restart) and has not finished.
void Maintenance::ResumeRingChange(BackgroundLoop::Context& ctx) {
  RingState state = membership_->Self().ring_state;
  if (state == RingState::kJoining) {
    auto received = streamer_->Join(ctx);
    if (!received.ok()) spdlog::warn("join: {}; will retry", received.status().ToString());
  } else if (state == RingState::kLeaving) {
    auto sent = streamer_->Leave(ctx);
    if (!sent.ok()) {
      spdlog::warn("leave: {}; will retry", sent.status().ToString());
      return;
    }
    // Let gossip carry `left` to the others, then exit through the clean shutdown path.
    ctx.Sleep(std::chrono::seconds(3));
    spdlog::info("decommissioned: shutting down");
    ::kill(::getpid(), SIGTERM);  // process-directed: the main thread's loop takes it
  }
}

void Maintenance::Step(BackgroundLoop::Context& ctx) {
  RunJobs(ctx);
  ResumeRingChange(ctx);
  auto now = std::chrono::steady_clock::now();
  if (now >= next_handoff_) {
    handoff_->DeliverOnce(ctx);
    next_handoff_ = std::chrono::steady_clock::now() + options_.handoff_interval;
  }
  if (eraser_ != nullptr) {
    if (auto erased = eraser_->Step(); !erased.ok()) {
      spdlog::warn("erasing dropped namespaces: {}; will retry", erased.status().ToString());
    }
  }
  if (options_.repair_interval.count() > 0 && now >= next_repair_) {
    auto stats = repair_->Repair(ctx, {}, TokenRange{}, options_.background_repair);
    if (!stats.ok()) spdlog::info("background repair: {}", stats.status().ToString());
    next_repair_ = std::chrono::steady_clock::now() + options_.repair_interval;
  }
}

}  // namespace ringkv
