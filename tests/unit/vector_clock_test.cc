#include <random>

#include <catch2/catch.hpp>

#include "common/vector_clock.h"

using namespace ringkv;

namespace {

VersionVector VV(std::initializer_list<std::pair<const char*, uint64_t>> entries) {
  VersionVector vv;
  for (const auto& [node, counter] : entries) vv.Advance(node, counter, 0);
  return vv;
}

Sibling Write(std::string value, uint64_t write_id = 0, uint64_t ts = 1) {
  Sibling s;
  s.value = std::move(value);
  s.write_id = write_id;
  s.timestamp_ms = ts;
  return s;
}

std::vector<std::string> Values(const SiblingSet& set) {
  std::vector<std::string> out;
  for (const auto& s : set.siblings()) out.push_back(s.value);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("version vectors compare as equal, before, after or concurrent") {
  REQUIRE(VV({{"a", 1}}).Compare(VV({{"a", 1}})) == Causality::kEqual);
  REQUIRE(VV({{"a", 1}}).Compare(VV({{"a", 2}})) == Causality::kBefore);
  REQUIRE(VV({{"a", 2}, {"b", 1}}).Compare(VV({{"a", 2}})) == Causality::kAfter);
  REQUIRE(VV({{"a", 2}}).Compare(VV({{"b", 1}})) == Causality::kConcurrent);
  REQUIRE(VersionVector().Compare(VV({{"a", 1}})) == Causality::kBefore);
}

TEST_CASE("merging version vectors takes the pointwise maximum") {
  VersionVector a = VV({{"a", 3}, {"b", 1}});
  a.Merge(VV({{"b", 4}, {"c", 2}}));
  REQUIRE(a == VV({{"a", 3}, {"b", 4}, {"c", 2}}));
}

TEST_CASE("pruning evicts the least recently advanced entries but never a pinned one") {
  VersionVector vv;
  for (int i = 0; i < 20; ++i) vv.Advance("n" + std::to_string(i), 1, static_cast<uint64_t>(100 + i));
  vv.Prune(10, {"n0"});
  REQUIRE(vv.size() == 10);
  REQUIRE(vv.Get("n0") == 1);   // pinned although oldest
  REQUIRE(vv.Get("n1") == 0);   // evicted: oldest unpinned
  REQUIRE(vv.Get("n19") == 1);  // newest kept
}

TEST_CASE("version vectors and sibling sets round-trip through their encodings and garbage is refused") {
  SiblingSet set;
  set.Update({}, "n1", Write("v1", 7));
  set.Update({}, "n2", Write("v2", 8));
  auto decoded = SiblingSet::Decode(set.Encode());
  REQUIRE(decoded.ok());
  REQUIRE(*decoded == set);

  std::mt19937 rng(1);
  std::string bytes = set.Encode();
  for (int i = 0; i < 2000; ++i) {
    std::string mutated = bytes;
    mutated[rng() % mutated.size()] ^= static_cast<char>(1 + rng() % 255);
    mutated.resize(rng() % (mutated.size() + 1));
    (void)SiblingSet::Decode(mutated);  // must not crash (ASan checks reads)
    (void)VersionVector::Decode(mutated);
  }
  REQUIRE_FALSE(VersionVector::Decode("\x05").ok());
  REQUIRE_FALSE(SiblingSet::Decode("").ok());
}

TEST_CASE("concurrent puts with the same context become siblings") {
  SiblingSet replica;
  VersionVector ctx;  // both clients read nothing
  replica.Update(ctx, "n1", Write("from-alice"));
  replica.Update(ctx, "n1", Write("from-bob"));
  REQUIRE(Values(replica) == std::vector<std::string>{"from-alice", "from-bob"});

  // A client that read both writes back a merge with the returned context: one value.
  replica.Update(replica.context(), "n1", Write("merged"));
  REQUIRE(Values(replica) == std::vector<std::string>{"merged"});
}

TEST_CASE("concurrent puts coordinated by different replicas meet as siblings when the replicas sync") {
  SiblingSet base;
  base.Update({}, "n1", Write("v0"));
  SiblingSet r1 = base, r2 = base;
  VersionVector ctx = base.context();
  r1.Update(ctx, "n1", Write("via-n1"));
  r2.Update(ctx, "n2", Write("via-n2"));
  SiblingSet a = r1, b = r2;
  a.Merge(r2);
  b.Merge(r1);
  REQUIRE(a == b);  // merge is commutative
  REQUIRE(Values(a) == std::vector<std::string>{"via-n1", "via-n2"});
  SiblingSet again = a;
  again.Merge(a);
  REQUIRE(again == a);  // and idempotent
}

TEST_CASE("a newer write replaces what it has seen on every replica after sync") {
  SiblingSet r1, r2;
  r1.Update({}, "n1", Write("old"));
  r2.Merge(r1);
  r1.Update(r1.context(), "n1", Write("new"));
  r2.Merge(r1);
  REQUIRE(Values(r2) == std::vector<std::string>{"new"});
  // A stale replica's old state does not bring "old" back.
  SiblingSet stale;
  stale.Update({}, "n1", Write("old"));
  r2.Merge(stale);
  REQUIRE(Values(r2) == std::vector<std::string>{"new"});
}

TEST_CASE("interleaved writers keep at most one sibling each: no sibling explosion, no lost write") {
  SiblingSet replica;
  VersionVector alice, bob;  // each writer keeps the context its last put returned
  for (int round = 0; round < 1000; ++round) {
    replica.Update(alice, "n1", Write("alice-" + std::to_string(round)));
    alice = replica.context();
    replica.Update(bob, "n1", Write("bob-" + std::to_string(round)));
    bob = replica.context();
    REQUIRE(replica.siblings().size() <= 2);
  }
  // Each put supersedes the writer's own previous value and what it had seen of the other's;
  // the two last writes never saw each other, so both stand.
  REQUIRE(Values(replica) == std::vector<std::string>{"alice-999", "bob-999"});
}

TEST_CASE("a retried put with the same write id is applied once") {
  SiblingSet replica;
  Dot first = replica.Update({}, "n1", Write("v", 42));
  for (int i = 0; i < 10; ++i) REQUIRE(replica.Update({}, "n1", Write("v", 42)) == first);
  REQUIRE(replica.siblings().size() == 1);
}

TEST_CASE("last-writer-wins keeps only the newest sibling") {
  SiblingSet set;
  set.Update({}, "n1", Write("older", 0, 100));
  set.Update({}, "n2", Write("newer", 0, 200));
  set.Update({}, "n3", Write("oldest", 0, 50));
  set.ResolveLww();
  REQUIRE(Values(set) == std::vector<std::string>{"newer"});
}

TEST_CASE("the causal context stays bounded however many coordinators wrote") {
  SiblingSet set;
  for (int i = 0; i < 100; ++i) set.Update(set.context(), "n" + std::to_string(i), Write("v", 0, static_cast<uint64_t>(i)));
  REQUIRE(set.context().size() <= SiblingSet::kMaxClockEntries);
  REQUIRE(set.siblings().size() == 1);
  REQUIRE(set.context().Covers(set.siblings()[0].dot));
}

TEST_CASE("a delete is a tombstone sibling and a set of tombstones reads as deleted") {
  SiblingSet set;
  set.Update({}, "n1", Write("v"));
  Sibling del;
  del.tombstone = true;
  set.Update(set.context(), "n1", del);
  REQUIRE(set.AllTombstones());
  REQUIRE(set.siblings().size() == 1);
}

TEST_CASE("merge reports whether the other set told it anything new") {
  SiblingSet a;
  a.Update({}, "n1", Write("v1"));
  SiblingSet copy = a;
  REQUIRE_FALSE(copy.Merge(a));  // the same state: nothing to store
  REQUIRE(copy == a);

  SiblingSet b = a;
  b.Update(b.context(), "n2", Write("v2"));  // supersedes v1
  REQUIRE(a.Merge(b));
  REQUIRE(Values(a) == std::vector<std::string>{"v2"});
  REQUIRE_FALSE(a.Merge(b));

  SiblingSet older;
  older.Update({}, "n1", Write("v1"));
  REQUIRE_FALSE(a.Merge(older));  // a dominated set changes nothing
  REQUIRE(Values(a) == std::vector<std::string>{"v2"});

  SiblingSet concurrent;
  concurrent.Update({}, "n3", Write("v3"));
  REQUIRE(a.Merge(concurrent));
  REQUIRE(Values(a) == std::vector<std::string>{"v2", "v3"});
}

TEST_CASE("a put retried through two coordinators is one write, not two siblings") {
  Sibling w;
  w.value = "v";
  w.write_id = 77;
  w.timestamp_ms = 1;
  SiblingSet at_a, at_b;
  at_a.Update({}, "a", w);  // the first coordinator applied it, but its answer was lost
  at_b.Update({}, "b", w);  // the client retried through another replica
  SiblingSet merged = at_a;
  merged.Merge(at_b);
  REQUIRE(merged.siblings().size() == 1);
  CHECK(merged.context().Get("a") == 1);  // both dots stay covered: neither can come back
  CHECK(merged.context().Get("b") == 1);
  SiblingSet other_order = at_b;
  other_order.Merge(at_a);
  CHECK(other_order == merged);
}

TEST_CASE("a dot counter never goes below the floor a node passes") {
  SiblingSet set;
  Sibling w;
  w.value = "v";
  Dot d = set.Update({}, "a", w, 1000);
  CHECK(d.counter == 1000);
  w.write_id = 5;
  CHECK(set.Update(set.context(), "a", w, 10).counter == 1001);
}
