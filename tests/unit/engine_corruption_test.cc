// Damaged files under a whole engine: detected, reported with the file (and offset),
// never a crash and never a wrong value.

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "engine_test_util.h"
#include "file_damage.h"
#include "node/storage/file.h"
#include "node/storage/manifest.h"

using namespace ringkv;
using namespace ringkv::storage;
using ringkv::testing::FlipBit;
using ringkv::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> FilesWithSuffix(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == suffix) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("a flipped bit in a table's data block is reported on read, naming the file") {
  TempDir dir;
  StorageOptions opts = SmallOptions();
  {
    auto e = OpenOrDie(dir.path(), opts);
    for (int i = 0; i < 200; ++i) REQUIRE(e->Put(KeyOf(i), Value("value-" + std::to_string(i))).ok());
  }
  auto tables = FilesWithSuffix(dir.path(), ".sst");
  REQUIRE(tables.size() == 1);
  FlipBit(tables[0], 10);                // inside the first data block
  auto e = OpenOrDie(dir.path(), opts);  // index, bloom and footer are intact
  auto got = e->Get(KeyOf(0));
  REQUIRE_FALSE(got.ok());
  REQUIRE(got.status().IsCorruption());
  REQUIRE_THAT(got.status().message(), Catch::Contains(fs::path(tables[0]).filename().string()));
}

TEST_CASE("a flipped bit in a table's footer makes open fail with Corruption naming the file") {
  TempDir dir;
  {
    auto e = OpenOrDie(dir.path(), SmallOptions());
    REQUIRE(e->Put("k", Value("v")).ok());
  }
  auto tables = FilesWithSuffix(dir.path(), ".sst");
  REQUIRE(tables.size() == 1);
  FlipBit(tables[0], fs::file_size(tables[0]) - 3);
  auto e = StorageEngine::Open(dir.path(), SmallOptions());
  REQUIRE_FALSE(e.ok());
  REQUIRE(e.status().IsCorruption());
  REQUIRE_THAT(e.status().message(), Catch::Contains(fs::path(tables[0]).filename().string()));
}

TEST_CASE("a damaged record in the middle of the WAL refuses open unless salvage is asked for") {
  TempDir dir;
  StorageOptions opts = SmallOptions();
  opts.durability = Durability::kAlways;
  opts.memtable_bytes = 64 << 20;  // everything stays in one WAL
  std::string outcome = RunInChildThenCrash([&] {
    auto e = StorageEngine::Open(dir.path(), opts);
    if (!e.ok()) return false;
    for (int i = 0; i < 3000; ++i) {
      if (!(*e)->Put(KeyOf(i), Value(std::string(50, 'v'))).ok()) return false;
    }
    CrashNow();
  });
  REQUIRE(outcome == "crashed");
  auto wals = FilesWithSuffix(dir.path(), ".log");
  REQUIRE(wals.size() == 1);
  REQUIRE(fs::file_size(wals[0]) > 100000);
  FlipBit(wals[0], 40000, 3);

  auto refused = StorageEngine::Open(dir.path(), opts);
  REQUIRE_FALSE(refused.ok());
  REQUIRE(refused.status().IsCorruption());
  REQUIRE_THAT(refused.status().message(),
               Catch::Contains(fs::path(wals[0]).filename().string()) && Catch::Contains("offset"));

  opts.salvage_wal = true;
  auto salvaged = OpenOrDie(dir.path(), opts);
  REQUIRE(salvaged->stats().corrupt_wal_records_skipped.load() >= 1);
  REQUIRE(salvaged->Get(KeyOf(0)).ok());     // before the damage
  REQUIRE(salvaged->Get(KeyOf(2999)).ok());  // after it
  int missing = 0;
  for (int i = 0; i < 3000; ++i) missing += salvaged->Get(KeyOf(i)).ok() ? 0 : 1;
  REQUIRE(missing >= 1);   // the damaged record is gone...
  REQUIRE(missing < 100);  // ...and only the records around it
}

TEST_CASE("a damaged manifest refuses open with Corruption") {
  TempDir dir;
  {
    auto e = OpenOrDie(dir.path(), SmallOptions());
    REQUIRE(e->Put("k", Value("v")).ok());
  }
  FlipBit(ManifestPath(dir.path()), 12);
  auto e = StorageEngine::Open(dir.path(), SmallOptions());
  REQUIRE_FALSE(e.ok());
  REQUIRE(e.status().IsCorruption());
  REQUIRE_THAT(e.status().message(), Catch::Contains("MANIFEST"));
}

TEST_CASE("leftovers of an interrupted flush or compaction are removed on open") {
  TempDir dir;
  {
    auto e = OpenOrDie(dir.path(), SmallOptions());
    REQUIRE(e->Put("k", Value("v")).ok());
  }
  std::ofstream(dir.file("999999.sst")) << "half-written table";
  std::ofstream(dir.file("MANIFEST.tmp")) << "half-written manifest";
  auto e = OpenOrDie(dir.path(), SmallOptions());
  REQUIRE_FALSE(fs::exists(dir.file("999999.sst")));
  REQUIRE_FALSE(fs::exists(dir.file("MANIFEST.tmp")));
  REQUIRE(e->Get("k")->value == "v");
}
