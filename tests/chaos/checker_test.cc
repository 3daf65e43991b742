// The checker on hand-made histories: it must catch each kind of violation it claims to,
// and accept what the store legitimately does (superseded writes, siblings).

#include <catch2/catch.hpp>

#include "cli/consistency_checker.h"
#include "common/vector_clock.h"
#include "tests/chaos/counter_checker.h"

using namespace ringkv;
using namespace ringkv::chaos;
using namespace ringkv::consistency;

namespace {

Clock::time_point At(int ms) { return Clock::time_point() + std::chrono::milliseconds(ms); }

Context ContextWith(std::initializer_list<std::pair<const char*, uint64_t>> entries) {
  VersionVector vv;
  for (const auto& [node, counter] : entries) vv.Advance(node, counter, 0);
  return Context(vv.Encode());
}

Op Put(const std::string& key, const std::string& value, Context ctx, int start, int end, bool ok = true) {
  Op op;
  op.kind = Op::kPut;
  op.key = key;
  op.value = value;
  op.context = std::move(ctx);
  op.start = At(start);
  op.end = At(end);
  op.ok = ok;
  return op;
}

Op Get(const std::string& key, std::vector<std::string> values, int start, int end, Context ctx = {}) {
  Op op;
  op.kind = Op::kGet;
  op.key = key;
  op.values = std::move(values);
  op.context = std::move(ctx);
  op.start = At(start);
  op.end = At(end);
  op.ok = true;
  return op;
}

Op Delete(const std::string& key, Context ctx, int start, int end) {
  Op op = Put(key, "", std::move(ctx), start, end);
  op.kind = Op::kDelete;
  return op;
}

// `write` carried the context of a read that returned `values`.
Op Replacing(std::vector<std::string> values, Op write) {
  write.replaced = std::move(values);
  return write;
}

GetResult Final(std::vector<std::string> values, Context ctx) {
  GetResult r;
  r.found = !values.empty();
  r.values = std::move(values);
  r.context = std::move(ctx);
  return r;
}

}  // namespace

TEST_CASE("the checker accepts a history where every acknowledged write survives or is superseded") {
  std::vector<Op> h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10), Get("k", {"a"}, 20, 30),
                       Put("k", "b", ContextWith({{"n1", 2}}), 40, 50),   // read "a", replaced it
                       Put("k", "c", ContextWith({{"n2", 1}}), 45, 55)};  // concurrent: a sibling
  auto report = Check(h, {{"k", Final({"b", "c"}, ContextWith({{"n1", 2}, {"n2", 1}}))}});
  CHECK(report.violations.empty());
  CHECK(report.acked_puts == 3);
  CHECK(report.superseded == 1);
}

TEST_CASE("the checker reports a lost write, a phantom value and a stale read") {
  SECTION("lost: gone, and the final clock does not cover it") {
    std::vector<Op> h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10),
                         Put("k", "b", ContextWith({{"n2", 1}}), 5, 15)};
    auto report = Check(h, {{"k", Final({"b"}, ContextWith({{"n2", 1}}))}});
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].kind == "lost");
    CHECK(report.Summary(h).find("lost k") != std::string::npos);
  }
  SECTION("lost: covered by the final clock, but nobody ever read it") {
    std::vector<Op> h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10),
                         Put("k", "b", ContextWith({{"n1", 2}}), 20, 30)};
    auto report = Check(h, {{"k", Final({"b"}, ContextWith({{"n1", 2}}))}});
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].kind == "lost");
    CHECK(report.violations[0].detail.find("no read ever returned it") != std::string::npos);
  }
  SECTION("lost: the key vanished entirely") {
    std::vector<Op> h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10)};
    auto report = Check(h, {});
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].kind == "lost");
  }
  SECTION("phantom: a value nobody wrote") {
    std::vector<Op> h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10), Get("k", {"zzz"}, 20, 30)};
    h[1].faults = true;  // (fault-free, it would also be a stale read)
    auto report = Check(h, {{"k", Final({"a"}, ContextWith({{"n1", 1}}))}});
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].kind == "phantom");
  }
  SECTION("stale: a fault-free read misses a write acknowledged before it began") {
    std::vector<Op> h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10),
                         Put("k", "b", ContextWith({{"n1", 2}}), 20, 30), Get("k", {"a"}, 40, 50)};
    auto report = Check(h, {{"k", Final({"b"}, ContextWith({{"n1", 2}}))}});
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].kind == "stale");
  }
  SECTION("not stale: the read overlapped the newer write, or ran during faults") {
    std::vector<Op> h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10),
                         Put("k", "b", ContextWith({{"n1", 2}}), 20, 60), Get("k", {"a"}, 40, 50)};
    CHECK(Check(h, {{"k", Final({"b"}, ContextWith({{"n1", 2}}))}}).violations.empty());
    std::vector<Op> faulty = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10),
                              Put("k", "b", ContextWith({{"n1", 2}}), 20, 30), Get("k", {"a"}, 40, 50)};
    faulty[2].faults = true;
    CHECK(Check(faulty, {{"k", Final({"b"}, ContextWith({{"n1", 2}}))}}).violations.empty());
  }
}

