#include "sdk/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace ringkv::sdk {

Status ValidateRetryPolicy(const RetryPolicy& p) {
  if (p.max_attempts < 1) return Status::InvalidArgument("retry.max_attempts must be >= 1 (1: never retry)");
  if (p.initial_backoff.count() < 0 || p.max_backoff.count() < 0) {
    return Status::InvalidArgument("retry backoffs must not be negative");
  }
  if (p.initial_backoff > p.max_backoff) {
    return Status::InvalidArgument("retry.initial_backoff (" + std::to_string(p.initial_backoff.count()) +
                                   " ms) is over retry.max_backoff (" + std::to_string(p.max_backoff.count()) + " ms)");
  }
  if (!(p.jitter >= 0.0 && p.jitter <= 1.0)) return Status::InvalidArgument("retry.jitter must be in [0, 1]");
  if (p.attempt_timeout && p.attempt_timeout->count() <= 0) {
    return Status::InvalidArgument("retry.attempt_timeout must be positive");
  }
  return Status::OK();
}

bool IsTransient(const Status& failure) {
  return failure.IsQuorumNotReached() || failure.IsUnavailable() || failure.IsTimedOut();
}

std::chrono::milliseconds Backoff(const RetryPolicy& policy, int retry, double u) {
  // Doubling stops at the ceiling; capping the exponent keeps the shift defined.
  int64_t ceiling = policy.max_backoff.count();
  int64_t b = policy.initial_backoff.count();
  for (int k = 1; k < retry && b < ceiling; ++k) b *= 2;
  b = std::min(b, ceiling);
  double wait = static_cast<double>(b) * (1.0 - policy.jitter * u);
  return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(wait)));
}

std::optional<std::chrono::milliseconds> NextRetry(const RetryPolicy& policy, int attempts, const Status& failure,
                                                   std::chrono::milliseconds remaining, double u) {
  if (!IsTransient(failure) || attempts >= policy.max_attempts) return std::nullopt;
  std::chrono::milliseconds wait = Backoff(policy, attempts, u);
  if (wait >= remaining) return std::nullopt;  // the next attempt would have no time at all
  return wait;
}

std::chrono::milliseconds AttemptTimeout(const RetryPolicy& policy, std::chrono::milliseconds remaining) {
  return policy.attempt_timeout ? std::min(*policy.attempt_timeout, remaining) : remaining;
}

}  // namespace ringkv::sdk
