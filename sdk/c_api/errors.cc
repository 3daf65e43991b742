// The C ABI's error codes and error handles (include/ringkv/ringkv.h, "error codes").

#include <new>

#include "sdk/c_api/handles.h"

namespace ringkv::c_api {

ringkv_code CodeOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return RINGKV_OK;
    case StatusCode::kNotFound:
      return RINGKV_NOT_FOUND;
    case StatusCode::kInvalidArgument:
      return RINGKV_INVALID_ARGUMENT;
    case StatusCode::kCorruption:
      return RINGKV_CORRUPTION;
    case StatusCode::kIOError:
      return RINGKV_IO_ERROR;
    case StatusCode::kNotSupported:
      return RINGKV_NOT_SUPPORTED;
    case StatusCode::kBusy:
      return RINGKV_BUSY;
    case StatusCode::kAborted:
      return RINGKV_ABORTED;
    case StatusCode::kTimedOut:
      return RINGKV_TIMED_OUT;
    case StatusCode::kUnavailable:
      return RINGKV_UNAVAILABLE;
    case StatusCode::kQuorumNotReached:
      return RINGKV_QUORUM_NOT_REACHED;
    case StatusCode::kStaleRing:
      return RINGKV_STALE_RING;
    case StatusCode::kUnauthenticated:
      return RINGKV_UNAUTHENTICATED;
    case StatusCode::kExists:
      return RINGKV_EXISTS;
    case StatusCode::kPermissionDenied:
      return RINGKV_PERMISSION_DENIED;
  }
  return RINGKV_ABORTED;  // a code added to StatusCode but not here: tests/unit/c_api_unit_test.cc catches it
}

ringkv_code Report(const Status& status, ringkv_error** error) {
  ringkv_code code = CodeOf(status.code());
  if (code != RINGKV_OK && error != nullptr) {
    *error = new (std::nothrow) ringkv_error{status, status.message()};
  }
  return code;
}

ringkv_code Invalid(const std::string& what, ringkv_error** error) {
  return Report(Status::InvalidArgument(what), error);
}

}  // namespace ringkv::c_api

extern "C" {

int ringkv_abi_version(void) { return RINGKV_C_ABI_VERSION; }

#define RINGKV_C_STRINGIFY_INNER(x) #x
#define RINGKV_C_STRINGIFY(x) RINGKV_C_STRINGIFY_INNER(x)
const char* ringkv_version_string(void) {
  return RINGKV_C_STRINGIFY(RINGKV_VERSION_MAJOR) "." RINGKV_C_STRINGIFY(RINGKV_VERSION_MINOR) "." RINGKV_C_STRINGIFY(
      RINGKV_VERSION_PATCH);
}

const char* ringkv_code_name(int code) {
  switch (code) {
    case RINGKV_OK:
      return "OK";
    case RINGKV_NOT_FOUND:
      return "NotFound";
    case RINGKV_INVALID_ARGUMENT:
      return "InvalidArgument";
    case RINGKV_CORRUPTION:
      return "Corruption";
    case RINGKV_IO_ERROR:
      return "IOError";
    case RINGKV_NOT_SUPPORTED:
      return "NotSupported";
    case RINGKV_BUSY:
      return "Busy";
    case RINGKV_ABORTED:
      return "Aborted";
    case RINGKV_TIMED_OUT:
      return "TimedOut";
    case RINGKV_UNAVAILABLE:
      return "Unavailable";
    case RINGKV_QUORUM_NOT_REACHED:
      return "QuorumNotReached";
    case RINGKV_STALE_RING:
      return "StaleRing";
    case RINGKV_UNAUTHENTICATED:
      return "Unauthenticated";
    case RINGKV_EXISTS:
      return "Exists";
    case RINGKV_PERMISSION_DENIED:
      return "PermissionDenied";
    default:
      return "Unknown";
  }
}

ringkv_code ringkv_error_code(const ringkv_error* error) {
  return error == nullptr ? RINGKV_OK : ringkv::c_api::CodeOf(error->status.code());
}

const char* ringkv_error_message(const ringkv_error* error) { return error == nullptr ? "" : error->message.c_str(); }

int ringkv_error_acked(const ringkv_error* error) { return error == nullptr ? 0 : error->status.acked(); }

int ringkv_error_needed(const ringkv_error* error) { return error == nullptr ? 0 : error->status.needed(); }

void ringkv_error_free(ringkv_error* error) { delete error; }

}  // extern "C"
