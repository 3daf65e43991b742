// The checker on hand-made histories: it must catch each kind of violation it claims to,
// and accept what the store legitimately does (superseded writes, siblings).

#include <catch2/catch.hpp>

#include "common/vector_clock.h"
#include "tests/chaos/checker.h"

using namespace ringkv;
using namespace ringkv::chaos;

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

Op Get(const std::string& key, std::vector<std::string> values, int start, int end) {
  Op op;
  op.kind = Op::kGet;
  op.key = key;
  op.values = std::move(values);
  op.start = At(start);
  op.end = At(end);
  op.ok = true;
  return op;
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
                       Put("k", "b", ContextWith({{"n1", 2}}), 40, 50),  // read "a", replaced it
                       Put("k", "c", ContextWith({{"n2", 1}}), 45, 55)};  // concurrent: a sibling
  auto report = Check(h, {{"k", Final({"b", "c"}, ContextWith({{"n1", 2}, {"n2", 1}}))}});
  CHECK(report.violations.empty());
  CHECK(report.acked_puts == 3);
  CHECK(report.superseded == 1);
}

TEST_CASE("the checker reports a lost write, a phantom value and a stale read") {
  SECTION("lost: gone, and the final clock does not cover it") {
    std::vector<Op> h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10), Put("k", "b", ContextWith({{"n2", 1}}), 5, 15)};
    auto report = Check(h, {{"k", Final({"b"}, ContextWith({{"n2", 1}}))}});
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].kind == "lost");
    CHECK(report.Summary(h).find("lost k") != std::string::npos);
  }
  SECTION("lost: covered by the final clock, but nobody ever read it") {
    std::vector<Op> h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10), Put("k", "b", ContextWith({{"n1", 2}}), 20, 30)};
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
    std::vector<Op> h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10), Put("k", "b", ContextWith({{"n1", 2}}), 20, 30),
                         Get("k", {"a"}, 40, 50)};
    auto report = Check(h, {{"k", Final({"b"}, ContextWith({{"n1", 2}}))}});
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].kind == "stale");
  }
  SECTION("not stale: the read overlapped the newer write, or ran during faults") {
    std::vector<Op> h = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10), Put("k", "b", ContextWith({{"n1", 2}}), 20, 60),
                         Get("k", {"a"}, 40, 50)};
    CHECK(Check(h, {{"k", Final({"b"}, ContextWith({{"n1", 2}}))}}).violations.empty());
    std::vector<Op> faulty = {Put("k", "a", ContextWith({{"n1", 1}}), 0, 10), Put("k", "b", ContextWith({{"n1", 2}}), 20, 30),
                              Get("k", {"a"}, 40, 50)};
    faulty[2].faults = true;
    CHECK(Check(faulty, {{"k", Final({"b"}, ContextWith({{"n1", 2}}))}}).violations.empty());
  }
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
  auto report = Check(h, {{"k", Final({"b"}, ContextWith({{"n1", 1}, {"n2", 1}}))},
                          {"j", Final({"c"}, ContextWith({{"n1", 1}}))}});
  REQUIRE(report.violations.size() == 1);
  CHECK(report.violations[0].kind == "lost");
  CHECK(report.acked_by_client == std::map<int, size_t>{{0, 2}, {1, 1}});
  CHECK(report.lost_by_client == std::map<int, size_t>{{0, 1}});
}
