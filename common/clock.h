#pragma once
// Clock: the one place ringkv reads the time. Components that decide by time (the engine
// reaping tombstones, a replica forgetting superseded write ids, the node refusing an old
// write attempt, hints stamped and expired, gossip suspecting a silent peer) take a
// `const Clock&` (or a `const Clock*` in their options), so that a test can hand them a
// ManualClock and move time on without sleeping. There is no global mutable clock: the
// process-wide Clock::System() reads the operating system and holds no state.
//
// Code that only measures or waits for real elapsed time (a latency metric, a stall
// counter, an fsync timer, a deadline on a network call) reads std::chrono::steady_clock
// directly: a substituted clock would not make those threads wake any sooner.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ringkv {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch. What write attempts, tombstones and hints are
  // stamped and aged by; compared across nodes, so it may jump with the system's clock.
  virtual uint64_t WallMs() const = 0;
  // Milliseconds since an arbitrary start, never going back: for timeouts within this
  // process (gossip failure detection, idle sessions). Meaningless across processes.
  virtual uint64_t SteadyMs() const = 0;

  // The operating system's clocks (a SystemClock). Thread-safe, stateless, lives forever.
  static const Clock& System();
};

// std::chrono::system_clock and steady_clock.
class SystemClock final : public Clock {
 public:
  uint64_t WallMs() const override;
  uint64_t SteadyMs() const override;
};

// A clock that moves only when told: for tests. Both readings start where the constructor
// puts them and move together on Advance; SetWallMs moves the wall clock alone (a clock
// step, as NTP may make). Thread-safe: the engine's background threads may read it while
// the test advances it.
class ManualClock final : public Clock {
 public:
  // 2026-01-01T00:00:00Z: a plausible wall time, above the floors ringkv derives from it.
  static constexpr uint64_t kDefaultWallMs = 1767225600000;

  explicit ManualClock(uint64_t wall_ms = kDefaultWallMs, uint64_t steady_ms = 1000)
      : wall_ms_(wall_ms), steady_ms_(steady_ms) {}

  uint64_t WallMs() const override { return wall_ms_.load(std::memory_order_acquire); }
  uint64_t SteadyMs() const override { return steady_ms_.load(std::memory_order_acquire); }

  // Moves both readings forward by `d`.
  void Advance(std::chrono::milliseconds d) {
    auto ms = static_cast<uint64_t>(d.count());
    wall_ms_.fetch_add(ms, std::memory_order_acq_rel);
    steady_ms_.fetch_add(ms, std::memory_order_acq_rel);
  }
  // Sets the wall reading (forward or back); the steady one stays.
  void SetWallMs(uint64_t ms) { wall_ms_.store(ms, std::memory_order_release); }

 private:
  std::atomic<uint64_t> wall_ms_;
  std::atomic<uint64_t> steady_ms_;
};

}  // namespace ringkv
