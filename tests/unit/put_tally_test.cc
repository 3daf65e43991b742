// PutTally and CheckPutPossible: the counting of one put, without a cluster — W, per-DC
// needs (LOCAL_QUORUM, EACH_QUORUM), hint holders, pending replicas during a join, and
// how an undecided put ends (QuorumNotReached, Unavailable, TimedOut).

#include <catch2/catch.hpp>

#include "sdk/put_tally.h"

using namespace ringkv;
using namespace ringkv::sdk;

namespace {

Replica R(std::string id, std::string dc = "dc1") { return Replica{id, id + ":7000", std::move(dc)}; }

std::vector<Replica> Three() { return {R("a"), R("b"), R("c")}; }

QuorumSpec Spec(int n, int w) {
  QuorumSpec spec;
  spec.n = n;
  spec.w = w;
  return spec;
}

}  // namespace

TEST_CASE("W=2 of N=3: a put is decided once two distinct nodes hold it") {
  PutTally tally(Spec(3, 2), Three(), {});
  tally.CallStarted();
  tally.CallStarted();
  tally.Held("a", "dc1");
  CHECK_FALSE(tally.Verdict().has_value());
  tally.Held("a", "dc1");  // the same node again: still one ack
  CHECK(tally.acks() == 1);
  CHECK_FALSE(tally.Verdict().has_value());
  tally.Held("b", "dc1");
  auto verdict = tally.Verdict();
  REQUIRE(verdict.has_value());
  REQUIRE(verdict->ok());
  CHECK(**verdict == 2);
}

TEST_CASE("a fallback holding a hint counts toward W like a replica") {
  PutTally tally(Spec(3, 2), Three(), {});
  tally.Held("a", "dc1");
  tally.Held("fallback-d", "dc1");  // holds the write for b
  tally.outcomes().HintHeld("b", "fallback-d");
  REQUIRE(tally.Verdict().has_value());
  CHECK(tally.Verdict()->ok());
}

TEST_CASE("a put short of W fails with QuorumNotReached once nothing in flight can add a holder") {
  PutTally tally(Spec(3, 3), Three(), {});
  tally.CallStarted();
  tally.CallStarted();
  tally.Held("a", "dc1");
  tally.Failed("b", Status::IOError("disk full"));
  tally.CallSettled();
  CHECK_FALSE(tally.Verdict().has_value());  // c is still in flight
  tally.Failed("c", Status::Unavailable("connection refused"));
  tally.CallSettled();
  auto verdict = tally.Verdict();
  REQUIRE(verdict.has_value());
  REQUIRE(verdict->status().IsQuorumNotReached());
  CHECK(verdict->status().acked() == 1);
  CHECK(verdict->status().needed() == 3);
  CHECK_THAT(verdict->status().message(),
             Catch::Contains("b: IOError: disk full") && Catch::Contains("c: Unavailable"));
}

TEST_CASE("a put that reached no node at all is Unavailable, not QuorumNotReached") {
  PutTally tally(Spec(3, 2), Three(), {});
  for (const char* id : {"a", "b", "c"}) {
    tally.CallStarted();
    tally.Failed(id, Status::Unavailable("connection refused"));
    tally.CallSettled();
  }
  auto verdict = tally.Verdict();
  REQUIRE(verdict.has_value());
  CHECK(verdict->status().IsUnavailable());
}

TEST_CASE("during a join every pending replica must ack before the put succeeds") {
  PutTally tally(Spec(3, 2), Three(), {R("joiner")});
  tally.CallStarted();
  tally.Held("a", "dc1");
  tally.Held("b", "dc1");
  CHECK(tally.Enough());
  CHECK_FALSE(tally.Verdict().has_value());  // W reached, the joiner has not acked
  tally.PendingAcked("joiner");
  REQUIRE(tally.Verdict().has_value());
  CHECK(tally.Verdict()->ok());
}

TEST_CASE("a pending replica that fails leaves the put short once nothing is in flight") {
  PutTally tally(Spec(3, 2), Three(), {R("joiner")});
  tally.CallStarted();
  tally.Held("a", "dc1");
  tally.Held("b", "dc1");
  tally.Failed("joiner", Status::Unavailable("down"));
  tally.CallSettled();
  auto verdict = tally.Verdict();
  REQUIRE(verdict.has_value());
  CHECK(verdict->status().IsQuorumNotReached());
  CHECK(verdict->status().acked() == 2);
}

TEST_CASE("EACH_QUORUM needs a quorum in every DC, counted by the DC of the replica each holder stands for") {
  QuorumSpec spec = Spec(6, 4);
  spec.need_per_dc = {{"west", 2}, {"east", 2}};
  std::vector<Replica> replicas = {R("w1", "west"), R("w2", "west"), R("w3", "west"),
                                   R("e1", "east"), R("e2", "east"), R("e3", "east")};
  PutTally tally(spec, replicas, {});
  tally.CallStarted();
  tally.Held("w1", "west");
  tally.Held("w2", "west");
  tally.Held("w3", "west");
  tally.Held("e1", "east");
  CHECK_FALSE(tally.Enough());  // four acks, but only one in the east
  CHECK(tally.DcOf("e2") == "east");
  tally.Held("w-fallback", tally.DcOf("e2"));  // a west node holding a hint for e2 counts for the east
  CHECK(tally.Enough());
}

TEST_CASE("LOCAL_QUORUM counts only the local DC's acks") {
  QuorumSpec spec = Spec(3, 2);
  spec.need_per_dc = {{"west", 2}};
  PutTally tally(spec, {R("w1", "west"), R("w2", "west"), R("w3", "west")}, {});
  tally.Held("e1", "east");
  tally.Held("e2", "east");
  tally.Held("w1", "west");
  CHECK_FALSE(tally.Enough());
  tally.Held("w2", "west");
  CHECK(tally.Enough());
}

TEST_CASE("at the deadline a put is TimedOut with its acks and each silent replica named once") {
  PutTally tally(Spec(3, 2), Three(), {});
  tally.CallStarted();
  tally.Held("a", "dc1");
  tally.Failed("b", Status::TimedOut("b:7000: no answer in time"));
  Status st = tally.TimedOut(std::chrono::milliseconds(1500));
  REQUIRE(st.IsTimedOut());
  CHECK(st.acked() == 1);
  CHECK(st.needed() == 2);
  CHECK_THAT(st.message(), Catch::Contains("1500 ms") && Catch::Contains("c: no answer in time"));
  CHECK_THAT(st.message(), !Catch::Contains("a: "));
}

TEST_CASE("sloppy quorum counts fallbacks as possible holders, strict quorum counts replicas only") {
  Targets targets;
  targets.replicas = {R("a"), R("b")};  // N=3 asked, but the ring has only two replicas for the key
  targets.fallbacks = {R("d")};
  QuorumSpec spec = Spec(3, 3);
  CHECK(CheckPutPossible(targets, spec).ok());
  spec.sloppy = false;
  Status strict = CheckPutPossible(targets, spec);
  CHECK(strict.IsQuorumNotReached());
  CHECK_THAT(strict.message(), Catch::Contains("only 2 nodes could hold the key"));
  CHECK(CheckPutPossible(Targets{}, Spec(3, 1)).IsQuorumNotReached());  // no replica at all
}
