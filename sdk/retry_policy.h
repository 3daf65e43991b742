#pragma once
// The retry policy's arithmetic (ringkv::RetryPolicy, ringkv/client.h), kept pure: which
// failures are retried, how long to wait before the next attempt, and how long that
// attempt may take. No clock, no randomness of its own: the caller passes the time left
// before the request's deadline and a uniform draw `u` in [0, 1) (from its rng; tests pass
// fixed values). Client::Impl::Retry (sdk/client.cc) applies it on the event loop.

#include <chrono>
#include <optional>

#include "ringkv/client.h"
#include "ringkv/status.h"

namespace ringkv::sdk {

// InvalidArgument naming the bad field; OK for a usable policy.
Status ValidateRetryPolicy(const RetryPolicy& policy);

// True for the failures another attempt may not meet: QuorumNotReached, Unavailable,
// TimedOut (an attempt's own deadline). False for everything else (bad input, a refused
// credential, Exists, internal errors, StaleRing which has its own refresh-and-retry).
bool IsTransient(const Status& failure);

// The wait before retry `retry` (1 = the first retry): b * (1 - jitter * u), where
// b = min(max_backoff, initial_backoff * 2^(retry - 1)).
// REQUIRES: retry >= 1, 0 <= u < 1, a valid policy.
std::chrono::milliseconds Backoff(const RetryPolicy& policy, int retry, double u);

// After `attempts` attempts (>= 1), the last of which failed with `failure`, and with
// `remaining` left before the request's deadline: the wait before the next attempt, or
// nullopt when the request ends with `failure` (not transient, attempts used up, or no
// time would be left for an attempt after the wait).
std::optional<std::chrono::milliseconds> NextRetry(const RetryPolicy& policy, int attempts, const Status& failure,
                                                   std::chrono::milliseconds remaining, double u);

// The limit for an attempt that starts with `remaining` left: the smaller of that and the
// policy's attempt_timeout.
std::chrono::milliseconds AttemptTimeout(const RetryPolicy& policy, std::chrono::milliseconds remaining);

}  // namespace ringkv::sdk
