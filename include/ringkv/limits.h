#pragma once
// The product's hard limits on user input, checked at every entry point (SDK, node, engine).

#include <cstddef>
#include <string_view>

#include "ringkv/status.h"

namespace ringkv {

inline constexpr size_t kMaxKeyBytes = 1024;         // 1 KB
inline constexpr size_t kMaxValueBytes = 10 * 1024;  // 10 KB

// InvalidArgument naming the limit and the size given, or OK.
Status ValidateKey(std::string_view key);
Status ValidateValue(std::string_view value);

}  // namespace ringkv
