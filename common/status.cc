#include "ringkv/status.h"

#include <cstring>

namespace ringkv {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kCorruption:
      return "Corruption";
    case StatusCode::kIOError:
      return "IOError";
    case StatusCode::kNotSupported:
      return "NotSupported";
    case StatusCode::kBusy:
      return "Busy";
    case StatusCode::kAborted:
      return "Aborted";
    case StatusCode::kTimedOut:
      return "TimedOut";
    case StatusCode::kUnavailable:
      return "Unavailable";
    case StatusCode::kQuorumNotReached:
      return "QuorumNotReached";
    case StatusCode::kStaleRing:
      return "StaleRing";
    case StatusCode::kUnauthenticated:
      return "Unauthenticated";
    case StatusCode::kPermissionDenied:
      return "PermissionDenied";
    case StatusCode::kExists:
      return "Exists";
  }
  return "Unknown";
}

Status Status::FromErrno(std::string_view context, int err) {
  std::string msg(context);
  msg += ": ";
  msg += std::strerror(err);
  return Status::IOError(std::move(msg));
}

Status Status::QuorumNotReached(int acked, int needed, std::string detail) {
  Status s(StatusCode::kQuorumNotReached, "quorum not reached: " + std::to_string(acked) + " of " +
                                              std::to_string(needed) + " required replicas acknowledged" +
                                              (detail.empty() ? "" : " (" + detail + ")"));
  s.acked_ = acked;
  s.needed_ = needed;
  return s;
}

Status Status::TimedOut(int64_t after_ms, int acked, int needed, std::string detail) {
  Status s(StatusCode::kTimedOut, "timed out after " + std::to_string(after_ms) + " ms: " + std::to_string(acked) +
                                      " of " + std::to_string(needed) + " required replicas answered" +
                                      (detail.empty() ? "" : " (" + detail + ")"));
  s.acked_ = acked;
  s.needed_ = needed;
  return s;
}

Status Status::Annotated(std::string_view note) const {
  if (ok()) return *this;
  Status s = *this;
  s.message_ += "; ";
  s.message_ += note;
  return s;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

}  // namespace ringkv
