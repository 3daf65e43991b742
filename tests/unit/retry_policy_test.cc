// The retry policy's arithmetic (sdk/retry_policy.h), without a cluster: the backoff
// schedule (doubling to a ceiling, jitter within its fraction, with fixed draws and with a
// seeded rng), which failures are retried, the attempt bound and the request's deadline.

#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "sdk/retry_policy.h"

using namespace ringkv;
using namespace ringkv::sdk;
using std::chrono::milliseconds;

namespace {

RetryPolicy NoJitter(int max_attempts = 10) {
  RetryPolicy p;
  p.max_attempts = max_attempts;
  p.initial_backoff = milliseconds(20);
  p.max_backoff = milliseconds(500);
  p.jitter = 0;
  return p;
}

Status Transient() { return Status::QuorumNotReached(1, 2, "b: refused"); }

}  // namespace

TEST_CASE("without jitter the backoff doubles from initial_backoff and stops at max_backoff") {
  RetryPolicy p = NoJitter();
  std::vector<int64_t> waits;
  for (int retry = 1; retry <= 7; ++retry) waits.push_back(Backoff(p, retry, 0.5).count());
  CHECK(waits == std::vector<int64_t>{20, 40, 80, 160, 320, 500, 500});
  CHECK(Backoff(p, 1000, 0.5) == milliseconds(500));  // far retries neither overflow nor grow
}

TEST_CASE("jitter takes at most its fraction off each wait, and u = 0 waits the full backoff") {
  RetryPolicy p = NoJitter();
  p.jitter = 0.5;
  CHECK(Backoff(p, 3, 0.0) == milliseconds(80));
  CHECK(Backoff(p, 3, 0.5) == milliseconds(60));
  CHECK(Backoff(p, 3, 0.999) == milliseconds(41));  // just above 80 * (1 - 0.5)
  p.jitter = 1.0;                                   // full jitter: anywhere in (0, b]
  CHECK(Backoff(p, 3, 0.75) == milliseconds(20));
}

TEST_CASE("with a seeded rng the waits stay inside [b * (1 - jitter), b] and are spread out") {
  RetryPolicy p = NoJitter();
  p.jitter = 0.5;
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (int retry = 1; retry <= 6; ++retry) {
    int64_t b = std::min<int64_t>(20LL << (retry - 1), 500);
    std::set<int64_t> seen;
    for (int i = 0; i < 200; ++i) {
      int64_t wait = Backoff(p, retry, uniform(rng)).count();
      REQUIRE(wait <= b);
      REQUIRE(wait >= b / 2);
      seen.insert(wait);
    }
    CHECK(seen.size() > 5);  // two clients that failed together do not retry together
  }
}

TEST_CASE("only quorum-not-reached, unavailable and timed-out failures are retried") {
  RetryPolicy p = NoJitter();
  milliseconds plenty(10'000);
  CHECK(NextRetry(p, 1, Status::QuorumNotReached(1, 2, ""), plenty, 0) == milliseconds(20));
  CHECK(NextRetry(p, 1, Status::Unavailable("all refused"), plenty, 0) == milliseconds(20));
  CHECK(NextRetry(p, 1, Status::TimedOut(300, 1, 2, ""), plenty, 0) == milliseconds(20));
  for (const Status& s : {Status::InvalidArgument("bad key"), Status::Unauthenticated("no token"),
                          Status::Exists("k holds a value"), Status::Aborted("internal"), Status::StaleRing("newer"),
                          Status::NotFound("ns"), Status::Busy("b"), Status::Corruption("c")}) {
    INFO(s.ToString());
    CHECK_FALSE(NextRetry(p, 1, s, plenty, 0).has_value());
  }
}

TEST_CASE("a request makes at most max_attempts attempts, and one with max_attempts 1 never retries") {
  RetryPolicy p = NoJitter(3);
  milliseconds plenty(10'000);
  CHECK(NextRetry(p, 1, Transient(), plenty, 0) == milliseconds(20));
  CHECK(NextRetry(p, 2, Transient(), plenty, 0) == milliseconds(40));
  CHECK_FALSE(NextRetry(p, 3, Transient(), plenty, 0).has_value());
  CHECK_FALSE(NextRetry(NoJitter(1), 1, Transient(), plenty, 0).has_value());
}

TEST_CASE("no retry is made when its wait would use up the time left before the deadline") {
  RetryPolicy p = NoJitter();
  CHECK(NextRetry(p, 3, Transient(), milliseconds(81), 0) == milliseconds(80));
  CHECK_FALSE(NextRetry(p, 3, Transient(), milliseconds(80), 0).has_value());
  CHECK_FALSE(NextRetry(p, 1, Transient(), milliseconds(0), 0).has_value());
}

TEST_CASE("an attempt gets the time left, capped by attempt_timeout when one is set") {
  RetryPolicy p = NoJitter();
  CHECK(AttemptTimeout(p, milliseconds(1500)) == milliseconds(1500));
  p.attempt_timeout = milliseconds(400);
  CHECK(AttemptTimeout(p, milliseconds(1500)) == milliseconds(400));
  CHECK(AttemptTimeout(p, milliseconds(250)) == milliseconds(250));
}

TEST_CASE("a policy with a bad field is refused, naming the field") {
  CHECK(ValidateRetryPolicy(RetryPolicy{}).ok());
  RetryPolicy p;
  p.max_attempts = 0;
  CHECK_THAT(ValidateRetryPolicy(p).message(), Catch::Contains("max_attempts"));
  p = RetryPolicy{};
  p.initial_backoff = milliseconds(2000);
  CHECK_THAT(ValidateRetryPolicy(p).message(), Catch::Contains("initial_backoff"));
  p = RetryPolicy{};
  p.max_backoff = milliseconds(-1);
  CHECK(ValidateRetryPolicy(p).IsInvalidArgument());
  p = RetryPolicy{};
  p.jitter = 1.5;
  CHECK_THAT(ValidateRetryPolicy(p).message(), Catch::Contains("jitter"));
  p.jitter = std::numeric_limits<double>::quiet_NaN();
  CHECK_THAT(ValidateRetryPolicy(p).message(), Catch::Contains("jitter"));
  p = RetryPolicy{};
  p.attempt_timeout = milliseconds(0);
  CHECK_THAT(ValidateRetryPolicy(p).message(), Catch::Contains("attempt_timeout"));
}

TEST_CASE("Annotated keeps a status's code and counts and appends the note") {
  Status s = Status::QuorumNotReached(2, 3, "c: refused").Annotated("gave up after 3 attempts");
  CHECK(s.IsQuorumNotReached());
  CHECK(s.acked() == 2);
  CHECK(s.needed() == 3);
  CHECK_THAT(s.message(), Catch::EndsWith("(c: refused); gave up after 3 attempts"));
  CHECK(Status::OK().Annotated("x").ok());
  CHECK(Status::Exists("k").IsExists());
  CHECK(Status::Exists("k").ToString() == "Exists: k");
}

TEST_CASE("Connect refuses a bad retry policy before it contacts any node") {
  ClientOptions options;
  options.seeds = {"127.0.0.1:1"};  // nothing listens there: a contact would fail otherwise
  options.retry.max_attempts = 0;
  auto client = Client::Connect(options);
  REQUIRE_FALSE(client.ok());
  CHECK(client.status().IsInvalidArgument());
  CHECK_THAT(client.status().message(), Catch::Contains("max_attempts"));
}
