// The replica choice (sdk/replica_choice.h) without a cluster: which replicas a request asks
// first, in what order, and how long it waits before asking another.

#include <limits>

#include <catch2/catch.hpp>

#include "sdk/replica_choice.h"

using namespace ringkv;
using namespace ringkv::sdk;
using namespace std::chrono_literals;

namespace {

std::vector<Replica> Three() { return {{"a", "a:1", "dc1"}, {"b", "b:1", "dc1"}, {"c", "c:1", "dc1"}}; }

std::vector<std::string> Ids(const std::vector<Replica>& v) {
  std::vector<std::string> out;
  for (const Replica& r : v) out.push_back(r.id);
  return out;
}

void Answers(LatencyTracker& t, const std::string& node, std::chrono::milliseconds took, int count = 10,
             CallKind kind = CallKind::kRead) {
  for (int i = 0; i < count; ++i) {
    uint64_t ticket = t.Started(node, kind, 1s);
    t.Ended(node, ticket, 1s + took);
  }
}

const auto kNoneDown = [](const Replica&) { return false; };
constexpr auto kNow = std::chrono::nanoseconds(1100ms);

}  // namespace

TEST_CASE("replicas about as fast as the best keep the preference order, so the primary still coordinates") {
  LatencyTracker t;
  Answers(t, "a", 3ms);
  Answers(t, "b", 2ms);
  Answers(t, "c", 2ms);
  // a at 3 ms is within 1.5 x 2 + 1 ms of the best: no reordering for noise.
  CHECK(Ids(FastestFirst(Three(), t, CallKind::kRead, kNow, {}, kNoneDown)) == std::vector<std::string>{"a", "b", "c"});
  // Unknown nodes score zero and are tried in preference order.
  LatencyTracker empty;
  CHECK(Ids(FastestFirst(Three(), empty, CallKind::kRead, kNow, {}, kNoneDown)) ==
        std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("a slow replica is asked last, and a slower one after it") {
  LatencyTracker t;
  Answers(t, "a", 20ms);
  Answers(t, "b", 2ms);
  Answers(t, "c", 2ms);
  CHECK(Ids(FastestFirst(Three(), t, CallKind::kRead, kNow, {}, kNoneDown)) == std::vector<std::string>{"b", "c", "a"});
  Answers(t, "b", 10ms, 40);  // b's average climbs towards 10 ms: out of the band, before a
  CHECK(Ids(FastestFirst(Three(), t, CallKind::kRead, kNow, {}, kNoneDown)) == std::vector<std::string>{"c", "b", "a"});
  // Writes are ranked by write answers: none yet, so the preference order.
  CHECK(Ids(FastestFirst(Three(), t, CallKind::kWrite, kNow, {}, kNoneDown)) ==
        std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("a replica whose oldest call waits past suspect_after goes after the healthy ones, known-down ones last") {
  LatencyTracker t;
  Answers(t, "a", 1ms);
  Answers(t, "b", 1ms);
  Answers(t, "c", 1ms);
  HedgingOptions o;
  o.suspect_after = 100ms;
  t.Started("a", CallKind::kWrite, kNow);  // a stopped answering: a write to it is in flight
  CHECK(IsSuspect(t, "a", kNow + 150ms, o));
  CHECK_FALSE(IsSuspect(t, "b", kNow + 150ms, o));
  auto b_down = [](const Replica& r) { return r.id == "b"; };
  CHECK(Ids(FastestFirst(Three(), t, CallKind::kRead, kNow + 150ms, o, b_down)) ==
        std::vector<std::string>{"c", "a", "b"});
  // Before suspect_after, its growing wait already ranks it behind the others.
  CHECK(Ids(FastestFirst(Three(), t, CallKind::kRead, kNow + 50ms, o, kNoneDown)) ==
        std::vector<std::string>{"b", "c", "a"});
}

TEST_CASE("a get asks R replicas first, all of them at ALL, and each DC's need per DC") {
  auto order = Three();
  CHECK(FirstAsks(order, 2, {}) == std::vector<size_t>{0, 1});
  CHECK(FirstAsks(order, 1, {}) == std::vector<size_t>{0});
  CHECK(FirstAsks(order, 3, {}) == std::vector<size_t>{0, 1, 2});
  std::vector<Replica> two_dcs = {{"w1", "", "west"}, {"e1", "", "east"}, {"w2", "", "west"},
                                  {"e2", "", "east"}, {"w3", "", "west"}, {"e3", "", "east"}};
  // EACH_QUORUM of 3 per DC: two of each, in the order given.
  CHECK(FirstAsks(two_dcs, 4, {{"west", 2}, {"east", 2}}) == std::vector<size_t>{0, 1, 2, 3});
  // Only the DCs that are counted are asked (and hedged to).
  CHECK(FirstAsks(two_dcs, 2, {{"east", 2}}) == std::vector<size_t>{1, 3});
  std::vector<bool> asked = {false, true, false, true, false, false};
  CHECK(NextAsk(two_dcs, asked, {{"east", 2}}) == 5u);
  CHECK(NextAsk(two_dcs, asked, {}) == 0u);
  CHECK_FALSE(NextAsk(order, {true, true, true}, {}).has_value());
}

TEST_CASE("the hedge delay is the largest p95 of the replicas asked, within its bounds") {
  LatencyTracker t;
  Answers(t, "a", 4ms);
  Answers(t, "b", 7ms);
  HedgingOptions o;
  o.min_delay = 2ms;
  o.max_delay = 50ms;
  std::vector<Replica> ab = {Three()[0], Three()[1]};
  CHECK(HedgeDelay(t, CallKind::kRead, ab, kNow, o) == 7ms);
  CHECK(HedgeDelay(t, CallKind::kRead, {Three()[0]}, kNow, o) == 4ms);
  Answers(t, "a", 0ms, 64);  // all answers instant: the lower bound
  CHECK(HedgeDelay(t, CallKind::kRead, {Three()[0]}, kNow, o) == 2ms);
  Answers(t, "b", 900ms, 64);
  CHECK(HedgeDelay(t, CallKind::kRead, ab, kNow + 1s, o) == 50ms);  // the upper bound
  // A replica asked with no recent answers: the upper bound (nothing says it will be quick).
  CHECK(HedgeDelay(t, CallKind::kRead, {Three()[2]}, kNow, o) == 50ms);
}

TEST_CASE("hedging options are checked") {
  HedgingOptions o;
  CHECK(ValidateHedging(o).ok());
  o.min_delay = 0ms;
  CHECK(ValidateHedging(o).IsInvalidArgument());
  o.min_delay = 60ms;
  CHECK(ValidateHedging(o).IsInvalidArgument());  // above max_delay
  o = HedgingOptions{};
  o.suspect_after = 0ms;
  CHECK(ValidateHedging(o).IsInvalidArgument());
  o = HedgingOptions{};
  o.budget_ratio = -0.1;
  CHECK(ValidateHedging(o).IsInvalidArgument());
  o.budget_ratio = 1.5;
  CHECK(ValidateHedging(o).IsInvalidArgument());
  o.budget_ratio = std::numeric_limits<double>::quiet_NaN();
  CHECK(ValidateHedging(o).IsInvalidArgument());
  o.budget_ratio = 0;  // never hedge: allowed
  CHECK(ValidateHedging(o).ok());
}
