#include <cstdio>
#include <map>
#include <random>

#include <catch2/catch.hpp>

#include "common/ring.h"
#include "node/repair/anti_entropy.h"
#include "node/repair/merkle.h"

using namespace ringkv;

namespace {

// One replica's data in memory.
class MapSource final : public KeySource {
 public:
  Status ForEach(const TokenRange& range, const std::function<void(std::string_view, const SiblingSet&)>& fn) override {
    if (fail) return Status::IOError("disk on fire");
    for (const auto& [k, v] : data) {
      if (range.Contains(Ring::KeyToken(k))) fn(k, v);
    }
    return Status::OK();
  }
  Result<std::optional<SiblingSet>> Get(std::string_view key) override {
    auto it = data.find(std::string(key));
    if (it == data.end()) return std::optional<SiblingSet>();
    return std::optional<SiblingSet>(it->second);
  }
  Status Merge(std::string_view key, const SiblingSet& set) override {
    data[std::string(key)].Merge(set);
    return Status::OK();
  }
  std::map<std::string, SiblingSet> data;
  bool fail = false;
};

SiblingSet Write(const std::string& node, const std::string& value, const SiblingSet& base = {}) {
  SiblingSet set = base;
  Sibling s;
  s.value = value;
  s.timestamp_ms = 1;
  set.Update(base.context(), node, s);
  return set;
}

Result<RepairStats> Sync(MapSource& a, MapSource& b, TokenRange range, int depth) {
  RINGKV_ASSIGN(MerkleTree ta, MerkleTree::Build(a, range, depth));
  RINGKV_ASSIGN(MerkleTree tb, MerkleTree::Build(b, range, depth));
  LocalPeer peer(tb, b);
  return Reconcile(ta, a, peer);
}

uint64_t RootOf(MapSource& s, TokenRange range, int depth) {
  return MerkleTree::Build(s, range, depth)->Node(0, 0).hash;
}

}  // namespace

TEST_CASE("two replicas of 100k keys with 1% divergence converge, moving under 3x the differing data") {
  MapSource a, b;
  std::string value(100, 'v');
  for (int i = 0; i < 100000; ++i) {
    std::string key = "key-" + std::to_string(i);
    SiblingSet set = Write("n1", value + std::to_string(i));
    a.data[key] = set;
    b.data[key] = set;
  }
  // 1% diverges: a third missing on b, a third missing on a, a third updated on both sides concurrently.
  std::mt19937_64 rng(3);
  std::map<std::string, SiblingSet> expected;
  uint64_t differing_bytes = 0;
  auto bytes = [](const std::string& k, const SiblingSet& s) { return k.size() + s.Encode().size(); };
  for (int n = 0; n < 1000; ++n) {
    std::string key = "key-" + std::to_string(rng() % 100000);
    if (expected.count(key)) continue;
    switch (n % 3) {
      case 0:
        b.data.erase(key);
        break;
      case 1:
        a.data.erase(key);
        break;
      case 2:
        a.data[key] = Write("n1", "left", a.data[key]);
        b.data[key] = Write("n2", "right", b.data[key]);
        break;
    }
    SiblingSet merged = a.data.count(key) ? a.data[key] : SiblingSet();
    if (b.data.count(key)) merged.Merge(b.data[key]);
    expected[key] = merged;
    if (a.data.count(key)) differing_bytes += bytes(key, a.data[key]);
    if (b.data.count(key)) differing_bytes += bytes(key, b.data[key]);
  }
  int depth = AntiEntropy::DepthFor(a.data.size());
  auto stats = Sync(a, b, TokenRange{}, depth);
  REQUIRE(stats.ok());
  uint64_t moved = stats->bytes_sent + stats->bytes_received;
  double ratio = static_cast<double>(moved) / static_cast<double>(differing_bytes);
  std::printf(
      "merkle: depth %d, %zu differing keys (%llu bytes), %llu keys pulled, %llu pushed, %llu bytes "
      "exchanged in %llu calls: %.2fx the differing data\n",
      depth, expected.size(), static_cast<unsigned long long>(differing_bytes),
      static_cast<unsigned long long>(stats->keys_pulled), static_cast<unsigned long long>(stats->keys_pushed),
      static_cast<unsigned long long>(moved), static_cast<unsigned long long>(stats->rounds), ratio);
  std::printf("merkle: %llu tree nodes compared, %llu digests\n",
              static_cast<unsigned long long>(stats->nodes_compared),
              static_cast<unsigned long long>(stats->digests_exchanged));
  CHECK(ratio < 3.0);
  CHECK(a.data == b.data);
  CHECK(RootOf(a, {}, depth) == RootOf(b, {}, depth));
  for (const auto& [key, merged] : expected) {
    INFO(key);
    REQUIRE(a.data.count(key) == 1);
    CHECK(a.data[key] == merged);
  }
  // The concurrent updates came back as two siblings, not one winner.
  size_t two_siblings = std::count_if(expected.begin(), expected.end(),
                                      [&](const auto& kv) { return a.data[kv.first].siblings().size() == 2; });
  CHECK(two_siblings > 250);
}

