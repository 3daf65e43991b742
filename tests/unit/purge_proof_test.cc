// The purge rule's bookkeeping (node/repair/purge_proof.h) and decision
// (node/repair/purge_guard.h: DecidePurge), without a cluster: rings built here, time from
// a ManualClock.

#include <catch2/catch.hpp>

#include <memory>

#include "common/clock.h"
#include "node/repair/purge_guard.h"
#include "node/repair/purge_proof.h"

using namespace ringkv;

namespace {

constexpr uint64_t kDayMs = 24 * 3600 * 1000;

// Three nodes, one token each, N=3: every node replicates every range.
std::shared_ptr<RingView> ThreeNodes(uint64_t version) {
  auto view = std::make_shared<RingView>();
  view->version = version;
  view->replication_factor = 3;
  auto ring = Ring::FromNodes({RingNode{"a", "a:1", "dc1", "", {100}}, RingNode{"b", "b:1", "dc1", "", {200}},
                               RingNode{"c", "c:1", "dc1", "", {300}}});
  REQUIRE(ring.ok());
  view->ring = *ring;
  view->future = *ring;
  return view;
}

RepairSession Session(std::string peer, uint64_t generation, uint64_t ring_version, uint64_t seq) {
  return RepairSession{std::move(peer), generation, ring_version, TokenRange{}, seq, true, true};
}

const PurgeProof::Generations kGenerations{{"a", 1}, {"b", 1}, {"c", 1}};

}  // namespace

TEST_CASE("the proof of a range is the least session start over its other replicas", "[purge]") {
  PurgeProof proof("a");
  proof.OnRing(*ThreeNodes(7));
  CHECK_FALSE(proof.ProvenThrough(150, kGenerations).has_value());
  proof.SessionCompleted(Session("b", 1, 7, 40));
  CHECK_FALSE(proof.ProvenThrough(150, kGenerations).has_value());  // no session with c yet
  proof.SessionCompleted(Session("c", 1, 7, 25));
  REQUIRE(proof.ProvenThrough(150, kGenerations).has_value());
  CHECK(*proof.ProvenThrough(150, kGenerations) == 25);
  proof.SessionCompleted(Session("c", 1, 7, 60));
  CHECK(*proof.ProvenThrough(150, kGenerations) == 40);
  CHECK(proof.Gaps(kGenerations).unproven == 0);
}

TEST_CASE("a session that did not exchange both ways proves nothing", "[purge]") {
  PurgeProof proof("a");
  proof.OnRing(*ThreeNodes(7));
  RepairSession pulled_only = Session("b", 1, 7, 40);
  pulled_only.pushed = false;
  RepairSession pushed_only = Session("c", 1, 7, 40);
  pushed_only.pulled = false;
  CHECK_FALSE(proof.SessionCompleted(pulled_only));
  CHECK_FALSE(proof.SessionCompleted(pushed_only));
  CHECK(proof.Gaps(kGenerations).missing == std::set<std::string>{"b", "c"});
}

TEST_CASE("a ring change resets the proof of the ranges it changed and keeps the others", "[purge]") {
  PurgeProof proof("a");
  proof.OnRing(*ThreeNodes(7));
  proof.SessionCompleted(Session("b", 1, 7, 40));
  proof.SessionCompleted(Session("c", 1, 7, 40));
  REQUIRE(proof.ProvenThrough(150, kGenerations).has_value());

  // A session on an older ring version counts for nothing.
  proof.OnRing(*ThreeNodes(8));  // same layout, new version: every range unchanged
  CHECK(proof.ProvenThrough(150, kGenerations).has_value());
  CHECK_FALSE(proof.SessionCompleted(Session("b", 1, 7, 90)));

  // Node d joins with token 250: the range (200, 300] splits, its replicas change.
  auto grown = std::make_shared<RingView>(*ThreeNodes(9));
  auto ring = Ring::FromNodes({RingNode{"a", "a:1", "dc1", "", {100}}, RingNode{"b", "b:1", "dc1", "", {200}},
                               RingNode{"c", "c:1", "dc1", "", {300}}, RingNode{"d", "d:1", "dc1", "", {250}}});
  REQUIRE(ring.ok());
  grown->ring = *ring;
  grown->future = *ring;
  proof.OnRing(*grown);
  PurgeProof::Generations gens = kGenerations;
  gens["d"] = 1;
  CHECK_FALSE(proof.ProvenThrough(260, gens).has_value());  // (250, 300]: new, replicas c, a, b
  CHECK_FALSE(proof.ProvenThrough(150, gens).has_value());  // (100, 200]: replicas b, d, c now
}

