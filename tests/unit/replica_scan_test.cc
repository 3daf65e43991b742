// A node's range reads for scans (node/replica/replica_scan.h): one namespace's keys only,
// in key order, bounded in entries and in bytes, tombstones included, `more` exact.

#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/namespace.h"
#include "common/scan_range.h"
#include "engine_test_util.h"
#include "node/replica/replica_scan.h"
#include "node/replica/replica_store.h"

using namespace ringkv;
using ringkv::testing::TempDir;

namespace {

constexpr uint64_t kNow = ManualClock::kDefaultWallMs;  // no value in these tests expires before it

std::unique_ptr<storage::StorageEngine> Engine(const TempDir& dir) {
  auto o = storage::SmallOptions();
  o.max_value_bytes = ReplicaStore::kMaxSetBytes;
  return storage::OpenOrDie(dir.path(), o);
}

void Put(ReplicaStore& store, const std::string& stored_key, const std::string& value) {
  Sibling write;
  write.value = value;
  write.write_id = 1;
  write.timestamp_ms = 1;
  REQUIRE(store.CoordinatePut(stored_key, CausalContext{}, write, false).ok());
}

void Delete(ReplicaStore& store, const std::string& stored_key) {
  auto held = store.Get(stored_key);
  REQUIRE(held.ok());
  REQUIRE(held->has_value());
  Sibling tombstone;
  tombstone.tombstone = true;
  tombstone.write_id = 2;
  tombstone.timestamp_ms = 2;
  REQUIRE(store.CoordinatePut(stored_key, (*held)->ReadContext(), tombstone, false).ok());
}

std::vector<std::string> Keys(const ReplicaScanPage& page) {
  std::vector<std::string> out;
  for (const auto& [key, set] : page.entries) out.push_back(key);
  return out;
}

}  // namespace

TEST_CASE("a replica range read returns only its namespace's keys, in order, deletes included") {
  TempDir dir;
  auto engine = Engine(dir);
  ReplicaStore store(engine.get(), "n1");
  Put(store, "plain", "default's");
  Put(store, StoredKey("carts", 5, "b"), "b");
  Put(store, StoredKey("carts", 5, "a"), "a");
  Put(store, StoredKey("carts", 5, "c"), "c");
  Put(store, StoredKey("carts", 4, "old"), "earlier incarnation");
  Put(store, StoredKey("cartsx", 5, "a"), "other namespace");
  Delete(store, StoredKey("carts", 5, "c"));

  auto page = ReadReplicaRange(*engine, NamespaceScanRanges("carts", 5, "", ""), 100, 1 << 20, kNow);
  REQUIRE(page.ok());
  CHECK(Keys(*page) ==
        std::vector<std::string>{StoredKey("carts", 5, "a"), StoredKey("carts", 5, "b"), StoredKey("carts", 5, "c")});
  CHECK(page->entries[2].second.AllTombstones());  // the reader needs the delete to drop older values
  CHECK_FALSE(page->more);

  auto def = ReadReplicaRange(*engine, NamespaceScanRanges(kDefaultNamespace, 0, "", ""), 100, 1 << 20, kNow);
  REQUIRE(def.ok());
  CHECK(Keys(*def) == std::vector<std::string>{"plain"});

  auto count = CountLiveKeys(*engine, NamespaceScanRanges("carts", 5, "", ""), kNow);
  REQUIRE(count.ok());
  CHECK(*count == 2);
}

TEST_CASE("a replica range read stops at its entry and byte limits and says more remain") {
  TempDir dir;
  auto engine = Engine(dir);
  ReplicaStore store(engine.get(), "n1");
  for (int i = 0; i < 10; ++i) Put(store, StoredKey("big", 1, storage::KeyOf(i)), std::string(10'000, 'x'));
  auto ranges = NamespaceScanRanges("big", 1, "", "");

  auto by_entries = ReadReplicaRange(*engine, ranges, 4, 1 << 20, kNow);
  REQUIRE(by_entries.ok());
  CHECK(by_entries->entries.size() == 4);
  CHECK(by_entries->more);

  auto by_bytes = ReadReplicaRange(*engine, ranges, 100, 25'000, kNow);  // three 10 KB sets reach it
  REQUIRE(by_bytes.ok());
  CHECK(by_bytes->entries.size() == 3);
  CHECK(by_bytes->more);

  auto one_over = ReadReplicaRange(*engine, ranges, 100, 1, kNow);  // at least one entry, however large
  REQUIRE(one_over.ok());
  CHECK(one_over->entries.size() == 1);

  auto exact = ReadReplicaRange(*engine, ranges, 10, 1 << 20, kNow);  // exactly all: nothing remains
  REQUIRE(exact.ok());
  CHECK(exact->entries.size() == 10);
  CHECK_FALSE(exact->more);

  auto after = ReadReplicaRange(*engine, NamespaceScanRanges("big", 1, "", storage::KeyOf(7)), 100, 1 << 20, kNow);
  REQUIRE(after.ok());
  CHECK(Keys(*after) ==
        std::vector<std::string>{StoredKey("big", 1, storage::KeyOf(8)), StoredKey("big", 1, storage::KeyOf(9))});
}

TEST_CASE("a replica range read returns an expired value as its write's tombstone, and the count leaves it out") {
  TempDir dir;
  auto engine = Engine(dir);
  ManualClock clock;
  ReplicaStore store(engine.get(), "n1", clock);
  Put(store, StoredKey("carts", 5, "kept"), "no ttl");
  Sibling expiring;
  expiring.value = "for one second";
  expiring.write_id = 3;
  expiring.timestamp_ms = clock.WallMs();
  expiring.expires_at_ms = clock.WallMs() + 1000;
  REQUIRE(store.CoordinatePut(StoredKey("carts", 5, "otp"), CausalContext{}, expiring, false).ok());
  auto ranges = NamespaceScanRanges("carts", 5, "", "");

  auto before = ReadReplicaRange(*engine, ranges, 100, 1 << 20, clock.WallMs());
  REQUIRE(before.ok());
  REQUIRE(before->entries.size() == 2);
  CHECK_FALSE(before->entries[1].second.AllTombstones());
  CHECK(*CountLiveKeys(*engine, ranges, clock.WallMs()) == 2);

  uint64_t after_expiry = clock.WallMs() + 1000;
  auto after = ReadReplicaRange(*engine, ranges, 100, 1 << 20, after_expiry);
  REQUIRE(after.ok());
  REQUIRE(after->entries.size() == 2);  // still there: a reader needs it to drop older copies
  CHECK(after->entries[1].second.AllTombstones());
  CHECK(*CountLiveKeys(*engine, ranges, after_expiry) == 1);
}
