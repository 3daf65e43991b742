// Large values kept out of line in blob files (node/storage/blob_file.h): the threshold,
// reads through snapshots and iterators, garbage collection, restarts and damaged files.

#include <algorithm>
#include <filesystem>
#include <map>

#include <catch2/catch.hpp>

#include "engine_test_util.h"
#include "file_damage.h"
#include "node/storage/blob_file.h"
#include "node/storage/file.h"

using namespace ringkv;
using namespace ringkv::storage;
using ringkv::testing::FlipBit;
using ringkv::testing::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr size_t kThreshold = 8 * 1024;
constexpr size_t kLarge = 64 * 1024;

StorageOptions BlobOptions() {
  StorageOptions o = SmallOptions();
  o.memtable_bytes = 4u << 20;  // flushes only when a test asks
  o.blob_threshold_bytes = kThreshold;
  return o;
}

// A value whose bytes say which key and version it is (a wrong value cannot pass as right).
std::string LargeValue(int key, int version, size_t size = kLarge) {
  std::string v(size, '\0');
  for (size_t i = 0; i < size; ++i) v[i] = static_cast<char>('a' + (i * 31 + key * 7 + version * 13) % 26);
  return v;
}

std::vector<std::string> BlobFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".blob") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("values from the blob threshold up to 1 MB go to a blob file and smaller ones stay in the table") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), BlobOptions());
  std::map<std::string, std::string> model{{"below", LargeValue(1, 0, kThreshold - 1)},
                                           {"at", LargeValue(2, 0, kThreshold)},
                                           {"largest", LargeValue(3, 0, kMaxValueBytes)},
                                           {"small", "v"}};
  for (const auto& [k, v] : model) REQUIRE(engine->Put(k, Value(v)).ok());
  RequireContentsEqual(*engine, model);  // from the memtable (and the WAL)
  REQUIRE(engine->Flush().ok());

  EngineInfo info = engine->Info();
  REQUIRE(info.num_blob_files == 1);
  // The magic, then exactly the two values at or above the threshold.
  REQUIRE(info.blob_bytes == kBlobMagic.size() + kThreshold + kMaxValueBytes);
  REQUIRE(info.table_bytes < kThreshold + 4096);  // the table holds the small ones and references
  RequireContentsEqual(*engine, model);
  REQUIRE(engine->stats().blob_reads.load() >= 2);
}

TEST_CASE("a read that must not block says Busy for a value in a blob file") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), BlobOptions());
  REQUIRE(engine->Put("big", Value(LargeValue(1, 0))).ok());
  REQUIRE(engine->Put("small", Value("v")).ok());
  REQUIRE(engine->Flush().ok());
  REQUIRE(engine->Get("big", ReadMode::kNoBlock).status().code() == StatusCode::kBusy);
  REQUIRE(engine->Get("big")->value == LargeValue(1, 0));
}

TEST_CASE("overwriting and deleting large values then compacting deletes the blob files no record needs") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), BlobOptions());
  std::map<std::string, std::string> model;
  for (int i = 0; i < 20; ++i) {
    REQUIRE(engine->Put(KeyOf(i), Value(LargeValue(i, 0))).ok());
    model[KeyOf(i)] = LargeValue(i, 0);
  }
  REQUIRE(engine->Flush().ok());
  for (int i = 0; i < 15; ++i) {
    REQUIRE(engine->Put(KeyOf(i), Value(LargeValue(i, 1))).ok());
    model[KeyOf(i)] = LargeValue(i, 1);
  }
  REQUIRE(engine->Flush().ok());
  for (int i = 15; i < 20; ++i) {
    REQUIRE(engine->Put(KeyOf(i), Tombstone(1)).ok());
    model.erase(KeyOf(i));
  }
  REQUIRE(engine->Flush().ok());
  REQUIRE(BlobFiles(dir.path()).size() == 2);
  uint64_t before = engine->Info().blob_bytes;

  REQUIRE(engine->CompactAll().ok());
  REQUIRE(engine->WaitForCompactions().ok());
  EngineInfo after = engine->Info();
  // The first file lost every reference (15 overwritten, 5 deleted): gone from disk.
  REQUIRE(after.num_blob_files == 1);
  REQUIRE(BlobFiles(dir.path()).size() == 1);
  REQUIRE(after.blob_bytes == kBlobMagic.size() + 15 * kLarge);
  REQUIRE(after.blob_bytes < before);
  REQUIRE(engine->stats().blob_files_deleted.load() == 1);
  RequireContentsEqual(*engine, model);
}

