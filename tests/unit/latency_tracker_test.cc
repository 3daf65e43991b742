// The latency estimator (sdk/latency_tracker.h) without a cluster: its moving average and
// p95 per node and kind of call, the age of a node's oldest call in flight (how a node that
// stops answering shows before any timeout), and forgetting old answers.

#include <catch2/catch.hpp>

#include "sdk/latency_tracker.h"

using namespace ringkv::sdk;
using namespace std::chrono_literals;
using Ms = LatencyTracker::Ms;

namespace {

// One call to `node` of `kind` that starts at `start` and is answered `took` later.
void Answer(LatencyTracker& t, const std::string& node, std::chrono::nanoseconds start, std::chrono::nanoseconds took,
            CallKind kind = CallKind::kRead) {
  uint64_t ticket = t.Started(node, kind, start);
  t.Ended(node, ticket, start + took);
}

}  // namespace

TEST_CASE("a node never called has no estimate and a score of zero, so it is tried") {
  LatencyTracker t;
  CHECK_FALSE(t.Average("a", CallKind::kRead, 1s).has_value());
  CHECK_FALSE(t.P95("a", CallKind::kRead, 1s).has_value());
  CHECK(t.OldestInFlight("a", 1s) == Ms(0));
  CHECK(t.Score("a", CallKind::kRead, 1s) == Ms(0));
}

TEST_CASE("the moving average starts at the first answer and moves a tenth of the way to each next one") {
  LatencyTracker t;
  Answer(t, "a", 1s, 10ms);
  CHECK(t.Average("a", CallKind::kRead, 1s + 10ms)->count() == Approx(10));
  Answer(t, "a", 1s + 20ms, 20ms);
  CHECK(t.Average("a", CallKind::kRead, 1s + 40ms)->count() == Approx(11));
}

TEST_CASE("reads and writes are estimated apart, so a write's log wait does not slow the node's reads") {
  LatencyTracker t;
  Answer(t, "a", 1s, 1ms, CallKind::kRead);
  Answer(t, "a", 1s, 9ms, CallKind::kWrite);
  CHECK(t.Average("a", CallKind::kRead, 1s + 10ms)->count() == Approx(1));
  CHECK(t.Average("a", CallKind::kWrite, 1s + 10ms)->count() == Approx(9));
}

TEST_CASE("the p95 is taken over the last 64 answers") {
  LatencyTracker t;
  auto at = std::chrono::nanoseconds(1s);
  // 100 answers of 1..100 ms: the window holds the last 64 (37..100), whose p95 is 97.
  for (int ms = 1; ms <= 100; ++ms) {
    Answer(t, "a", at, std::chrono::milliseconds(ms));
    at += 1ms;
  }
  auto p95 = t.P95("a", CallKind::kRead, at);
  REQUIRE(p95.has_value());
  // Recomputed every 8 answers: within the last 8 of the exact value.
  CHECK(p95->count() >= 90);
  CHECK(p95->count() <= 97);
  // A few answers: the p95 is the largest of them.
  LatencyTracker few;
  Answer(few, "b", 1s, 2ms);
  Answer(few, "b", 1s, 7ms);
  Answer(few, "b", 1s, 3ms);
  CHECK(few.P95("b", CallKind::kRead, 1s + 10ms)->count() == Approx(7));
}

TEST_CASE("a node that stops answering shows in its oldest call's age before anything times out") {
  LatencyTracker t;
  Answer(t, "a", 1s, 1ms);
  uint64_t stuck = t.Started("a", CallKind::kRead, 2s);
  t.Started("a", CallKind::kWrite, 2s + 50ms);
  CHECK(t.InFlight("a") == 2);
  CHECK(t.OldestInFlight("a", 2s + 300ms).count() == Approx(300));
  // The score is the larger of the average (1 ms) and that age.
  CHECK(t.Score("a", CallKind::kRead, 2s + 300ms).count() == Approx(300));
  // Once the oldest call ends (here: given up on after 500 ms, counted as an answer that
  // took that long), the next oldest speaks for the node.
  t.Ended("a", stuck, 2s + 500ms);
  CHECK(t.OldestInFlight("a", 2s + 500ms).count() == Approx(450));
  CHECK(t.Average("a", CallKind::kRead, 2s + 500ms)->count() == Approx(1 + 0.1 * (500 - 1)));
}

TEST_CASE("answers older than forget_after are forgotten, and an unknown ticket is ignored") {
  LatencyTracker t(2s);
  Answer(t, "a", 1s, 40ms);
  CHECK(t.Average("a", CallKind::kRead, 2s).has_value());
  CHECK_FALSE(t.Average("a", CallKind::kRead, 4s).has_value());  // last answer 3 s ago
  CHECK(t.Score("a", CallKind::kRead, 4s) == Ms(0));
  // The next answer starts afresh, not averaged with the forgotten 40 ms.
  Answer(t, "a", 4s, 2ms);
  CHECK(t.Average("a", CallKind::kRead, 4s + 2ms)->count() == Approx(2));
  CHECK(t.P95("a", CallKind::kRead, 4s + 2ms)->count() == Approx(2));
  t.Ended("a", 12345, 5s);
  t.Ended("nobody", 1, 5s);
  CHECK(t.InFlight("a") == 0);
}
