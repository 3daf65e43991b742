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
  for (int i = 0; i < 100; ++i)
    set.Update(set.context(), "n" + std::to_string(i), Write("v", 0, static_cast<uint64_t>(i)));
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

// ---- late duplicates of superseded writes (docs/architecture.md, "Late write attempts") ----

namespace {

// Replica "b" applies the write the client first sent to "a"; the client reads it and
// replaces it (or deletes it) with that read's context.
struct Replaced {
  SiblingSet at_b;
  Sibling first;
};

Replaced WriteReadReplace(bool as_delete) {
  Replaced r;
  r.first = Write("v1", 101, 1000);
  r.at_b.Update({}, "b", r.first);
  CausalContext read = r.at_b.ReadContext();
  Sibling second = as_delete ? Write("", 102, 1100) : Write("v2", 102, 1100);
  second.tombstone = as_delete;
  r.at_b.Update(read, "b", second);
  return r;
}

}  // namespace

TEST_CASE("a late duplicate of a replaced write does not survive a merge with the write that replaced it") {
  for (bool as_delete : {false, true}) {
    Replaced r = WriteReadReplace(as_delete);
    SiblingSet at_a;  // the paused replica applies the abandoned first attempt, under its own dot
    Dot late = at_a.Update({}, "a", r.first);
    REQUIRE(late.node == "a");
    REQUIRE_FALSE(r.at_b.context().Covers(late));  // what made it come back before

    SiblingSet merged = at_a;
    merged.Merge(r.at_b);
    SiblingSet other_order = r.at_b;
    other_order.Merge(at_a);
    REQUIRE(merged == other_order);
    REQUIRE(merged.siblings().size() == 1);
    CHECK(merged.siblings()[0].write_id == 102);
    CHECK(merged.AllTombstones() == as_delete);
    CHECK(merged.IsRetired(101));
  }
}

TEST_CASE("a replica that has seen a write replaced applies nothing when a late attempt of it arrives") {
  Replaced r = WriteReadReplace(/*as_delete=*/true);
  SiblingSet before = r.at_b;
  REQUIRE(r.at_b.Classify(r.first) == WriteFate::kSuperseded);
  CHECK(r.at_b.Update({}, "b", r.first) == Dot{});
  CHECK(r.at_b == before);
}

TEST_CASE("a put supersedes the writes its context read by id, also under a dot its clock does not cover") {
  Sibling first = Write("v1", 101, 1000);
  SiblingSet at_b, at_d;
  at_b.Update({}, "b", first);
  at_d.Update({}, "a", first);              // a duplicate of the same write, coordinated by "a", reached "d"
  CausalContext read = at_b.ReadContext();  // the client read b's copy
  REQUIRE(read.read == std::vector<WriteRef>{WriteRef{101, 1000}});
  at_d.Update(read, "d", Write("v2", 102, 1100));
  REQUIRE(Values(at_d) == std::vector<std::string>{"v2"});
  CHECK(at_d.IsRetired(101));
}

TEST_CASE("a write id that is live on either side is never retired by a merge") {
  // s coordinated the write twice (a and b) and kept the lower dot; its clock covers both.
  Sibling w = Write("v", 7, 1000);
  SiblingSet s;
  s.Update({}, "b", w);
  SiblingSet via_a;
  via_a.Update({}, "a", w);
  s.Merge(via_a);
  REQUIRE(s.siblings().size() == 1);
  SiblingSet t;  // holds only b's dot, which s's clock covers but s does not hold
  t.Update({}, "b", w);
  for (SiblingSet x : {s, t}) {
    x.Merge(x.siblings()[0].dot.node == "a" ? t : s);
    REQUIRE(Values(x) == std::vector<std::string>{"v"});
    CHECK_FALSE(x.IsRetired(7));
  }
}

TEST_CASE("retired ids are bounded, a write older than the forgotten ones is refused, a newer one is not") {
  SiblingSet set;
  for (uint64_t i = 1; i <= SiblingSet::kMaxRetired + 8; ++i) {
    set.Update(set.ReadContext(), "n1", Write("v" + std::to_string(i), i, 1000 + i));
  }
  REQUIRE(set.retired().size() == SiblingSet::kMaxRetired);
  REQUIRE(set.retired_floor_ms() == 1000 + 7);                             // 39 replaced, the oldest 7 forgotten
  CHECK(set.Classify(Write("late", 5, 1005)) == WriteFate::kTooOld);       // forgotten: cannot tell
  CHECK(set.Classify(Write("late", 20, 1020)) == WriteFate::kSuperseded);  // still remembered
  CHECK(set.Classify(Write("new", 999, 5000)) == WriteFate::kNew);
  Sibling stale = Write("stale", 998, 1001);
  CHECK(set.Update({}, "n2", stale) == Dot{});
}

