// Functional behaviour of StorageEngine: the write/read paths, limits, reopening,
// snapshots and iteration. Tombstones, corruption and crashes have their own files.

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "engine_test_util.h"

using namespace ringkv;
using namespace ringkv::storage;
using ringkv::testing::TempDir;

TEST_CASE("put then get returns the record with its version metadata") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), SmallOptions());
  Record r{"hello", "clock-bytes", 1234, false};
  REQUIRE(engine->Put("k", r).ok());
  auto got = engine->Get("k");
  REQUIRE(got.ok());
  REQUIRE(*got == r);

  REQUIRE(engine->Put("k", Value("newer")).ok());
  REQUIRE(engine->Get("k")->value == "newer");
  REQUIRE(engine->Get("absent").status().IsNotFound());
}

TEST_CASE("a delete is stored as a tombstone record") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), SmallOptions());
  REQUIRE(engine->Put("k", Value("v")).ok());
  REQUIRE(engine->Put("k", Tombstone(77)).ok());
  auto got = engine->Get("k");
  REQUIRE(got.ok());
  REQUIRE(got->tombstone);
  REQUIRE(got->timestamp_ms == 77);
}

TEST_CASE("oversized or empty keys and oversized values are refused and nothing is written") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), SmallOptions());
  uint64_t seq_before = engine->Info().last_sequence;

  Status big_key = engine->Put(std::string(kMaxKeyBytes + 1, 'k'), Value("v"));
  REQUIRE(big_key.IsInvalidArgument());
  REQUIRE_THAT(big_key.message(), Catch::Contains("1025 bytes") && Catch::Contains("limit is 1024"));

  Status big_value = engine->Put("k", Value(std::string(kMaxValueBytes + 1, 'v')));
  REQUIRE(big_value.IsInvalidArgument());
  REQUIRE_THAT(big_value.message(), Catch::Contains("1048577 bytes") && Catch::Contains("limit is 1048576"));

  REQUIRE(engine->Put("", Value("v")).IsInvalidArgument());
  REQUIRE(engine->Put("k", Record{"", std::string(kMaxClockBytes + 1, 'c'), 0, false}).IsInvalidArgument());
  REQUIRE(engine->Get(std::string(kMaxKeyBytes + 1, 'k')).status().IsInvalidArgument());

  REQUIRE(engine->Info().last_sequence == seq_before);
  REQUIRE(engine->Get("k").status().IsNotFound());

  // The limits themselves are accepted.
  REQUIRE(engine->Put(std::string(kMaxKeyBytes, 'k'), Value(std::string(kMaxValueBytes, 'v'))).ok());
}

TEST_CASE("a batch with one invalid entry is refused whole") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), SmallOptions());
  WriteBatch batch;
  batch.Put("good", Value("v"));
  batch.Put(std::string(kMaxKeyBytes + 1, 'x'), Value("v"));
  REQUIRE(engine->Write(batch).IsInvalidArgument());
  REQUIRE(engine->Get("good").status().IsNotFound());
}

TEST_CASE("data survives close and reopen, from the WAL and from tables") {
  TempDir dir;
  StorageOptions opts = SmallOptions();
  std::map<std::string, std::string> model;
  {
    auto engine = OpenOrDie(dir.path(), opts);
    for (int i = 0; i < 3000; ++i) {
      std::string k = KeyOf(i % 1000), v = "v" + std::to_string(i);
      REQUIRE(engine->Put(k, Value(v)).ok());
      model[k] = v;
    }
    REQUIRE(engine->Flush().ok());
    for (int i = 0; i < 200; ++i) {  // these stay in the memtable + WAL until close
      std::string k = KeyOf(i), v = "late" + std::to_string(i);
      REQUIRE(engine->Put(k, Value(v)).ok());
      model[k] = v;
    }
    REQUIRE(engine->Close().ok());
  }
  auto engine = OpenOrDie(dir.path(), opts);
  RequireContentsEqual(*engine, model);
}

TEST_CASE("writes recovered from an unclosed engine's WAL are all present") {
  TempDir dir;
  StorageOptions opts = SmallOptions();
  opts.durability = Durability::kAlways;
  std::map<std::string, std::string> model;
  for (int i = 0; i < 500; ++i) model[KeyOf(i)] = "v" + std::to_string(i);
  std::string outcome = RunInChildThenCrash([&] {
    auto engine = StorageEngine::Open(dir.path(), opts);
    if (!engine.ok()) return false;
    for (const auto& [k, v] : model) {
      if (!(*engine)->Put(k, Value(v)).ok()) return false;
    }
    CrashNow();
  });
  REQUIRE(outcome == "crashed");
  auto engine = OpenOrDie(dir.path(), opts);
  RequireContentsEqual(*engine, model);
}

