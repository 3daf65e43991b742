#pragma once
// Wall-clock time in milliseconds since the Unix epoch: what nodes stamp hints with, age
// write attempts by, and forget superseded write ids after.

#include <cstdint>

namespace ringkv {

uint64_t WallNowMs();

}  // namespace ringkv