TEST_CASE("a blob file mostly garbage has its live values rewritten and is deleted") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), BlobOptions());
  std::map<std::string, std::string> model;
  for (int i = 0; i < 20; ++i) {
    REQUIRE(engine->Put(KeyOf(i), Value(LargeValue(i, 0))).ok());
    model[KeyOf(i)] = LargeValue(i, 0);
  }
  REQUIRE(engine->Flush().ok());
  std::string first = BlobFiles(dir.path()).at(0);
  for (int i = 0; i < 12; ++i) {  // 12 of 20 dead: 60% garbage, past the 50% ratio
    REQUIRE(engine->Put(KeyOf(i), Value(LargeValue(i, 1))).ok());
    model[KeyOf(i)] = LargeValue(i, 1);
  }
  REQUIRE(engine->Flush().ok());

  // The merge drops the 12 old versions; the garbage ratio then makes compaction copy the 8
  // live values out, after which nothing refers to the first file. Bounded: each round
  // either finishes or fails the test.
  REQUIRE(engine->CompactAll().ok());
  for (int round = 0; round < 5 && fs::exists(first); ++round) REQUIRE(engine->WaitForCompactions().ok());
  REQUIRE_FALSE(fs::exists(first));
  REQUIRE(engine->stats().blob_bytes_relocated.load() == 8 * kLarge);
  EngineInfo info = engine->Info();
  REQUIRE(info.blob_bytes <= 2 * kBlobMagic.size() + 20 * kLarge);  // the live values, once each
  REQUIRE(info.blob_garbage_bytes == 0);
  RequireContentsEqual(*engine, model);

  // Reopening reads the same files back from the manifest.
  REQUIRE(engine->Close().ok());
  engine = OpenOrDie(dir.path(), BlobOptions());
  RequireContentsEqual(*engine, model);
  REQUIRE(engine->Info().num_blob_files == info.num_blob_files);
}

TEST_CASE("a snapshot and an iterator keep the blob files they read until they are gone") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), BlobOptions());
  for (int i = 0; i < 10; ++i) REQUIRE(engine->Put(KeyOf(i), Value(LargeValue(i, 0))).ok());
  REQUIRE(engine->Flush().ok());
  std::string old_file = BlobFiles(dir.path()).at(0);
  auto snapshot = engine->GetSnapshot();
  auto it = engine->NewIterator(RangeOptions{});

  for (int i = 0; i < 10; ++i) REQUIRE(engine->Put(KeyOf(i), Value(LargeValue(i, 1))).ok());
  REQUIRE(engine->Flush().ok());
  REQUIRE(engine->CompactAll().ok());
  REQUIRE(engine->Info().num_blob_files == 1);  // the live version no longer has the old file
  REQUIRE(fs::exists(old_file));                // but the readers do

  int seen = 0;
  for (; it->Valid(); it->Next(), ++seen) REQUIRE(it->record().value == LargeValue(seen, 0));
  REQUIRE(it->status().ok());
  REQUIRE(seen == 10);
  it.reset();
  REQUIRE(fs::exists(old_file));  // the snapshot still holds it
  RangeOptions at_snapshot;
  at_snapshot.snapshot = snapshot;
  auto old_view = engine->NewIterator(at_snapshot);
  REQUIRE(old_view->Valid());
  REQUIRE(old_view->record().value == LargeValue(0, 0));
  old_view.reset();
  snapshot.reset();
  at_snapshot.snapshot.reset();
  REQUIRE_FALSE(fs::exists(old_file));
  REQUIRE(engine->Get(KeyOf(3))->value == LargeValue(3, 1));
}

