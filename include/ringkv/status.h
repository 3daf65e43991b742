#pragma once
// Status and Result<T>: errors as values at every module edge.
//
// A Status is either OK or carries a code and a human-readable message that names
// what failed (file, offset, key size...). Result<T> holds a T or a non-OK Status.
// Neither throws; callers check `ok()` and propagate with RINGKV_TRY / RINGKV_ASSIGN.

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace ringkv {

enum class StatusCode {
  kOk = 0,
  kNotFound,
  kInvalidArgument,
  kCorruption,
  kIOError,
  kNotSupported,
  kBusy,
  kAborted,
  kTimedOut,          // a deadline passed
  kUnavailable,       // no node could be reached
  kQuorumNotReached,  // fewer replicas answered than the consistency level needs
  kStaleRing,         // routed with an older ring than the node's: refresh the ring, retry
  kUnauthenticated,   // no or wrong credential (client token / cluster secret) for the call
  kExists,            // Client::PutIfAbsent: a read at the request's level found a live value
  kPermissionDenied,  // authenticated, but the user's role does not allow the call (nothing done)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status InvalidArgument(std::string msg) { return {StatusCode::kInvalidArgument, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status NotSupported(std::string msg) { return {StatusCode::kNotSupported, std::move(msg)}; }
  static Status Busy(std::string msg) { return {StatusCode::kBusy, std::move(msg)}; }
  static Status Aborted(std::string msg) { return {StatusCode::kAborted, std::move(msg)}; }
  static Status TimedOut(std::string msg) { return {StatusCode::kTimedOut, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status StaleRing(std::string msg) { return {StatusCode::kStaleRing, std::move(msg)}; }
  static Status Unauthenticated(std::string msg) { return {StatusCode::kUnauthenticated, std::move(msg)}; }
  static Status Exists(std::string msg) { return {StatusCode::kExists, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) { return {StatusCode::kPermissionDenied, std::move(msg)}; }
  // "quorum not reached: 1 of 2 required replicas acknowledged (...)".
  static Status QuorumNotReached(int acked, int needed, std::string detail);
  // The request's deadline passed first: "timed out after 2000 ms: 1 of 2 required
  // replicas acknowledged (...)"; acked() and needed() as for QuorumNotReached.
  static Status TimedOut(int64_t after_ms, int acked, int needed, std::string detail);
  // errno-based I/O failure: "<context>: <strerror(err)>".
  static Status FromErrno(std::string_view context, int err);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  bool IsNotFound() const { return code_ == StatusCode::kNotFound; }
  bool IsCorruption() const { return code_ == StatusCode::kCorruption; }
  bool IsInvalidArgument() const { return code_ == StatusCode::kInvalidArgument; }
  bool IsIOError() const { return code_ == StatusCode::kIOError; }
  bool IsQuorumNotReached() const { return code_ == StatusCode::kQuorumNotReached; }
  bool IsTimedOut() const { return code_ == StatusCode::kTimedOut; }
  bool IsUnavailable() const { return code_ == StatusCode::kUnavailable; }
  bool IsStaleRing() const { return code_ == StatusCode::kStaleRing; }
  bool IsUnauthenticated() const { return code_ == StatusCode::kUnauthenticated; }
  bool IsExists() const { return code_ == StatusCode::kExists; }
  bool IsPermissionDenied() const { return code_ == StatusCode::kPermissionDenied; }
  // For kQuorumNotReached and a request's kTimedOut: how many replicas answered, and how
  // many were needed.
  int acked() const { return acked_; }
  int needed() const { return needed_; }
  const std::string& message() const { return message_; }
  // The same status (code, acked(), needed()) with `note` appended to the message:
  // "quorum not reached: 2 of 3 ... (...); gave up after 3 attempts". An OK status stays OK.
  Status Annotated(std::string_view note) const;
  // "Corruption: bad block checksum in 000012.sst at offset 4096"
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  int acked_ = 0;
  int needed_ = 0;
};

std::string_view StatusCodeName(StatusCode code);

// Holds a value or an error Status (an `expected`-like type; C++20 has no std::expected).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}                                  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace ringkv

#define RINGKV_CONCAT_INNER(a, b) a##b
#define RINGKV_CONCAT(a, b) RINGKV_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define RINGKV_TRY(expr)                   \
  do {                                     \
    ::ringkv::Status _ringkv_s = (expr);   \
    if (!_ringkv_s.ok()) return _ringkv_s; \
  } while (0)

// `RINGKV_ASSIGN(auto x, MakeX());` — unwraps a Result or returns its Status.
#define RINGKV_ASSIGN(lhs, expr) RINGKV_ASSIGN_IMPL(RINGKV_CONCAT(_ringkv_r, __LINE__), lhs, expr)
#define RINGKV_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                       \
  if (!tmp.ok()) return tmp.status();      \
  lhs = std::move(tmp).value()
