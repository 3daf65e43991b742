#pragma once
// Runs redis-server on a free loopback port and measures it with redis-benchmark (SET and
// GET, same concurrency and value size as ringkv's run). Unavailable if either is missing.

#include <cstdint>

#include "ringkv/status.h"

namespace ringkv::bench {

struct RedisFigures {
  double ops_per_sec = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

struct RedisBaseline {
  RedisFigures set;
  RedisFigures get;
};

Result<RedisBaseline> RunRedisBaseline(uint64_t ops, int concurrency, int value_size, uint64_t keys, int repeat);

}  // namespace ringkv::bench
