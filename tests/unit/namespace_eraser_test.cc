// Dropped namespace incarnations on one node: which keys are dropped, that no write path
// stores one again, and that the eraser deletes them and compaction leaves nothing behind.

#include <catch2/catch.hpp>

#include "common/published_catalog.h"
#include "engine_test_util.h"
#include "node/repair/namespace_eraser.h"
#include "node/replica/hint_store.h"
#include "node/replica/replica_store.h"

using namespace ringkv;
using ringkv::testing::TempDir;

namespace {

Sibling Write(std::string value) {
  Sibling s;
  s.value = std::move(value);
  s.timestamp_ms = 1;
  return s;
}

// A catalog with namespace "tmp" created (and dropped if `drop`) through it.
struct Catalog {
  NamespaceCatalog catalog;
  uint64_t incarnation = 0;
  explicit Catalog(bool drop) {
    incarnation = catalog.Create("tmp", {}, "n1", 1000)->incarnation;
    if (drop) REQUIRE(catalog.Drop("tmp", "n1", 2000).ok());
  }
};

// Every key the engine still holds, tombstones included.
std::vector<std::string> StoredKeys(storage::StorageEngine& engine) {
  std::vector<std::string> keys;
  for (auto it = engine.NewIterator({}); it->Valid(); it->Next()) keys.emplace_back(it->key());
  return keys;
}

}  // namespace

TEST_CASE("a key is dropped when its incarnation was dropped or its name re-created since, never otherwise") {
  NamespaceCatalog catalog;
  uint64_t first = catalog.Create("tmp", {}, "n1", 1000)->incarnation;
  CHECK_FALSE(catalog.IsDroppedKey(StoredKey("tmp", first, "k")));
  CHECK_FALSE(catalog.IsDroppedKey(StoredKey("other", 5, "k")));  // never heard of: not dropped
  CHECK_FALSE(catalog.IsDroppedKey("plain"));                     // default: never
  REQUIRE(catalog.Drop("tmp", "n1", 2000).ok());
  CHECK(catalog.IsDroppedKey(StoredKey("tmp", first, "k")));
  uint64_t second = catalog.Create("tmp", {}, "n1", 3000)->incarnation;
  CHECK(catalog.IsDroppedKey(StoredKey("tmp", first, "k")));  // re-created: the old one stays dropped
  CHECK_FALSE(catalog.IsDroppedKey(StoredKey("tmp", second, "k")));
  CHECK_FALSE(catalog.IsDroppedKey(StoredKey("tmp", second + 1, "k")));  // a later one we have not heard of

  auto ranges = catalog.DroppedRanges();
  REQUIRE(ranges.size() == 1);
  CHECK(ranges[0].name == "tmp");
  CHECK(StoredKey("tmp", first, "k") >= ranges[0].start);
  CHECK(StoredKey("tmp", first, "k") < ranges[0].end);
  CHECK(StoredKey("tmp", second, "") >= ranges[0].end);
  CHECK(StoredKey("tmp0", 1, "k") >= ranges[0].end);  // a longer name sorts after
}

TEST_CASE("no write stores a key of a dropped incarnation: puts are refused, merges and hints discarded") {
  TempDir dir;
  auto engine = storage::OpenOrDie(dir.file("engine"), storage::SmallOptions());
  PublishedCatalog published;
  Catalog live(false);
  published.Publish(live.catalog);
  ReplicaStore store(engine.get(), "n1", Clock::System(), &published);
  auto hints = HintStore::Open(dir.file("hints"), "n1", StorageOptions{}, &published);
  REQUIRE(hints.ok());
  std::string key = StoredKey("tmp", live.incarnation, "k");
  REQUIRE(store.CoordinatePut(key, {}, Write("v"), false).ok());

  Catalog dropped(true);
  published.Publish(dropped.catalog);
  auto put = store.CoordinatePut(key, {}, Write("again"), false);
  CHECK(put.status().IsInvalidArgument());
  SiblingSet incoming;
  incoming.Update({}, "n2", Write("from a peer"), 1);
  auto merged = store.Merge(StoredKey("tmp", live.incarnation, "fresh"), incoming, false);
  REQUIRE(merged.ok());
  CHECK(merged->empty());
  CHECK_FALSE(store.Get(StoredKey("tmp", live.incarnation, "fresh"))->has_value());
  REQUIRE((*hints)->Add("n3", StoredKey("tmp", live.incarnation, "hinted"), incoming, false, 1).ok());
  CHECK((*hints)->Queued().empty());
  CHECK((*hints)->CoordinatePut("n3", key, {}, Write("h"), false, 1, 1).status().IsInvalidArgument());
  CHECK(published.dropped_writes() == 4);
  // The default namespace and other keys are untouched.
  CHECK(store.CoordinatePut("plain", {}, Write("v"), false).ok());
}

TEST_CASE("the eraser deletes a dropped namespace's keys in bounded steps and compaction leaves nothing of them") {
  TempDir dir;
  PublishedCatalog published;
  auto options = storage::SmallOptions();
  options.max_value_bytes = ReplicaStore::kMaxSetBytes;
  options.reap_at_once = [&published](std::string_view key) { return published.IsDroppedKey(key); };
  auto engine = storage::OpenOrDie(dir.path(), options);
  Catalog live(false);
  published.Publish(live.catalog);
  ReplicaStore store(engine.get(), "n1", Clock::System(), &published);
  NamespaceEraser eraser(&store, engine.get(), &published, {.keys_per_step = 100});
  REQUIRE(eraser.Step().ok());  // nothing dropped yet
  CHECK_FALSE(eraser.Pending());

  constexpr int kKeys = 1000;
  const std::string large(8 << 10, 'L');  // over the blob threshold
  for (int k = 0; k < kKeys; ++k) {
    std::string key = StoredKey("tmp", live.incarnation, "k" + std::to_string(k));
    REQUIRE(store.CoordinatePut(key, {}, Write(k % 10 == 0 ? large : "small"), false).ok());
  }
  REQUIRE(store.CoordinatePut("plain", {}, Write("kept"), false).ok());
  REQUIRE(engine->Flush().ok());
  CHECK(engine->Info().blob_bytes > 0);

  Catalog dropped(true);
  published.Publish(dropped.catalog);
  CHECK(eraser.Pending());
  int steps = 0;
  for (; steps < 100; ++steps) {
    auto done = eraser.Step();
    REQUIRE(done.ok());
    if (*done) break;
  }
  CHECK(steps >= kKeys / 100 - 1);  // bounded slices, not one sweep
  CHECK_FALSE(eraser.Pending());
  CHECK(eraser.ErasedKeys()["tmp"] == kKeys);
  CHECK(StoredKeys(*engine) == std::vector<std::string>{"plain"});  // tombstones reaped, no grace
  CHECK(engine->Info().blob_bytes == 0);
  CHECK(store.Get("plain")->has_value());

  // A second pass (as after a restart) finds nothing more to erase.
  NamespaceEraser again(&store, engine.get(), &published, {});
  REQUIRE(again.Step().ok());
  CHECK(again.ErasedKeys().empty());
}
