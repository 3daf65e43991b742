#include <atomic>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "engine_test_util.h"
#include "node/replica/replica_store.h"
#include "ringkv/limits.h"

using namespace ringkv;
using ringkv::testing::TempDir;

namespace {

Sibling Write(std::string value, uint64_t write_id = 0) {
  Sibling s;
  s.value = std::move(value);
  s.write_id = write_id;
  s.timestamp_ms = 1;
  return s;
}

std::unique_ptr<storage::StorageEngine> Engine(const TempDir& dir) {
  auto o = storage::SmallOptions();
  o.max_value_bytes = ReplicaStore::kMaxSetBytes;
  // A write waits for nothing but the disk reads a test arranges (under batch or always every
  // kNoBlock write is Busy before it reads anything).
  o.durability = ringkv::Durability::kNone;
  return storage::OpenOrDie(dir.path(), o);
}

}  // namespace

TEST_CASE("concurrent coordinated puts to one key keep every write as a sibling") {
  TempDir dir;
  auto engine = Engine(dir);
  ReplicaStore store(engine.get(), "n1");
  constexpr int kThreads = 4, kPuts = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};  // Catch2's assertions are not thread-safe: counted here, checked after the join
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPuts; ++i) {
        auto r = store.CoordinatePut("hot", {}, Write("t" + std::to_string(t) + "-" + std::to_string(i)), false);
        if (!r.ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(failures.load() == 0);
  auto set = store.Get("hot");
  REQUIRE(set.ok());
  // Every put was blind (empty context), so all are concurrent: none may be lost.
  REQUIRE((*set)->siblings().size() == kThreads * kPuts);
  std::set<uint64_t> counters;
  for (const auto& s : (*set)->siblings()) counters.insert(s.dot.counter);
  REQUIRE(counters.size() == kThreads * kPuts);  // each got its own dot
}

TEST_CASE("merging the same set twice writes nothing the second time") {
  TempDir dir;
  auto engine = Engine(dir);
  ReplicaStore a(engine.get(), "n1");
  auto set = a.CoordinatePut("k", {}, Write("v"), false);
  REQUIRE(set.ok());
  uint64_t seq = engine->Info().last_sequence;
  REQUIRE(a.Merge("k", *set, false).ok());
  REQUIRE(engine->Info().last_sequence == seq);
}

TEST_CASE("a non-blocking read that needs the disk says Busy, and is answered from memory once cached") {
  TempDir dir;
  {
    auto engine = Engine(dir);
    ReplicaStore store(engine.get(), "n1");
    REQUIRE(store.CoordinatePut("k", {}, Write("v1"), false).ok());
    REQUIRE(store.Get("k", ReplicaStore::Mode::kNoBlock).ok());  // memtable: no disk
  }  // closed: the value is now in a table, and the new engine's block cache is empty
  auto engine = Engine(dir);
  ReplicaStore store(engine.get(), "n1");
  auto cold = store.Get("k", ReplicaStore::Mode::kNoBlock);
  REQUIRE(cold.status().code() == StatusCode::kBusy);
  auto put = store.CoordinatePut("k", {}, Write("v2"), false, ReplicaStore::Mode::kNoBlock);
  REQUIRE(put.status().code() == StatusCode::kBusy);  // its read-modify-write would read the disk
  REQUIRE(store.Get("k", ReplicaStore::Mode::kMayBlock).ok());
  auto warm = store.Get("k", ReplicaStore::Mode::kNoBlock);
  REQUIRE(warm.ok());
  REQUIRE((*warm)->siblings().size() == 1);  // the Busy put changed nothing
}

TEST_CASE("oversized values and deletes with values are refused by the replica") {
  TempDir dir;
  auto engine = Engine(dir);
  ReplicaStore store(engine.get(), "n1");
  auto big = store.CoordinatePut("k", {}, Write(std::string(kMaxValueBytes + 1, 'x')), false);
  REQUIRE(big.status().IsInvalidArgument());
  REQUIRE_THAT(big.status().message(), Catch::Contains("1048577 bytes") && Catch::Contains("limit is 1048576"));
  Sibling bad_delete = Write("not empty");
  bad_delete.tombstone = true;
  REQUIRE(store.CoordinatePut("k", {}, bad_delete, false).status().IsInvalidArgument());
  REQUIRE(store.CoordinatePut(std::string(1025, 'k'), {}, Write("v"), false).status().IsInvalidArgument());
  auto nothing = store.Get("k");
  REQUIRE(nothing.ok());
  REQUIRE_FALSE(nothing->has_value());
}

TEST_CASE("a put that would grow a key's siblings past the set limit is refused and the key keeps its siblings") {
  TempDir dir;
  auto engine = Engine(dir);
  ReplicaStore store(engine.get(), "n1");
  const std::string mb(kMaxValueBytes, 'v');
  // Blind writes (empty context) are concurrent: each adds a 1 MB sibling.
  size_t kept = 0;
  for (uint64_t i = 1; i <= 4; ++i) {
    auto r = store.CoordinatePut("k", {}, Write(mb, i), false);
    REQUIRE(r.ok());
    kept = r->siblings().size();
  }
  REQUIRE(kept == 4);
  uint64_t seq_before = engine->Info().last_sequence;
  auto fifth = store.CoordinatePut("k", {}, Write(mb, 5), false);
  REQUIRE(fifth.status().IsInvalidArgument());
  REQUIRE_THAT(fifth.status().message(),
               Catch::Contains("unresolved siblings") && Catch::Contains("write back a merge"));
  REQUIRE(engine->Info().last_sequence == seq_before);  // nothing written
  auto now = store.Get("k");
  REQUIRE(now.ok());
  REQUIRE((*now)->siblings().size() == 4);
}

TEST_CASE("a replica applies nothing for a late attempt of a write it has seen replaced") {
  TempDir dir;
  auto engine = Engine(dir);
  ManualClock clock;
  ReplicaStore store(engine.get(), "n1", clock);
  Sibling first = Write("v1", 11);
  first.timestamp_ms = clock.WallMs();
  auto put = store.CoordinatePut("k", {}, first, false);
  REQUIRE(put.ok());
  Sibling second = Write("v2", 12);
  second.timestamp_ms = first.timestamp_ms + 1;
  REQUIRE(store.CoordinatePut("k", put->ReadContext(), second, false).ok());

  auto late = store.CoordinatePut("k", {}, first, false);  // the abandoned first attempt, arriving now
  REQUIRE(late.ok());
  REQUIRE(late->siblings().size() == 1);
  CHECK(late->siblings()[0].value == "v2");
  auto held = store.Get("k");
  REQUIRE(held.ok());
  REQUIRE(held->has_value());
  CHECK((*held)->siblings().size() == 1);
  CHECK((*held)->IsRetired(11));
}

TEST_CASE("a replica forgets replaced write ids only after the retention, by their stamps") {
  TempDir dir;
  auto engine = Engine(dir);
  ManualClock clock;
  ReplicaStore store(engine.get(), "n1", clock);
  Sibling old_write = Write("v1", 21);
  old_write.timestamp_ms = clock.WallMs() - ReplicaStore::kRetiredRetentionMs - 1000;
  auto put = store.CoordinatePut("k", {}, old_write, false);
  REQUIRE(put.ok());
  Sibling next = Write("v2", 22);
  next.timestamp_ms = clock.WallMs();
  REQUIRE(store.CoordinatePut("k", put->ReadContext(), next, false).ok());
  auto held = store.Get("k");
  REQUIRE(held.ok());
  CHECK_FALSE((*held)->IsRetired(21));  // older than any attempt a node would still accept
}

TEST_CASE("a replaced write id is remembered until the replica's clock is past the retention, then forgotten") {
  TempDir dir;
  auto engine = Engine(dir);
  ManualClock clock;
  ReplicaStore store(engine.get(), "n1", clock);
  Sibling first = Write("v1", 31);
  first.timestamp_ms = clock.WallMs();
  auto put = store.CoordinatePut("k", {}, first, false);
  REQUIRE(put.ok());
  Sibling second = Write("v2", 32);
  second.timestamp_ms = clock.WallMs();
  REQUIRE(store.CoordinatePut("k", put->ReadContext(), second, false).ok());

  // Exactly the retention later the replaced id is still known: a late attempt of it is a
  // duplicate and changes nothing.
  clock.Advance(std::chrono::milliseconds(ReplicaStore::kRetiredRetentionMs));
  auto late = store.CoordinatePut("k", {}, first, false);
  REQUIRE(late.ok());
  REQUIRE(late->siblings().size() == 1);
  CHECK(late->siblings()[0].value == "v2");
  CHECK(late->IsRetired(31));

  // One millisecond more and it is forgotten (the node refuses attempts that old anyway).
  clock.Advance(std::chrono::milliseconds(1));
  auto held = store.Get("k");
  REQUIRE(held.ok());
  REQUIRE(held->has_value());
  CHECK_FALSE((*held)->IsRetired(31));
}

TEST_CASE("a replica's new dots start at its clock's milliseconds since 2025") {
  TempDir dir;
  auto engine = Engine(dir);
  ManualClock clock(ManualClock::kDefaultWallMs);
  ReplicaStore store(engine.get(), "n1", clock);
  const uint64_t floor = ManualClock::kDefaultWallMs - 1735689600000;  // 2026-01-01 less 2025-01-01
  CHECK(store.DotCounterFloor() == floor);
  auto put = store.CoordinatePut("k", {}, Write("v", 41), false);
  REQUIRE(put.ok());
  CHECK(put->siblings()[0].dot.counter >= floor);
  clock.Advance(std::chrono::milliseconds(5));
  CHECK(store.DotCounterFloor() == floor + 5);
}

TEST_CASE("a write attempt older than the node's maximum write age is refused with a clear error") {
  Sibling w = Write("v");
  w.timestamp_ms = 1'000'000;
  CHECK(CheckWriteAge(w, 1'000'000 + 60'000, 60'000).ok());
  Status too_old = CheckWriteAge(w, 1'000'000 + 60'001, 60'000);
  REQUIRE(too_old.IsInvalidArgument());
  CHECK_THAT(too_old.message(), Catch::Contains("60001 ms ago") && Catch::Contains("--max-write-age"));
  w.timestamp_ms = 5'000'000;  // a client clock ahead of the node's: never too old
  CHECK(CheckWriteAge(w, 1'000'000, 60'000).ok());
}

TEST_CASE("a last-writer-wins key keeps one version when repair or handoff merges a concurrent one into it") {
  TempDir dir_a, dir_b;
  auto engine_a = Engine(dir_a);
  auto engine_b = Engine(dir_b);
  ReplicaStore a(engine_a.get(), "a"), b(engine_b.get(), "b");
  Sibling older = Write("older", 31), newer = Write("newer", 32);
  older.timestamp_ms = Clock::System().WallMs();
  newer.timestamp_ms = older.timestamp_ms + 5;
  REQUIRE(a.CoordinatePut("k", {}, older, /*lww=*/true).ok());
  auto at_b = b.CoordinatePut("k", {}, newer, /*lww=*/true);  // concurrent: neither saw the other
  REQUIRE(at_b.ok());
  auto merged = a.Merge("k", *at_b, /*lww=*/false);  // what Merkle repair and hinted handoff pass
  REQUIRE(merged.ok());
  REQUIRE(merged->siblings().size() == 1);
  CHECK(merged->siblings()[0].value == "newer");
}

TEST_CASE("a replica reads an expired value as its tombstone by the node's clock, and the engine drops it later") {
  TempDir dir;
  ManualClock clock;
  auto o = storage::SmallOptions();
  o.max_value_bytes = ReplicaStore::kMaxSetBytes;
  // A write waits for nothing but the disk reads a test arranges (under batch or always every
  // kNoBlock write is Busy before it reads anything).
  o.durability = ringkv::Durability::kNone;
  o.clock = &clock;
  auto engine = storage::OpenOrDie(dir.path(), o);
  ReplicaStore store(engine.get(), "n1", clock);
  Sibling w = Write("session", 51);
  w.timestamp_ms = clock.WallMs();
  w.expires_at_ms = w.timestamp_ms + 2000;
  REQUIRE(store.CoordinatePut("k", {}, w, false).ok());
  auto record = engine->Get("k");
  REQUIRE(record.ok());
  CHECK(record->expires_at_ms == w.expires_at_ms);  // the engine can drop the value by itself
  CHECK_FALSE(record->tombstone);

  auto live = store.Get("k");
  REQUIRE(live.ok());
  CHECK((*live)->siblings()[0].value == "session");
  clock.Advance(std::chrono::milliseconds(2000));
  auto gone = store.Get("k");
  REQUIRE(gone.ok());
  REQUIRE(gone->has_value());  // kept: the expired write still supersedes what it replaced
  CHECK((*gone)->AllTombstones());
  CHECK((*gone)->siblings()[0].write_id == 51);

  // A replica that still holds the live bytes (its clock is behind) repairs this one: the value stays gone.
  auto merged = store.Merge("k", **live, false);
  REQUIRE(merged.ok());
  CHECK(merged->AllTombstones());

  REQUIRE(engine->CompactAll().ok());
  CHECK(engine->stats().values_expired.load() == 1);
  auto after = store.Get("k");
  REQUIRE(after.ok());
  CHECK(**after == **gone);  // what the engine kept is exactly the expired set
}

TEST_CASE("a replica refuses an expiry not after the write's stamp, over 10 years, or on a delete") {
  TempDir dir;
  auto engine = Engine(dir);
  ReplicaStore store(engine.get(), "n1");
  Sibling w = Write("v", 61);
  w.timestamp_ms = 1'000'000;
  w.expires_at_ms = w.timestamp_ms;
  auto zero = store.CoordinatePut("k", {}, w, false);
  REQUIRE(zero.status().IsInvalidArgument());
  CHECK_THAT(zero.status().message(), Catch::Contains("ttl must be positive"));
  w.expires_at_ms = w.timestamp_ms + static_cast<uint64_t>(kMaxTtlMs) + 1;
  REQUIRE(store.CoordinatePut("k", {}, w, false).status().IsInvalidArgument());
  Sibling del = Write("", 62);
  del.tombstone = true;
  del.expires_at_ms = 5;
  REQUIRE(store.CoordinatePut("k", {}, del, false).status().IsInvalidArgument());
  auto nothing = store.Get("k");
  REQUIRE(nothing.ok());
  CHECK_FALSE(nothing->has_value());
}

TEST_CASE("a key stored after its value expired is a tombstone that ages from the expiry, not from the write") {
  TempDir dir;
  ManualClock clock;
  auto o = storage::SmallOptions();
  o.max_value_bytes = ReplicaStore::kMaxSetBytes;
  // A write waits for nothing but the disk reads a test arranges (under batch or always every
  // kNoBlock write is Busy before it reads anything).
  o.durability = ringkv::Durability::kNone;
  o.clock = &clock;
  auto engine = storage::OpenOrDie(dir.path(), o);
  ReplicaStore store(engine.get(), "n1", clock);
  Sibling w = Write("long-lived", 71);
  w.timestamp_ms = clock.WallMs();
  w.expires_at_ms = w.timestamp_ms + 20ull * 24 * 3600 * 1000;  // 20 days: longer than the tombstone grace
  auto put = store.CoordinatePut("k", {}, w, false);
  REQUIRE(put.ok());
  clock.Advance(std::chrono::hours(20 * 24));
  // A concurrent delete (stamped at the write) merged after the expiry stores the key again.
  Sibling del = Write("", 72);
  del.tombstone = true;
  del.timestamp_ms = w.timestamp_ms;
  SiblingSet deleted;
  deleted.Update({}, "n2", del);
  REQUIRE(store.Merge("k", deleted, false).ok());
  auto record = engine->Get("k");
  REQUIRE(record.ok());
  CHECK(record->tombstone);
  CHECK(record->timestamp_ms == w.expires_at_ms);
}