TEST_CASE("a peer's new incarnation voids its marks until a session with it", "[purge]") {
  PurgeProof proof("a");
  proof.OnRing(*ThreeNodes(7));
  proof.SessionCompleted(Session("b", 1, 7, 40));
  proof.SessionCompleted(Session("c", 1, 7, 40));
  PurgeProof::Generations restarted = kGenerations;
  restarted["c"] = 2;  // c was restarted (perhaps wiped)
  CHECK_FALSE(proof.ProvenThrough(150, restarted).has_value());
  CHECK(proof.SessionCompleted(Session("c", 2, 7, 10)));  // a lower sequence, but the new incarnation
  REQUIRE(proof.ProvenThrough(150, restarted).has_value());
  CHECK(*proof.ProvenThrough(150, restarted) == 10);
}

TEST_CASE("a tombstone is purged only past its grace, with proof, and with no older hint pending", "[purge]") {
  ManualClock clock;
  PurgeProof proof("a");
  PurgeInputs in;
  in.view = ThreeNodes(7);
  in.generations = kGenerations;
  in.default_grace_ms = 10 * kDayMs;
  in.grace_ms["carts"] = 1 * kDayMs;
  proof.OnRing(*in.view);
  const std::string key = "k";
  uint64_t deleted_at = clock.WallMs();

  // Too young, whatever the proof.
  CHECK(DecidePurge(in, proof, key, 5, deleted_at, clock.WallMs()) == PurgeVerdict::kTooYoung);
  clock.Advance(std::chrono::milliseconds(11 * kDayMs));
  // Past the grace, no proof: kept, and counted as awaiting proof.
  CHECK(DecidePurge(in, proof, key, 5, deleted_at, clock.WallMs()) == PurgeVerdict::kAwaitingProof);
  proof.SessionCompleted(Session("b", 1, 7, 10));
  proof.SessionCompleted(Session("c", 1, 7, 10));
  CHECK(DecidePurge(in, proof, key, 5, deleted_at, clock.WallMs()) == PurgeVerdict::kPurge);
  // An entry written after the sessions began (a tombstone that came late, by a hint).
  CHECK(DecidePurge(in, proof, key, 11, deleted_at, clock.WallMs()) == PurgeVerdict::kAwaitingProof);

  // A hint for a replica, older than the tombstone, is pending somewhere.
  in.oldest_hint["c"] = deleted_at - 1000;
  CHECK(DecidePurge(in, proof, key, 5, deleted_at, clock.WallMs()) == PurgeVerdict::kAwaitingProof);
  in.oldest_hint["c"] = deleted_at + kSkewMarginMs + 1;  // written after the delete: no threat
  CHECK(DecidePurge(in, proof, key, 5, deleted_at, clock.WallMs()) == PurgeVerdict::kPurge);
  in.oldest_hint.clear();
  in.oldest_hint["dc:dc1"] = 0;  // a cross-DC queue toward the replicas' DC, of unknown age
  CHECK(DecidePurge(in, proof, key, 5, deleted_at, clock.WallMs()) == PurgeVerdict::kAwaitingProof);
}

TEST_CASE("the grace is the namespace's", "[purge]") {
  PurgeInputs in;
  in.default_grace_ms = 10 * kDayMs;
  in.grace_ms["carts"] = kDayMs;
  CHECK(GraceOf(in, "plain-key") == 10 * kDayMs);
  CHECK(GraceOf(in, StoredKey("carts", 3, "k")) == kDayMs);
  CHECK(GraceOf(in, StoredKey("gone", 3, "k")) == 10 * kDayMs);  // unknown or dropped: the default
}

TEST_CASE("a range is within another on the circle, wrap-around included", "[purge]") {
  CHECK(RangeWithin({10, 20}, {}));
  CHECK(RangeWithin({10, 20}, {5, 20}));
  CHECK(RangeWithin({10, 20}, {10, 30}));
  CHECK_FALSE(RangeWithin({10, 20}, {15, 30}));
  CHECK(RangeWithin({~uint64_t{0} - 5, 3}, {~uint64_t{0} - 10, 10}));
  CHECK_FALSE(RangeWithin({}, {1, 2}));
}