TEST_CASE("the checker measures how far behind each stale read was: max and median of the lags") {
  // b acknowledged at 30 ms; reads that returned a begin at 40, 130 and 530 ms: 10, 100 and
  // 500 ms behind. A fresh read adds nothing.
  std::vector<Op> h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10),
                       Put("k", "b", ContextWith({{"n1", 2}}), 20, 30),
                       Get("k", {"a"}, 530, 540),
                       Get("k", {"a"}, 40, 50),
                       Get("k", {"b"}, 60, 70),
                       Get("k", {"a"}, 130, 140)};
  auto report = Check(h, {{"k", Final({"b"}, ContextWith({{"n1", 2}}))}});
  CHECK(report.Count("stale") == 3);
  REQUIRE(report.stale_lags.size() == 3);
  CHECK(report.MaxStaleLag() == std::chrono::milliseconds(500));
  CHECK(report.MedianStaleLag() == std::chrono::milliseconds(100));

  auto fresh = Check({h[0], h[1], h[4]}, {{"k", Final({"b"}, ContextWith({{"n1", 2}}))}});
  CHECK(fresh.stale_lags.empty());
  CHECK(fresh.MaxStaleLag() == std::chrono::milliseconds(0));
  CHECK(fresh.MedianStaleLag() == std::chrono::milliseconds(0));
}

TEST_CASE("the checker counts acknowledged and lost puts by client") {
  // LWW resolved two concurrent puts to client 1's value: client 0's is gone, its clock
  // covered by the final version's, and nobody read it.
  std::vector<Op> h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10), Put("k", "b", ContextWith({{"n2", 1}}), 5, 15),
                       Put("j", "c", ContextWith({{"n1", 1}}), 20, 30), Put("j", "x", {}, 40, 50, /*ok=*/false)};
  h[0].client = 0;
  h[1].client = 1;
  h[2].client = 0;
  h[3].client = 2;  // not acknowledged: counted nowhere
  auto report = Check(
      h, {{"k", Final({"b"}, ContextWith({{"n1", 1}, {"n2", 1}}))}, {"j", Final({"c"}, ContextWith({{"n1", 1}}))}});
  REQUIRE(report.violations.size() == 1);
  CHECK(report.violations[0].kind == "lost");
  CHECK(report.acked_by_client == std::map<int, size_t>{{0, 2}, {1, 1}});
  CHECK(report.lost_by_client == std::map<int, size_t>{{0, 1}});
}

// A put or delete that carried a read's context replaced what the read returned: that
// value must not be read again once the write is acknowledged (issue 11: an abandoned
// coordinatePut applied late brought it back).
TEST_CASE("the checker reports a value that comes back after an acknowledged write replaced it") {
  std::vector<Op> h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10),
                       Get("k", {"a"}, 20, 30, ContextWith({{"n1", 1}}))};

  SECTION("a read after the replacing put returns the replaced value beside the new one") {
    h.push_back(Replacing({"a"}, Put("k", "b", ContextWith({{"n1", 2}}), 40, 50)));
    h.push_back(Get("k", {"a", "b"}, 60, 70, ContextWith({{"n1", 2}, {"n2", 1}})));
    h.push_back(Get("k", {"a", "b"}, 80, 90, ContextWith({{"n1", 2}, {"n2", 1}})));
    auto report = Check(h, {{"k", Final({"b"}, ContextWith({{"n1", 3}, {"n2", 1}}))}});
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].kind == "resurrected");
    CHECK(report.violations[0].detail.find("'a' (acknowledged put begun at 0 ms) came back after client 0's put of "
                                           "'b' replaced it (acknowledged at 50 ms)") != std::string::npos);
    CHECK(report.resurrecting_reads == 2);  // one value, returned by two reads: one violation
    CHECK(report.Summary(h).find("resurrected 1, returned by 2 reads") != std::string::npos);
  }
  SECTION("a read after the replacing delete returns the deleted value") {
    h.push_back(Replacing({"a"}, Delete("k", ContextWith({{"n1", 2}}), 40, 50)));
    h.push_back(Get("k", {"a"}, 60, 70, ContextWith({{"n1", 2}, {"n2", 1}})));
    auto report = Check(h, {{"k", Final({}, ContextWith({{"n1", 3}, {"n2", 1}}))}});
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].kind == "resurrected");
    CHECK(report.violations[0].detail.find("after client 0's delete replaced it") != std::string::npos);
    CHECK(report.acked_deletes == 1);
  }
  SECTION("the final state holds the replaced value, though no read returned it") {
    h.push_back(Replacing({"a"}, Put("k", "b", ContextWith({{"n1", 2}}), 40, 50)));
    auto report = Check(h, {{"k", Final({"a", "b"}, ContextWith({{"n1", 2}, {"n2", 1}}))}});
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].kind == "resurrected");
    CHECK(report.violations[0].detail.find("the final state holds it") != std::string::npos);
  }
  SECTION("one of two siblings the write replaced comes back") {
    h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10), Put("k", "c", ContextWith({{"n2", 1}}), 0, 10),
         Get("k", {"a", "c"}, 20, 30, ContextWith({{"n1", 1}, {"n2", 1}})),
         Replacing({"a", "c"}, Put("k", "b", ContextWith({{"n1", 2}, {"n2", 1}}), 40, 50)),
         Get("k", {"b", "c"}, 60, 70, ContextWith({{"n1", 2}, {"n2", 1}, {"n3", 1}}))};
    auto report = Check(h, {{"k", Final({"b"}, ContextWith({{"n1", 3}, {"n2", 1}, {"n3", 1}}))}});
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].kind == "resurrected");
    CHECK(report.violations[0].detail.find("'c'") == 0);
  }
}

