#include "sdk/internal_errors.h"

#include <kj/debug.h>

#include <string>

namespace ringkv::sdk {

Status InternalErrors::Record(std::string_view where, const kj::Exception& e) {
  count_.fetch_add(1, std::memory_order_relaxed);
  std::string in(where);
  KJ_LOG(ERROR, "ringkv client internal error", in, e.getDescription());
  return Status::Aborted("ringkv client internal error in " + in + ": " + e.getDescription().cStr());
}

}  // namespace ringkv::sdk