TEST_CASE("large values survive a restart and a crash before their flush") {
  TempDir dir;
  StorageOptions opts = BlobOptions();
  opts.durability = Durability::kAlways;
  {
    auto engine = OpenOrDie(dir.path(), opts);
    REQUIRE(engine->Put("flushed", Value(LargeValue(1, 0, kMaxValueBytes))).ok());
  }  // closed: flushed to a blob file
  std::string crashed = RunInChildThenCrash([&] {
    auto engine = StorageEngine::Open(dir.path(), opts);
    if (!engine.ok() || !(*engine)->Put("in-wal", Value(LargeValue(2, 0, kMaxValueBytes))).ok()) return false;
    CrashNow();  // acknowledged, in the WAL only
  });
  REQUIRE(crashed == "crashed");
  auto engine = OpenOrDie(dir.path(), opts);  // replays the WAL into a table and a blob file
  RequireContentsEqual(*engine,
                       {{"flushed", LargeValue(1, 0, kMaxValueBytes)}, {"in-wal", LargeValue(2, 0, kMaxValueBytes)}});
  REQUIRE(engine->Info().num_blob_files == 2);
}

TEST_CASE("a damaged or truncated blob file reads as Corruption naming it, never as wrong data") {
  TempDir dir;
  StorageOptions opts = BlobOptions();
  {
    auto engine = OpenOrDie(dir.path(), opts);
    REQUIRE(engine->Put("a", Value(LargeValue(1, 0))).ok());
    REQUIRE(engine->Put("b", Value(LargeValue(2, 0))).ok());
  }
  std::string blob = BlobFiles(dir.path()).at(0);
  std::string name = fs::path(blob).filename().string();

  SECTION("a flipped bit") {
    FlipBit(blob, kBlobMagic.size() + 100);  // inside the value of "a"
    auto engine = OpenOrDie(dir.path(), opts);
    auto got = engine->Get("a");
    REQUIRE(got.status().IsCorruption());
    REQUIRE_THAT(got.status().message(), Catch::Contains(name) && Catch::Contains("checksum mismatch"));
    REQUIRE(engine->Get("b")->value == LargeValue(2, 0));  // the other value is intact
    auto it = engine->NewIterator(RangeOptions{});
    REQUIRE_FALSE(it->Valid());
    REQUIRE(it->status().IsCorruption());
    REQUIRE_THAT(it->status().message(), Catch::Contains(name));
  }
  SECTION("a truncated file") {
    REQUIRE(TruncateFile(blob, kBlobMagic.size() + kLarge + 10).ok());  // "b" is cut short
    auto engine = OpenOrDie(dir.path(), opts);
    REQUIRE(engine->Get("a")->value == LargeValue(1, 0));
    auto got = engine->Get("b");
    REQUIRE(got.status().IsCorruption());
    REQUIRE_THAT(got.status().message(), Catch::Contains(name) && Catch::Contains("truncated"));
  }
  SECTION("a missing file refuses open, naming it") {
    REQUIRE(RemoveFile(blob).ok());
    auto engine = StorageEngine::Open(dir.path(), opts);
    REQUIRE_FALSE(engine.ok());
    REQUIRE_THAT(engine.status().message(), Catch::Contains(name));
  }
}

TEST_CASE("a blob file an interrupted flush left behind is removed on open") {
  TempDir dir;
  {
    auto engine = OpenOrDie(dir.path(), BlobOptions());
    REQUIRE(engine->Put("a", Value(LargeValue(1, 0))).ok());
  }
  std::string orphan = dir.file("999999.blob");
  {
    auto f = WritableFile::Create(orphan);
    REQUIRE(f.ok());
    REQUIRE((*f)->Append(std::string(kBlobMagic) + "partial").ok());
    REQUIRE((*f)->Close().ok());
  }
  auto engine = OpenOrDie(dir.path(), BlobOptions());
  REQUIRE_FALSE(fs::exists(orphan));
  REQUIRE(engine->Get("a")->value == LargeValue(1, 0));
}
