// One round of a paged scan (sdk/scan_merge.h), without a cluster: what the frontier
// allows, how each key's replicas vote (a stream that passed a key without it says
// "nothing"), R, deletes and siblings, and when the scan is complete.

#include <catch2/catch.hpp>

#include <map>

#include "common/ring.h"
#include "sdk/scan_merge.h"

using namespace ringkv;
using namespace ringkv::sdk;

namespace {

uint64_t next_write_id = 1;
constexpr uint64_t kNow = 1'000'000;  // the client's clock: after every stamp here

// A set holding one value written through `node`.
SiblingSet Written(const std::string& node, const std::string& value) {
  SiblingSet set;
  Sibling write;
  write.write_id = next_write_id++;
  write.timestamp_ms = 1000 + write.write_id;
  write.value = value;
  set.Update(CausalContext{}, node, write);
  return set;
}

// `set` with a delete that saw it.
SiblingSet Deleted(SiblingSet set, const std::string& node) {
  Sibling tombstone;
  tombstone.write_id = next_write_id++;
  tombstone.timestamp_ms = 1000 + tombstone.write_id;
  tombstone.tombstone = true;
  set.Update(set.ReadContext(), node, tombstone);
  return set;
}

ScanStream Stream(const std::string& node, std::vector<std::pair<std::string, SiblingSet>> entries, bool more) {
  return ScanStream{node, true, std::move(entries), more};
}

// Every key is replicated on a, b and c.
std::vector<std::string> AllThree(std::string_view) { return {"a", "b", "c"}; }

std::vector<std::string> Keys(const ScanRound& round) {
  std::vector<std::string> out;
  for (const ScanKey& k : round.keys) out.push_back(k.stored_key);
  return out;
}

std::vector<std::string> Values(const ScanKey& key) {
  std::vector<std::string> out;
  for (const Sibling& s : key.merged.siblings()) {
    if (!s.tombstone) out.push_back(s.value);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("keys past the smallest last key of a cut stream are left for the next page") {
  SiblingSet v = Written("a", "v");
  std::vector<ScanStream> streams = {
      Stream("a", {{"k1", v}, {"k2", v}}, /*more=*/true),  // cut at k2
      Stream("b", {{"k1", v}, {"k2", v}, {"k3", v}, {"k4", v}}, true),
      Stream("c", {{"k1", v}, {"k2", v}, {"k3", v}}, false),
  };
  auto round = MergeScanStreams(streams, AllThree, 2, false, 100, kNow);
  REQUIRE(round.ok());
  CHECK(Keys(*round) == std::vector<std::string>{"k1", "k2"});
  CHECK(round->last == "k2");
  CHECK_FALSE(round->complete);
}

TEST_CASE("a replica whose uncut stream passed a key without it counts as a reply of nothing") {
  SiblingSet v = Written("a", "only-on-a");
  SECTION("with R=2 the key is returned: b answered that it holds nothing newer") {
    std::vector<ScanStream> streams = {Stream("a", {{"k", v}}, false), Stream("b", {}, false),
                                       ScanStream{"c", false, {}, false}};
    auto round = MergeScanStreams(streams, AllThree, 2, false, 100, kNow);
    REQUIRE(round.ok());
    REQUIRE(round->keys.size() == 1);
    CHECK(round->keys[0].replies == 2);
    CHECK(round->complete);
  }
  SECTION("with only one replica answering and R=2 the round fails, naming the silent ones") {
    std::vector<ScanStream> streams = {Stream("a", {{"k", v}}, false), ScanStream{"b", false, {}, false},
                                       ScanStream{"c", false, {}, false}};
    auto round = MergeScanStreams(streams, AllThree, 2, false, 100, kNow);
    REQUIRE_FALSE(round.ok());
    CHECK(round.status().IsQuorumNotReached());
    CHECK(round.status().message().find("b, c") != std::string::npos);
  }
}

TEST_CASE("a delete on one replica hides the older value another replica still holds") {
  SiblingSet old = Written("a", "old");
  SiblingSet gone = Deleted(old, "b");
  SiblingSet live = Written("a", "live");
  std::vector<ScanStream> streams = {
      Stream("a", {{"k1", old}, {"k2", live}}, false),
      Stream("b", {{"k1", gone}, {"k2", live}}, false),
      Stream("c", {{"k2", live}}, false),
  };
  auto round = MergeScanStreams(streams, AllThree, 2, false, 100, kNow);
  REQUIRE(round.ok());
  CHECK(Keys(*round) == std::vector<std::string>{"k2"});
  CHECK(round->last == "k2");
  CHECK(round->complete);
}

TEST_CASE("concurrent writes held by different replicas come back as siblings, or the newest under LWW") {
  SiblingSet x = Written("a", "x");
  SiblingSet y = Written("b", "y");
  std::vector<ScanStream> streams = {Stream("a", {{"k", x}}, false), Stream("b", {{"k", y}}, false),
                                     Stream("c", {}, false)};
  auto siblings = MergeScanStreams(streams, AllThree, 2, false, 100, kNow);
  REQUIRE(siblings.ok());
  REQUIRE(siblings->keys.size() == 1);
  CHECK(Values(siblings->keys[0]) == std::vector<std::string>{"x", "y"});
  auto lww = MergeScanStreams(streams, AllThree, 2, true, 100, kNow);
  REQUIRE(lww.ok());
  REQUIRE(lww->keys.size() == 1);
  CHECK(Values(lww->keys[0]) == std::vector<std::string>{"y"});  // the later stamp
}

TEST_CASE("a full page stops at max_keys and resumes after the last key it decided") {
  SiblingSet v = Written("a", "v");
  SiblingSet gone = Deleted(v, "a");
  std::vector<std::pair<std::string, SiblingSet>> entries = {{"k1", v}, {"k2", gone}, {"k3", v}, {"k4", v}};
  std::vector<ScanStream> streams = {Stream("a", entries, false), Stream("b", entries, false),
                                     Stream("c", entries, false)};
  auto round = MergeScanStreams(streams, AllThree, 2, false, 2, kNow);
  REQUIRE(round.ok());
  CHECK(Keys(*round) == std::vector<std::string>{"k1", "k3"});  // k2 skipped as deleted
  CHECK(round->last == "k3");
  CHECK_FALSE(round->complete);  // k4 remains
}

TEST_CASE("entries of a node that is not the key's replica are ignored") {
  SiblingSet v = Written("a", "v");
  SiblingSet stale = Written("d", "stale copy");
  auto replicas = [](std::string_view) { return std::vector<std::string>{"a", "b"}; };
  std::vector<ScanStream> streams = {Stream("a", {{"k", v}}, false), Stream("b", {{"k", v}}, false),
                                     Stream("d", {{"k", stale}, {"z", stale}}, false)};
  auto round = MergeScanStreams(streams, replicas, 2, false, 100, kNow);
  REQUIRE(round.ok());
  REQUIRE(round->keys.size() == 1);  // z: no replica holds it
  CHECK(Values(round->keys[0]) == std::vector<std::string>{"v"});
  CHECK(round->last == "z");
  CHECK(round->complete);
}

TEST_CASE("an empty namespace completes at once") {
  std::vector<ScanStream> streams = {Stream("a", {}, false), Stream("b", {}, false), Stream("c", {}, false)};
  auto round = MergeScanStreams(streams, AllThree, 2, false, 100, kNow);
  REQUIRE(round.ok());
  CHECK(round->keys.empty());
  CHECK_FALSE(round->last.has_value());
  CHECK(round->complete);
}

TEST_CASE("a page is trusted only when every token range has R replicas among the nodes that answered") {
  std::vector<RingNode> nodes(3);
  for (int i = 0; i < 3; ++i) {
    nodes[i].id = std::string(1, static_cast<char>('a' + i));
    nodes[i].address = "127.0.0." + std::to_string(i + 1) + ":1";
  }
  auto ring = Ring::Bootstrap(nodes, 16);
  REQUIRE(ring.ok());
  RingView view;
  view.ring = *ring;
  view.future = *ring;
  CHECK(CheckRangesCovered(view, 3, 2, {"a", "b"}).ok());
  Status one = CheckRangesCovered(view, 3, 2, {"a"}, "b: refused");
  CHECK(one.IsQuorumNotReached());
  CHECK(one.message().find("b: refused") != std::string::npos);
  CHECK(CheckRangesCovered(view, 3, 1, {"a"}).ok());
}

TEST_CASE("a scan round skips a key whose every value has expired by the client's clock, and keeps live ones") {
  Sibling expiring;
  expiring.write_id = next_write_id++;
  expiring.timestamp_ms = 1000;
  expiring.expires_at_ms = 2000;
  expiring.value = "otp";
  SiblingSet set;
  set.Update(CausalContext{}, "a", expiring);
  std::vector<ScanStream> streams = {Stream("a", {{"k1", set}, {"k2", Written("a", "live")}}, false),
                                     Stream("b", {{"k1", set}, {"k2", Written("b", "live")}}, false)};
  auto before = MergeScanStreams(streams, AllThree, 2, false, 100, 1500);
  REQUIRE(before.ok());
  CHECK(Keys(*before) == std::vector<std::string>{"k1", "k2"});
  auto after = MergeScanStreams(streams, AllThree, 2, false, 100, 2000);
  REQUIRE(after.ok());
  CHECK(Keys(*after) == std::vector<std::string>{"k2"});
  CHECK(after->last == std::optional<std::string>("k2"));
}
