#include "common/clock.h"

namespace ringkv {

const Clock& Clock::System() {
  static const SystemClock clock;
  return clock;
}

uint64_t SystemClock::WallMs() const {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

uint64_t SystemClock::SteadyMs() const {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

}  // namespace ringkv