TEST_CASE("many flushes and compactions keep the newest version of every key") {
  TempDir dir;
  StorageOptions opts = SmallOptions();
  auto engine = OpenOrDie(dir.path(), opts);
  std::map<std::string, std::string> model;
  std::mt19937 rng(42);
  for (int i = 0; i < 30000; ++i) {
    std::string k = KeyOf(static_cast<int>(rng() % 5000)), v = "v" + std::to_string(i);
    REQUIRE(engine->Put(k, Value(v)).ok());
    model[k] = v;
  }
  REQUIRE(engine->Flush().ok());
  REQUIRE(engine->stats().flush_count.load() > 5);
  RequireContentsEqual(*engine, model);
  REQUIRE(engine->CompactAll().ok());
  REQUIRE(engine->Info().num_tables == 1);
  REQUIRE(engine->stats().compaction_count.load() >= 1);
  RequireContentsEqual(*engine, model);
}

TEST_CASE("an iterator sees its snapshot, not later writes, and respects the range") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), SmallOptions());
  for (int i = 0; i < 100; ++i) REQUIRE(engine->Put(KeyOf(i), Value("old")).ok());
  REQUIRE(engine->Flush().ok());
  auto snap = engine->GetSnapshot();
  for (int i = 0; i < 100; ++i) REQUIRE(engine->Put(KeyOf(i), Value("new")).ok());
  REQUIRE(engine->Put(KeyOf(500), Value("new")).ok());
  REQUIRE(engine->CompactAll().ok());  // the snapshot keeps its files alive

  RangeOptions range;
  range.start = KeyOf(10);
  range.end = KeyOf(20);
  range.snapshot = snap;
  auto it = engine->NewIterator(range);
  int n = 0;
  for (; it->Valid(); it->Next(), ++n) {
    REQUIRE(it->key() == KeyOf(10 + n));
    REQUIRE(it->record().value == "old");
  }
  REQUIRE(it->status().ok());
  REQUIRE(n == 10);

  range.snapshot = nullptr;  // now
  range.end.clear();
  it = engine->NewIterator(range);
  n = 0;
  for (; it->Valid(); it->Next(), ++n) REQUIRE(it->record().value == "new");
  REQUIRE(n == 91);  // keys 10..99 and 500
}

TEST_CASE("reads of absent keys are answered by bloom filters without reading blocks") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), SmallOptions());
  for (int i = 0; i < 2000; ++i) REQUIRE(engine->Put(KeyOf(i * 2), Value("v")).ok());
  REQUIRE(engine->Flush().ok());
  uint64_t skips_before = engine->stats().bloom_skips.load();
  for (int i = 0; i < 2000; ++i) REQUIRE(engine->Get(KeyOf(i * 2 + 1)).status().IsNotFound());
  uint64_t skips = engine->stats().bloom_skips.load() - skips_before;
  INFO("bloom skips for 2000 absent keys: " << skips);
  REQUIRE(skips > 1900);
}

TEST_CASE("readers run concurrently with writers, flushes and compactions") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), SmallOptions());
  constexpr int kKeys = 2000;
  for (int i = 0; i < kKeys; ++i) REQUIRE(engine->Put(KeyOf(i), Value(KeyOf(i) + "#0")).ok());
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937 rng(t);
      while (!done.load()) {
        int i = static_cast<int>(rng() % kKeys);
        auto got = engine->Get(KeyOf(i));
        // Every value ever written for key i starts with the key itself.
        if (!got.ok() || got->value.rfind(KeyOf(i) + "#", 0) != 0) bad.fetch_add(1);
      }
    });
  }
  for (int round = 1; round <= 10; ++round) {
    for (int i = 0; i < kKeys; ++i) REQUIRE(engine->Put(KeyOf(i), Value(KeyOf(i) + "#" + std::to_string(round))).ok());
  }
  done = true;
  for (auto& r : readers) r.join();
  REQUIRE(bad.load() == 0);
}

TEST_CASE("a data directory in use is refused to a second opener") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), SmallOptions());
  auto second = StorageEngine::Open(dir.path(), SmallOptions());
  REQUIRE_FALSE(second.ok());
  REQUIRE(second.status().code() == StatusCode::kBusy);
}

TEST_CASE("writes that outrun flushing stall briefly and the stalls are counted") {
  TempDir dir;
  StorageOptions opts = SmallOptions();
  opts.memtable_bytes = 16 * 1024;
  auto engine = OpenOrDie(dir.path(), opts);
  for (int i = 0; i < 20000; ++i) REQUIRE(engine->Put(KeyOf(i), Value(std::string(100, 'x'))).ok());
  const auto& st = engine->stats();
  INFO("stalls " << st.write_stalls.load() << " total us " << st.write_stall_micros.load() << " max us "
                 << st.max_write_stall_micros.load());
  REQUIRE(st.max_write_stall_micros.load() <= st.write_stall_micros.load());
  REQUIRE((st.write_stalls.load() == 0) == (st.write_stall_micros.load() == 0));
  REQUIRE(engine->Get(KeyOf(19999)).ok());
}
