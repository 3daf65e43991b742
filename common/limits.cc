#include "ringkv/limits.h"

#include <string>

namespace ringkv {

Status ValidateKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("key is empty");
  if (key.size() > kMaxKeyBytes) {
    return Status::InvalidArgument("key is " + std::to_string(key.size()) + " bytes; the limit is " +
                                   std::to_string(kMaxKeyBytes) + " bytes");
  }
  return Status::OK();
}

Status ValidateValue(std::string_view value) {
  if (value.size() > kMaxValueBytes) {
    return Status::InvalidArgument("value is " + std::to_string(value.size()) + " bytes; the limit is " +
                                   std::to_string(kMaxValueBytes) + " bytes");
  }
  return Status::OK();
}

Status ValidateTtlMs(int64_t ttl_ms) {
  if (ttl_ms <= 0) {
    return Status::InvalidArgument("ttl must be positive (got " + std::to_string(ttl_ms) + " ms); nothing was written");
  }
  if (ttl_ms > kMaxTtlMs) {
    return Status::InvalidArgument("ttl is " + std::to_string(ttl_ms) + " ms; the limit is 10 years (" +
                                   std::to_string(kMaxTtlMs) + " ms); nothing was written");
  }
  return Status::OK();
}

}  // namespace ringkv
