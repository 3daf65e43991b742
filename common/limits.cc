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

}  // namespace ringkv
