// GetTally: the counting of one read, without a cluster — R, the failure threshold,
// per-DC needs, Unavailable vs QuorumNotReached, and TimedOut at the deadline.

#include <catch2/catch.hpp>

#include "sdk/get_tally.h"

using namespace ringkv;
using namespace ringkv::sdk;

namespace {

Replica R(std::string id, std::string dc = "dc1") { return Replica{id, id + ":7000", std::move(dc)}; }

std::vector<Replica> Three() { return {R("a"), R("b"), R("c")}; }

}  // namespace

TEST_CASE("R=2 of N=3: a read answers once two replicas replied") {
  GetTally tally(2, {}, Three());
  REQUIRE(tally.CheckPossible().ok());
  tally.Replied(R("a"));
  CHECK_FALSE(tally.Verdict().has_value());
  tally.Replied(R("c"));
  REQUIRE(tally.Verdict().has_value());
  CHECK(tally.Verdict()->ok());
  CHECK_FALSE(tally.AllSettled());  // b still open: read repair waits for it
}

TEST_CASE("a read fails as soon as N - R + 1 replicas failed, without waiting for the rest") {
  GetTally tally(2, {}, Three());
  tally.Failed(R("a"), Status::IOError("bad block"));
  CHECK_FALSE(tally.Verdict().has_value());
  tally.Failed(R("b"), Status::IOError("bad block"));
  auto verdict = tally.Verdict();
  REQUIRE(verdict.has_value());
  CHECK(verdict->IsQuorumNotReached());
  CHECK(verdict->acked() == 0);
  CHECK(verdict->needed() == 2);
}

TEST_CASE("while every failure is an unreachable node the read waits to tell Unavailable from QuorumNotReached") {
  SECTION("all unreachable: Unavailable") {
    GetTally tally(2, {}, Three());
    tally.Failed(R("a"), Status::Unavailable("refused"));
    tally.Failed(R("b"), Status::Unavailable("refused"));
    CHECK_FALSE(tally.Verdict().has_value());  // decided short, but c may still answer
    tally.Failed(R("c"), Status::Unavailable("refused"));
    REQUIRE(tally.Verdict().has_value());
    CHECK(tally.Verdict()->IsUnavailable());
  }
  SECTION("the last one answers: QuorumNotReached with one reply") {
    GetTally tally(2, {}, Three());
    tally.Failed(R("a"), Status::Unavailable("refused"));
    tally.Failed(R("b"), Status::Unavailable("refused"));
    tally.Replied(R("c"));
    REQUIRE(tally.Verdict().has_value());
    CHECK(tally.Verdict()->IsQuorumNotReached());
    CHECK(tally.Verdict()->acked() == 1);
    CHECK(tally.AllSettled());
  }
}

TEST_CASE("a read of more replicas than exist is refused before anything is sent") {
  GetTally tally(3, {}, {R("a"), R("b")});
  Status st = tally.CheckPossible();
  CHECK(st.IsQuorumNotReached());
  CHECK_THAT(st.message(), Catch::Contains("only 2 replicas exist for the key"));
}

TEST_CASE("EACH_QUORUM reads need a quorum of replies from every DC") {
  std::vector<Replica> asked = {R("w1", "west"), R("w2", "west"), R("w3", "west"),
                                R("e1", "east"), R("e2", "east"), R("e3", "east")};
  GetTally tally(4, {{"west", 2}, {"east", 2}}, asked);
  REQUIRE(tally.CheckPossible().ok());
  tally.Replied(R("w1", "west"));
  tally.Replied(R("w2", "west"));
  tally.Replied(R("w3", "west"));
  tally.Replied(R("e1", "east"));
  CHECK_FALSE(tally.Verdict().has_value());  // four replies, one east
  tally.Failed(R("e2", "east"), Status::IOError("x"));
  tally.Failed(R("e3", "east"), Status::IOError("x"));
  REQUIRE(tally.Verdict().has_value());  // the east can no longer reach 2
  CHECK(tally.Verdict()->IsQuorumNotReached());
}

TEST_CASE("a per-DC need larger than the DC's replicas is impossible from the start") {
  GetTally tally(2, {{"east", 2}}, {R("w1", "west"), R("e1", "east")});
  CHECK(tally.CheckPossible().IsQuorumNotReached());
}

TEST_CASE("at the deadline a read is TimedOut naming each replica that did not reply") {
  GetTally tally(2, {}, Three());
  tally.Replied(R("a"));
  Status st = tally.TimedOut(std::chrono::milliseconds(800));
  REQUIRE(st.IsTimedOut());
  CHECK(st.acked() == 1);
  CHECK_THAT(st.message(), Catch::Contains("b: no answer in time") && Catch::Contains("c: no answer in time"));
  CHECK_THAT(st.message(), !Catch::Contains("a: "));
}
