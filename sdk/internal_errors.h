#pragma once
// InternalErrors: failures inside the SDK's own machinery — an exception where none is
// expected: in a request's continuation, while building a batch, in a background ring
// fetch, or thrown by an app's callback. None is dropped: each is logged once (KJ_LOG
// ERROR, to stderr) and counted (Client::InternalErrorCount), and the request it belongs
// to, if one is still waiting, fails at once with the Aborted status Record returns
// instead of hanging to its timeout.
//
// Record() on the client's loop thread; count() from any thread.

#include <kj/exception.h>

#include <atomic>
#include <cstdint>
#include <string_view>

#include "ringkv/status.h"

namespace ringkv::sdk {

class InternalErrors {
 public:
  // Logs and counts `e`, caught at `where`; returns the status to fail a request with.
  Status Record(std::string_view where, const kj::Exception& e);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> count_{0};
};

}  // namespace ringkv::sdk
