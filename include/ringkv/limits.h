#pragma once
// The product's hard limits on user input, checked at every entry point (SDK, node, engine).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ringkv/status.h"

namespace ringkv {

inline constexpr size_t kMaxKeyBytes = 1024;        // 1 KB
inline constexpr size_t kMaxValueBytes = 1u << 20;  // 1 MB
// Largest encoded sibling set a replica keeps for one key: room for four siblings of the
// largest value plus their version metadata. A write that would make a key's set larger is
// refused (the application must resolve its siblings first).
inline constexpr size_t kMaxSiblingSetBytes = 4 * kMaxValueBytes + (64u << 10);

// The longest time to live a write may ask for (10 years, as a namespace's default TTL).
inline constexpr int64_t kMaxTtlMs = int64_t{10} * 365 * 24 * 3600 * 1000;

// InvalidArgument naming the limit and the size given, or OK.
Status ValidateKey(std::string_view key);
Status ValidateValue(std::string_view value);
// A write's time to live: more than 0 ms and at most kMaxTtlMs.
Status ValidateTtlMs(int64_t ttl_ms);

}  // namespace ringkv