TEST_CASE("the checker does not report as resurrected what the store may legitimately return") {
  std::vector<Op> h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10),
                       Get("k", {"a"}, 20, 30, ContextWith({{"n1", 1}}))};
  auto final_b = std::map<std::string, GetResult>{{"k", Final({"b"}, ContextWith({{"n1", 2}}))}};

  SECTION("a read that overlapped the replacing put, whatever its context") {
    h.push_back(Replacing({"a"}, Put("k", "b", ContextWith({{"n1", 2}}), 40, 50)));
    h.push_back(Get("k", {"a"}, 45, 55, ContextWith({{"n1", 2}})));
    CHECK(Check(h, final_b).violations.empty());
  }
  SECTION("a sibling from a concurrent writer that the replacing put's read never saw") {
    h.push_back(Put("k", "c", ContextWith({{"n2", 1}}), 25, 35));  // client 1, from no read
    h.back().client = 1;
    h.push_back(Replacing({"a"}, Put("k", "b", ContextWith({{"n1", 2}}), 40, 50)));
    h.push_back(Get("k", {"b", "c"}, 60, 70, ContextWith({{"n1", 2}, {"n2", 1}})));
    auto report = Check(h, {{"k", Final({"b", "c"}, ContextWith({{"n1", 2}, {"n2", 1}}))}});
    CHECK(report.violations.empty());
  }
  SECTION("a read under faults that has not seen the replacing write: stale, not resurrected") {
    // Its context does not cover the put: only replicas the put has not reached yet (a
    // wiped node, a hint on its way) answered it.
    h.push_back(Replacing({"a"}, Put("k", "b", ContextWith({{"n1", 2}}), 40, 50)));
    h.push_back(Get("k", {"a"}, 60, 70, ContextWith({{"n1", 1}})));
    h.back().faults = true;
    CHECK(Check(h, final_b).violations.empty());
  }
  SECTION("a write that carried no read's context replaced nothing") {
    h.push_back(Put("k", "b", ContextWith({{"n2", 1}}), 40, 50));  // blind: concurrent with "a"
    h.push_back(Get("k", {"a", "b"}, 60, 70, ContextWith({{"n1", 1}, {"n2", 1}})));
    auto report = Check(h, {{"k", Final({"a", "b"}, ContextWith({{"n1", 1}, {"n2", 1}}))}});
    CHECK(report.violations.empty());
  }
  SECTION("the value written again after it was replaced") {
    h.push_back(Replacing({"a"}, Put("k", "b", ContextWith({{"n1", 2}}), 40, 50)));
    h.push_back(Get("k", {"b"}, 51, 53, ContextWith({{"n1", 2}})));
    h.push_back(Replacing({"b"}, Put("k", "a", ContextWith({{"n1", 3}}), 55, 58)));
    h.push_back(Get("k", {"a"}, 60, 70, ContextWith({{"n1", 3}})));
    CHECK(Check(h, {{"k", Final({"a"}, ContextWith({{"n1", 3}}))}}).violations.empty());
  }
  SECTION("a key deleted and created again") {
    h.push_back(Replacing({"a"}, Delete("k", ContextWith({{"n1", 2}}), 40, 50)));
    h.push_back(Get("k", {}, 60, 70, ContextWith({{"n1", 2}})));
    h.push_back(Put("k", "b", ContextWith({{"n1", 3}}), 80, 90));
    h.push_back(Get("k", {"b"}, 100, 110, ContextWith({{"n1", 3}})));
    auto report = Check(h, {{"k", Final({"b"}, ContextWith({{"n1", 3}}))}});
    CHECK(report.violations.empty());
    CHECK(report.acked_deletes == 1);
    CHECK(report.reads == 3);  // fault-free reads after a delete are not stale for missing "a"
  }
}

