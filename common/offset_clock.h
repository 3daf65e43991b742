#pragma once
// OffsetClock: the system clock with its wall reading moved by an offset that may change
// at any time. The node uses it in test builds only (RINGKV_TEST_CLOCK, set with the
// storage fault seam): a cluster test moves a node's wall clock days ahead through the
// admin endpoint /test/clock, so tombstone grace and hint windows pass without waiting.
// The steady reading is the system's: timeouts and failure detection stay real.

#include <atomic>
#include <cstdint>

#include "common/clock.h"

namespace ringkv {

class OffsetClock final : public Clock {
 public:
  uint64_t WallMs() const override {
    return Clock::System().WallMs() + static_cast<uint64_t>(offset_ms_.load(std::memory_order_acquire));
  }
  uint64_t SteadyMs() const override { return Clock::System().SteadyMs(); }
  // Thread-safe; the offset may be negative.
  void SetOffsetMs(int64_t ms) { offset_ms_.store(ms, std::memory_order_release); }
  int64_t offset_ms() const { return offset_ms_.load(std::memory_order_acquire); }

 private:
  std::atomic<int64_t> offset_ms_{0};
};

}  // namespace ringkv