TEST_CASE("identical replicas exchange only their roots") {
  MapSource a, b;
  for (int i = 0; i < 5000; ++i) a.data["k" + std::to_string(i)] = b.data["k" + std::to_string(i)] = Write("n1", "x");
  auto stats = Sync(a, b, {}, 12);
  REQUIRE(stats.ok());
  CHECK(stats->rounds == 1);
  CHECK(stats->nodes_compared == 1);
  CHECK(stats->digests_exchanged == 0);
  CHECK(stats->keys_pulled + stats->keys_pushed == 0);
}

TEST_CASE("an empty replica gets everything, and two empty ones exchange nothing") {
  MapSource full, empty;
  for (int i = 0; i < 3000; ++i) full.data["k" + std::to_string(i)] = Write("n1", "x");
  auto stats = Sync(empty, full, {}, 10);
  REQUIRE(stats.ok());
  CHECK(stats->keys_pulled == 3000);
  CHECK(empty.data == full.data);
  MapSource none1, none2;
  auto nothing = Sync(none1, none2, {}, 8);
  REQUIRE(nothing.ok());
  CHECK(nothing->rounds == 1);
}

TEST_CASE("a sub-range repair compares and moves only keys in the range") {
  MapSource a, b;
  for (int i = 0; i < 4000; ++i) a.data["k" + std::to_string(i)] = Write("n1", "x");
  TokenRange half{0, uint64_t{1} << 63};
  auto stats = Sync(a, b, half, 10);
  REQUIRE(stats.ok());
  for (const auto& [k, _] : a.data) CHECK(b.data.count(k) == (half.Contains(Ring::KeyToken(k)) ? 1u : 0u));
  CHECK(stats->keys_pushed == b.data.size());
  CHECK(stats->keys_pushed > 1500);
  CHECK(stats->keys_pushed < 2500);
}

TEST_CASE("depth 0 still converges, and a wrapping range contains both ends of the ring") {
  MapSource a, b;
  for (int i = 0; i < 300; ++i) a.data["k" + std::to_string(i)] = Write("n1", "x");
  for (int i = 200; i < 500; ++i) b.data["k" + std::to_string(i)] = Write("n2", "y");
  REQUIRE(Sync(a, b, {}, 0).ok());
  CHECK(a.data == b.data);
  TokenRange wrap{~uint64_t{0} - 10, 10};
  CHECK(wrap.Contains(5));
  CHECK(wrap.Contains(~uint64_t{0}));
  CHECK_FALSE(wrap.Contains(11));
  CHECK_FALSE(wrap.Contains(~uint64_t{0} - 10));
}

TEST_CASE("a replica that cannot read its data fails the repair with its error") {
  MapSource a, b;
  b.fail = true;
  CHECK(MerkleTree::Build(b, {}, 4).status().IsIOError());
  CHECK(MerkleTree::Build(a, {}, 25).status().IsInvalidArgument());
}
