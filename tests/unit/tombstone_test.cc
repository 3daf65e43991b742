// Tombstones: kept through the grace period so repair can spread them, then reaped by
// compaction — but never while an older version of the key could resurface.

#include <chrono>
#include <functional>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "engine_test_util.h"

using namespace ringkv;
using namespace ringkv::storage;
using ringkv::testing::TempDir;

namespace {

constexpr std::chrono::hours kDay{24};

StorageOptions TombstoneOptions(const ManualClock& clock) {
  StorageOptions o = SmallOptions();
  o.clock = &clock;
  o.tombstone_grace = 10 * kDay;
  o.tombstone_scan_interval = std::chrono::milliseconds(20);
  return o;
}

std::string RandomBytes(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;  // incompressible, so table sizes are what the test expects
}

}  // namespace

TEST_CASE("a tombstone younger than the grace period survives compaction") {
  TempDir dir;
  ManualClock clock;
  auto engine = OpenOrDie(dir.path(), TombstoneOptions(clock));
  REQUIRE(engine->Put("k", Value("v")).ok());
  REQUIRE(engine->Flush().ok());
  REQUIRE(engine->Put("k", Tombstone(clock.WallMs())).ok());
  clock.Advance(9 * kDay);
  REQUIRE(engine->CompactAll().ok());
  auto got = engine->Get("k");
  REQUIRE(got.ok());
  REQUIRE(got->tombstone);
  REQUIRE(engine->stats().tombstones_dropped.load() == 0);
}

TEST_CASE("a tombstone past the grace period is dropped by a full compaction and the key is gone") {
  TempDir dir;
  ManualClock clock;
  auto engine = OpenOrDie(dir.path(), TombstoneOptions(clock));
  REQUIRE(engine->Put("k", Value("v")).ok());
  REQUIRE(engine->Put("keep", Value("v")).ok());
  REQUIRE(engine->Flush().ok());
  REQUIRE(engine->Put("k", Tombstone(clock.WallMs())).ok());
  clock.Advance(11 * kDay);
  REQUIRE(engine->CompactAll().ok());
  REQUIRE(engine->Get("k").status().IsNotFound());  // neither tombstone nor the old value
  REQUIRE(engine->Get("keep")->value == "v");
  REQUIRE(engine->stats().tombstones_dropped.load() == 1);
}

TEST_CASE("an expired tombstone is kept while an older table outside the compaction holds the key") {
  TempDir dir;
  ManualClock clock;
  StorageOptions opts = TombstoneOptions(clock);
  opts.compaction_style = CompactionStyle::kSizeTiered;  // leveled: leveled_compaction_test.cc
  auto engine = OpenOrDie(dir.path(), opts);
  // One big old table holding "victim" = "old".
  REQUIRE(engine->Put("victim", Value("old")).ok());
  std::mt19937 rng(7);
  for (int i = 0; i < 30000; ++i) REQUIRE(engine->Put(KeyOf(i), Value(RandomBytes(rng, 100))).ok());
  REQUIRE(engine->Flush().ok());
  uint64_t compactions_before = engine->stats().compaction_count.load();
  REQUIRE(engine->CompactAll().ok());  // fold the big table into one
  // Four small tables; the first deletes "victim".
  REQUIRE(engine->Put("victim", Tombstone(clock.WallMs())).ok());
  REQUIRE(engine->Flush().ok());
  clock.Advance(11 * kDay);
  for (int t = 0; t < 3; ++t) {
    REQUIRE(engine->Put("small" + std::to_string(t), Value("s")).ok());
    REQUIRE(engine->Flush().ok());
  }
  // Size-tiered compaction merges the four small tables, not the big one.
  REQUIRE(WaitFor([&] { return engine->Info().num_tables == 2; }));
  REQUIRE(engine->stats().compaction_count.load() > compactions_before);
  auto got = engine->Get("victim");
  REQUIRE(got.ok());
  REQUIRE(got->tombstone);  // dropping it would resurrect "old"
  REQUIRE(engine->stats().tombstones_dropped.load() == 0);

  // Once the big table takes part too, the tombstone and the old value go together.
  REQUIRE(engine->CompactAll().ok());
  REQUIRE(engine->Get("victim").status().IsNotFound());
  REQUIRE(engine->stats().tombstones_dropped.load() == 1);
}

TEST_CASE("tombstones in a table that never finds a merge partner are still reaped") {
  TempDir dir;
  ManualClock clock;
  auto engine = OpenOrDie(dir.path(), TombstoneOptions(clock));
  for (int i = 0; i < 100; ++i) REQUIRE(engine->Put(KeyOf(i), Value("v")).ok());
  for (int i = 0; i < 100; ++i) REQUIRE(engine->Put(KeyOf(i), Tombstone(clock.WallMs())).ok());
  REQUIRE(engine->Flush().ok());
  REQUIRE(engine->Info().num_tables == 1);
  clock.Advance(11 * kDay);
  // No CompactAll: the idle compaction thread finds the expired tombstones by itself.
  REQUIRE(WaitFor([&] { return engine->stats().tombstones_dropped.load() == 100; }));
  REQUIRE(WaitFor([&] { return engine->Info().num_tables == 0; }));
  REQUIRE(engine->Get(KeyOf(5)).status().IsNotFound());
}

TEST_CASE("a tombstone written without a timestamp ages from its write, by the engine's clock") {
  TempDir dir;
  ManualClock clock;
  auto engine = OpenOrDie(dir.path(), TombstoneOptions(clock));
  REQUIRE(engine->Put("k", Record{"", "", 0, true}).ok());
  auto got = engine->Get("k");
  REQUIRE(got.ok());
  REQUIRE(got->tombstone);
  CHECK(got->timestamp_ms == clock.WallMs());
  // It is reaped once the grace period has passed from that stamp, not before.
  REQUIRE(engine->Flush().ok());
  clock.Advance(10 * kDay - std::chrono::milliseconds(1));
  REQUIRE(engine->CompactAll().ok());
  CHECK(engine->Get("k").ok());
  clock.Advance(std::chrono::milliseconds(1));
  REQUIRE(engine->CompactAll().ok());
  CHECK(engine->Get("k").status().IsNotFound());
}

TEST_CASE("a tombstone put through a batch without a timestamp is stamped by the batch's clock") {
  ManualClock clock(5'000'000);
  WriteBatch batch(clock);
  batch.Put("k", Record{"", "", 0, true});
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), SmallOptions());
  REQUIRE(engine->Write(batch).ok());
  auto got = engine->Get("k");
  REQUIRE(got.ok());
  CHECK(got->timestamp_ms == 5'000'000);
}