TEST_CASE("forgetting retired ids by age keeps every live version") {
  Replaced r = WriteReadReplace(/*as_delete=*/false);
  SiblingSet set = r.at_b;
  REQUIRE(set.ForgetRetiredBefore(1001));
  CHECK(set.retired().empty());
  CHECK(Values(set) == std::vector<std::string>{"v2"});
  CHECK_FALSE(set.ForgetRetiredBefore(1001));
}

TEST_CASE("a set's retired history round-trips through its encoding and stays out of its version hash input") {
  Replaced r = WriteReadReplace(/*as_delete=*/false);
  auto decoded = SiblingSet::Decode(r.at_b.Encode());
  REQUIRE(decoded.ok());
  CHECK(*decoded == r.at_b);
  SiblingSet forgotten = r.at_b;
  forgotten.ForgetRetiredBefore(5000);
  CHECK(forgotten.EncodeVersions() == r.at_b.EncodeVersions());  // repair does not chase forgotten ids
  CHECK(forgotten.Encode() == forgotten.EncodeVersions());       // no history: the original format
  CHECK_FALSE(SiblingSet::Decode(r.at_b.Encode() + "x").ok());
}

TEST_CASE("a context decodes from its own encoding and from an older client's bare clock") {
  CausalContext c{VV({{"a", 3}, {"b", 1}}), {WriteRef{9, 100}, WriteRef{10, 200}}};
  auto decoded = CausalContext::Decode(c.Encode());
  REQUIRE(decoded.ok());
  CHECK(decoded->clock == c.clock);
  CHECK(decoded->read == c.read);
  auto legacy = CausalContext::Decode(c.clock.Encode());
  REQUIRE(legacy.ok());
  CHECK(legacy->clock == c.clock);
  CHECK(legacy->read.empty());
  CHECK(CausalContext::Decode("").ok());
  CHECK_FALSE(CausalContext::Decode(c.Encode().substr(0, 5)).ok());
}

TEST_CASE(
    "a last-writer-wins set stays resolved through merges that do not ask for it, and keeps the mode when encoded") {
  SiblingSet a, b;
  a.Update({}, "n1", Write("older", 1, 100));
  a.ResolveLww();
  b.Update({}, "n2", Write("newer", 2, 200));  // concurrent, from a replica that merges without LWW
  SiblingSet merged = b;
  REQUIRE(merged.Merge(a));  // repair and handoff merge like this
  CHECK(Values(merged) == std::vector<std::string>{"newer"});
  CHECK(merged.last_writer_wins());
  SiblingSet other_order = a;
  other_order.Merge(b);
  CHECK(other_order == merged);
  auto decoded = SiblingSet::Decode(merged.Encode());
  REQUIRE(decoded.ok());
  CHECK(decoded->last_writer_wins());
  CHECK_FALSE(decoded->Merge(merged));
}

TEST_CASE("a write applied to a last-writer-wins set by a coordinator that does not know the mode stays resolved") {
  // A node that has not heard of an LWW namespace yet coordinates a concurrent write to a
  // key whose stored set came from one that had (CI once found such a set undecodable).
  SiblingSet stored;
  stored.Update({}, "n1", Write("first", 1, 100));
  stored.ResolveLww();
  stored.Update({}, "n3", Write("second", 2, 200));  // no context: concurrent; no ResolveLww call
  CHECK(Values(stored) == std::vector<std::string>{"second"});
  CHECK(stored.last_writer_wins());
  auto decoded = SiblingSet::Decode(stored.Encode());
  INFO(decoded.status().ToString());
  REQUIRE(decoded.ok());
  CHECK(*decoded == stored);
}

// ---- TTL: expiring siblings ----

namespace {

Sibling Expiring(std::string value, uint64_t write_id, uint64_t ts, uint64_t expires_at_ms) {
  Sibling s = Write(std::move(value), write_id, ts);
  s.expires_at_ms = expires_at_ms;
  return s;
}

}  // namespace