namespace {

Op PutWithTtl(const std::string& key, const std::string& value, Context ctx, int start, int end, int ttl_ms) {
  Op op = Put(key, value, std::move(ctx), start, end);
  op.ttl = std::chrono::milliseconds(ttl_ms);
  return op;
}

}  // namespace

TEST_CASE("the checker counts a put whose value expired before the final read as expired, not lost") {
  std::vector<Op> h = {PutWithTtl("k", "a", ContextWith({{"n1", 1}}), 0, 10, 1000)};
  auto report = Check(h, {{"k", Final({}, ContextWith({{"n1", 1}}))}}, At(2000));
  CHECK(report.violations.empty());
  CHECK(report.expired == 1);

  SECTION("and as expired when it may have expired while the final reads ran") {
    auto during = Check(h, {{"k", Final({}, {})}}, At(500), At(1200));
    CHECK(during.violations.empty());
    CHECK(during.expired == 1);
  }
  SECTION("but as lost when the final reads ended before it could expire") {
    auto early = Check(h, {{"k", Final({}, {})}}, At(500), At(600));
    CHECK(early.Count("lost") == 1);
  }
}

TEST_CASE("the checker reports an expired value that a later read or the final state returns as resurrected") {
  std::vector<Op> h = {PutWithTtl("k", "a", ContextWith({{"n1", 1}}), 0, 10, 1000), Get("k", {"a"}, 500, 510),
                       Get("k", {"a"}, 1500, 1510)};
  auto report = Check(h, {{"k", Final({}, ContextWith({{"n1", 1}}))}}, At(2000));
  REQUIRE(report.Count("resurrected") == 1);
  CHECK(report.resurrecting_reads == 1);  // the read at 1500 ms, not the one at 500 ms

  SECTION("the final state holding it is one too") {
    std::vector<Op> quiet = {PutWithTtl("k", "a", ContextWith({{"n1", 1}}), 0, 10, 1000)};
    auto final_holds = Check(quiet, {{"k", Final({"a"}, ContextWith({{"n1", 1}}))}}, At(2000));
    CHECK(final_holds.Count("resurrected") == 1);
  }
}

TEST_CASE("the checker does not ask a fresh read for a value that may have expired before the read ended") {
  std::vector<Op> h = {PutWithTtl("k", "a", ContextWith({{"n1", 1}}), 0, 10, 1000), Get("k", {}, 950, 960)};
  CHECK(Check(h, {{"k", Final({}, {})}}, At(2000)).Count("stale") == 0);

  SECTION("but does for one read well before its expiry") {
    std::vector<Op> early = {PutWithTtl("k", "a", ContextWith({{"n1", 1}}), 0, 10, 1000), Get("k", {}, 100, 110)};
    CHECK(Check(early, {{"k", Final({}, {})}}, At(2000)).Count("stale") == 1);
  }
}

TEST_CASE("the counter checker accepts counts between acknowledged and attempted, and reports lost or doubled ones") {
  std::map<std::string, CounterTally> tallies = {{"a", {10, 7}}, {"b", {5, 5}}, {"c", {4, 2}}, {"d", {3, 3}}};
  CounterReport ok = CheckCounters(tallies, {{"a", 9}, {"b", 5}, {"c", 2}, {"d", 3}});
  CHECK(ok.violations.empty());
  CHECK(ok.failed_but_counted == 2);
  CounterReport bad = CheckCounters(tallies, {{"a", 6}, {"b", 5}, {"c", 5}});  // d missing: 0
  REQUIRE(bad.violations.size() == 3);
  CHECK(bad.violations[0].kind == "lost");
  CHECK(bad.violations[0].key == "a");
  CHECK(bad.violations[1].kind == "duplicated");
  CHECK(bad.violations[1].key == "c");
  CHECK(bad.violations[2].kind == "lost");
  CHECK(bad.violations[2].key == "d");
  CHECK_THAT(bad.Summary(), Catch::Contains("3 violations") && Catch::Contains("final 6, acknowledged 7"));
}
