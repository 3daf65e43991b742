#pragma once
// Bounded: a promise with a deadline, the one way ringkv bounds a call on a KJ event loop.
// It resolves to the call's value, or — if `limit` passes first — to `on_timeout()`, and the
// call is then cancelled (its promise destroyed). `on_timeout` runs on the loop; it may
// note the timeout (mark a node down) before returning the value to resolve with.

#include <kj/async.h>
#include <kj/timer.h>

#include <chrono>

namespace ringkv::wire {

template <typename T, typename OnTimeout>
kj::Promise<T> Bounded(kj::Timer& timer, kj::Promise<T> call, std::chrono::milliseconds limit, OnTimeout on_timeout) {
  return call.exclusiveJoin(timer.afterDelay(limit.count() * kj::MILLISECONDS).then(kj::mv(on_timeout)));
}

}  // namespace ringkv::wire