TEST_CASE("a sibling's expiry round-trips through the set encoding, and a set stored before TTL decodes unchanged") {
  SiblingSet set;
  set.Update({}, "n1", Expiring("session", 7, 1000, 31000));
  set.Update({}, "n2", Write("forever", 8, 1000));
  auto decoded = SiblingSet::Decode(set.Encode());
  REQUIRE(decoded.ok());
  CHECK(*decoded == set);
  CHECK(decoded->siblings()[0].expires_at_ms == 31000);
  CHECK(decoded->siblings()[1].expires_at_ms == 0);

  // The version-1 bytes a node wrote before expiries existed: context {n1:1}, one live
  // sibling (n1,1) with write id 7, stamp 1000, flags 0, value "v".
  std::string old_bytes = std::string("\x01", 1) + "\x01\x02n1\x01\xe8\x07" + "\x01\x02n1\x01" +
                          std::string("\x07\0\0\0\0\0\0\0", 8) + "\xe8\x07" + std::string("\0", 1) + "\x01v";
  auto old = SiblingSet::Decode(old_bytes);
  REQUIRE(old.ok());
  REQUIRE(old->siblings().size() == 1);
  CHECK(old->siblings()[0].value == "v");
  CHECK(old->siblings()[0].expires_at_ms == 0);
  CHECK(old->Encode() == old_bytes);  // a set without expiries still encodes byte for byte as before

  std::string with_expiry = set.Encode();
  CHECK_FALSE(SiblingSet::Decode(with_expiry.substr(0, with_expiry.size() - 12)).ok());
}

TEST_CASE("an expired sibling reads as a tombstone of the same write and still supersedes what it replaced") {
  // Replica A and B both hold v0. A client reads it and replaces it with v1 (ttl: expires
  // at 5000) through A; B misses the write. After the expiry, A and B sync either way.
  SiblingSet a;
  a.Update({}, "a", Write("v0", 1, 1000));
  SiblingSet b = a;
  a.Update(a.ReadContext(), "a", Expiring("v1", 2, 2000, 5000));
  CHECK_FALSE(a.Expire(4999));
  CHECK(Values(a) == std::vector<std::string>{"v1"});

  REQUIRE(a.Expire(5000));
  REQUIRE(a.siblings().size() == 1);
  const Sibling& gone = a.siblings()[0];
  CHECK(gone.tombstone);
  CHECK(gone.value.empty());
  CHECK(gone.write_id == 2);
  CHECK(gone.expires_at_ms == 5000);
  CHECK(a.AllTombstones());

  SiblingSet a_then_b = a;
  a_then_b.Merge(b);  // read repair, hints or Merkle repair bringing the older value to A
  CHECK(a_then_b.AllTombstones());
  CHECK(Values(a_then_b) == std::vector<std::string>{""});
  SiblingSet b_then_a = b;
  b_then_a.Merge(a);  // ...or A's state reaching the stale replica
  CHECK(b_then_a.AllTombstones());
  CHECK(b_then_a == a_then_b);
}

TEST_CASE("an expired sibling leaves a concurrent value standing, and in LWW the newer expired write wins") {
  SiblingSet a, b;
  a.Update({}, "a", Expiring("short", 1, 1000, 2000));
  b.Update({}, "b", Write("concurrent", 2, 1500));
  SiblingSet merged = a;
  merged.Merge(b);
  merged.Expire(3000);
  CHECK(Values(merged) == std::vector<std::string>{"", "concurrent"});
  CHECK_FALSE(merged.AllTombstones());
  CHECK(merged.AllExpireAt() == 0);  // a live value never expires: the key never does

  SiblingSet lww_old, lww_new;
  lww_old.Update({}, "a", Write("older", 3, 1000));
  lww_new.Update({}, "b", Expiring("newer", 4, 2000, 2500));
  lww_old.ResolveLww();
  lww_old.Merge(lww_new);
  lww_old.Expire(2500);
  CHECK(lww_old.AllTombstones());  // the older value does not come back when the newer expires
}

TEST_CASE("replicas agree on an expiring set's version hash input whether or not they dropped its value") {
  SiblingSet holder;
  holder.Update({}, "a", Expiring("bytes", 1, 1000, 2000));
  SiblingSet dropped = holder;
  REQUIRE(dropped.Expire(2000));
  CHECK(dropped.Encode() != holder.Encode());
  CHECK(dropped.EncodeVersions() == holder.EncodeVersions());  // Merkle repair sees no difference
  CHECK_FALSE(holder.Merge(dropped));                          // and a merge of the two tells neither anything new
  CHECK(holder.AllExpireAt() == 2000);
  CHECK(holder.EncodeExpiredAt(2000) == dropped.Encode());
  CHECK(holder.EncodeExpiredAt(1999) == holder.Encode());
}
