// Leveled compaction (compaction.h): the shape of the levels, reads across them, reopening,
// tombstones that must stay while a deeper level holds an older version, and crashes
// between a merge's tables and the manifest that names them.

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "engine_test_util.h"
#include "node/storage/file.h"
#include "node/storage/manifest.h"

using namespace ringkv;
using namespace ringkv::storage;
using ringkv::testing::TempDir;

namespace {

constexpr std::chrono::hours kDay{24};

std::string RandomBytes(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;  // incompressible: table sizes follow the data
}

// Random overwrites of `keys` keys, `writes` of them, recorded in `model`.
void Overwrite(StorageEngine& engine, std::map<std::string, std::string>* model, int keys, int writes, uint32_t seed) {
  std::mt19937 rng(seed);
  for (int i = 0; i < writes; ++i) {
    std::string k = KeyOf(static_cast<int>(rng() % static_cast<uint32_t>(keys)));
    std::string v = "v" + std::to_string(seed) + "-" + std::to_string(i) + RandomBytes(rng, 60);
    REQUIRE(engine.Put(k, Value(v)).ok());
    (*model)[k] = v;
  }
}

// Levels >= 1 hold disjoint tables in key order, and level 0 is within its trigger once settled.
void RequireLevelsWellFormed(const std::vector<TableInfo>& layout) {
  for (size_t i = 1; i < layout.size(); ++i) {
    const TableInfo& a = layout[i - 1];
    const TableInfo& b = layout[i];
    REQUIRE(a.level <= b.level);
    if (a.level == b.level && a.level > 0) {
      INFO("level " << a.level << ": [" << a.smallest << ", " << a.largest << "] then [" << b.smallest << ", "
                    << b.largest << "]");
      REQUIRE(a.largest < b.smallest);
    }
  }
}

int DeepestLevel(const std::vector<TableInfo>& layout) {
  int deepest = 0;
  for (const auto& t : layout) deepest = std::max(deepest, t.level);
  return deepest;
}

size_t TableFilesIn(const std::string& dir) {
  auto names = ListDir(dir);
  REQUIRE(names.ok());
  uint64_t number = 0;
  return static_cast<size_t>(std::count_if(names->begin(), names->end(), [&](const std::string& n) {
    return ParseFileName(n, &number) == FileKind::kTable;
  }));
}

}  // namespace

TEST_CASE("leveled compaction pushes tables down several levels, keeps each level disjoint, and loses no version") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), TinyLevelsOptions());
  std::map<std::string, std::string> model;
  Overwrite(*engine, &model, 4000, 20000, 1);
  REQUIRE(engine->Flush().ok());
  REQUIRE(engine->WaitForCompactions().ok());
  auto layout = engine->Layout();
  RequireLevelsWellFormed(layout);
  REQUIRE(DeepestLevel(layout) >= 3);
  size_t level0 =
      static_cast<size_t>(std::count_if(layout.begin(), layout.end(), [](auto& t) { return t.level == 0; }));
  REQUIRE(level0 < 3);  // below the trigger once settled
  // Each merge into a level below 0 is cut into tables of about target_table_bytes.
  REQUIRE(std::all_of(layout.begin(), layout.end(), [](auto& t) { return t.level == 0 || t.bytes < 64 * 1024; }));
  REQUIRE(engine->Info().compaction_debt_bytes == 0);
  RequireContentsEqual(*engine, model);
  REQUIRE(engine->stats().compaction_count.load() > 5);
}

TEST_CASE("a read finds the newest version when older ones sit in deeper levels") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), TinyLevelsOptions());
  std::map<std::string, std::string> model;
  Overwrite(*engine, &model, 2000, 12000, 2);
  REQUIRE(engine->Flush().ok());
  REQUIRE(engine->WaitForCompactions().ok());
  REQUIRE(DeepestLevel(engine->Layout()) >= 2);
  // Newer versions of some keys, in level 0 and the memtable, over older ones below.
  for (int i = 0; i < 2000; i += 7) {
    REQUIRE(engine->Put(KeyOf(i), Value("new" + std::to_string(i))).ok());
    model[KeyOf(i)] = "new" + std::to_string(i);
  }
  REQUIRE(engine->Flush().ok());
  for (int i = 0; i < 2000; i += 11) {
    REQUIRE(engine->Put(KeyOf(i), Value("newer" + std::to_string(i))).ok());
    model[KeyOf(i)] = "newer" + std::to_string(i);
  }
  RequireContentsEqual(*engine, model);
  REQUIRE(engine->Flush().ok());
  REQUIRE(engine->WaitForCompactions().ok());
  RequireContentsEqual(*engine, model);
}

TEST_CASE("a reopened engine keeps every table in its level") {
  TempDir dir;
  std::map<std::string, std::string> model;
  std::vector<TableInfo> before;
  {
    auto engine = OpenOrDie(dir.path(), TinyLevelsOptions());
    Overwrite(*engine, &model, 3000, 10000, 3);
    REQUIRE(engine->Flush().ok());
    REQUIRE(engine->WaitForCompactions().ok());
    before = engine->Layout();
    REQUIRE(DeepestLevel(before) >= 2);
  }
  auto engine = OpenOrDie(dir.path(), TinyLevelsOptions());
  auto after = engine->Layout();
  REQUIRE(after.size() == before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    REQUIRE(after[i].number == before[i].number);
    REQUIRE(after[i].level == before[i].level);
  }
  RequireContentsEqual(*engine, model);
}

TEST_CASE("tables a size-tiered engine left are taken into level 0 and compacted into levels") {
  TempDir dir;
  std::map<std::string, std::string> model;
  {
    StorageOptions tiered = SmallOptions();
    tiered.compaction_style = CompactionStyle::kSizeTiered;
    auto engine = OpenOrDie(dir.path(), tiered);
    Overwrite(*engine, &model, 3000, 8000, 4);
    REQUIRE(engine->Flush().ok());
    REQUIRE(engine->WaitForCompactions().ok());
    REQUIRE(DeepestLevel(engine->Layout()) == 0);
  }
  auto engine = OpenOrDie(dir.path(), TinyLevelsOptions());
  Overwrite(*engine, &model, 3000, 4000, 5);
  REQUIRE(engine->Flush().ok());
  REQUIRE(engine->WaitForCompactions().ok());
  RequireLevelsWellFormed(engine->Layout());
  REQUIRE(DeepestLevel(engine->Layout()) >= 1);
  RequireContentsEqual(*engine, model);
}

TEST_CASE("an expired tombstone merged into level 1 is kept while a deeper level holds the key, then reaped with it") {
  TempDir dir;
  ManualClock clock;
  StorageOptions opts = TinyLevelsOptions();
  opts.clock = &clock;
  opts.tombstone_grace = 10 * kDay;
  auto engine = OpenOrDie(dir.path(), opts);
  // "victim" = "old" among enough data to be pushed below level 1.
  REQUIRE(engine->Put("key00000500x", Value("old")).ok());
  std::map<std::string, std::string> model;
  Overwrite(*engine, &model, 2000, 6000, 6);
  REQUIRE(engine->Flush().ok());
  REQUIRE(engine->WaitForCompactions().ok());
  auto old_level = [&] {
    for (const auto& t : engine->Layout())
      if (t.smallest <= "key00000500x" && "key00000500x" <= t.largest && t.min_seq <= 1) return t.level;
    return -1;
  };
  REQUIRE(old_level() >= 2);
  // The tombstone, then enough level-0 tables to merge it into level 1.
  REQUIRE(engine->Put("key00000500x", Tombstone(clock.WallMs())).ok());
  REQUIRE(engine->Flush().ok());
  clock.Advance(11 * kDay);
  uint64_t compactions = engine->stats().compaction_count.load();
  for (int t = 0; t < 3; ++t) {
    REQUIRE(engine->Put("key00000500y" + std::to_string(t), Value("s")).ok());
    model["key00000500y" + std::to_string(t)] = "s";
    REQUIRE(engine->Flush().ok());
  }
  REQUIRE(engine->WaitForCompactions().ok());
  REQUIRE(engine->stats().compaction_count.load() > compactions);
  auto got = engine->Get("key00000500x");
  REQUIRE(got.ok());
  REQUIRE(got->tombstone);  // dropping it would bring back "old" from the deeper level
  REQUIRE(engine->stats().tombstones_dropped.load() == 0);

  REQUIRE(engine->CompactAll().ok());  // everything into one level: the old value and the tombstone meet
  REQUIRE(engine->Get("key00000500x").status().IsNotFound());
  REQUIRE(engine->stats().tombstones_dropped.load() == 1);
  RequireContentsEqual(*engine, model);
}

TEST_CASE(
    "a crash after a merge wrote its tables but before the manifest named them loses nothing and leaves no file") {
  REQUIRE(FileFaultsCompiledIn());  // test builds compile the seam in
  TempDir dir;
  std::map<std::string, std::string> model;
  {
    auto engine = OpenOrDie(dir.path(), TinyLevelsOptions());
    Overwrite(*engine, &model, 3000, 10000, 7);
    REQUIRE(engine->Flush().ok());
    REQUIRE(engine->WaitForCompactions().ok());
  }
  std::string outcome = RunInChildThenCrash([&] {
    auto engine = StorageEngine::Open(dir.path(), TinyLevelsOptions());
    if (!engine.ok()) return false;
    size_t before = TableFilesIn(dir.path());
    // The manifest write waits: the merge writes (and fsyncs) its tables, then holds.
    if (!SetFileFaults(FileFaults{0, 0, true, "MANIFEST"}).ok()) return false;
    std::thread compact([&] { (void)(*engine)->CompactAll(); });
    compact.detach();
    if (!WaitFor([&] { return TableFilesIn(dir.path()) > before; })) return false;
    CrashNow();
  });
  REQUIRE(outcome == "crashed");
  REQUIRE(SetFileFaults(FileFaults{}).ok());
  auto engine = OpenOrDie(dir.path(), TinyLevelsOptions());
  RequireContentsEqual(*engine, model);
  RequireLevelsWellFormed(engine->Layout());
  REQUIRE(TableFilesIn(dir.path()) == engine->Info().num_tables);  // the merge's tables were removed
}

TEST_CASE("a merge whose manifest write fails keeps the old tables, refuses later writes, and a reopen loses nothing") {
  REQUIRE(FileFaultsCompiledIn());  // test builds compile the seam in
  TempDir dir;
  std::map<std::string, std::string> model;
  auto engine = OpenOrDie(dir.path(), TinyLevelsOptions());
  Overwrite(*engine, &model, 3000, 10000, 8);
  REQUIRE(engine->Flush().ok());
  REQUIRE(engine->WaitForCompactions().ok());
  auto layout = engine->Layout();
  REQUIRE(SetFileFaults(FileFaults{0, 5, false, "MANIFEST"}).ok());  // its fsync fails: EIO
  REQUIRE_FALSE(engine->CompactAll().ok());
  REQUIRE(SetFileFaults(FileFaults{}).ok());
  REQUIRE_FALSE(engine->Put("after", Value("x")).ok());  // sticky
  RequireContentsEqual(*engine, model);                  // reads keep working
  auto now = engine->Layout();
  REQUIRE(now.size() == layout.size());
  engine.reset();
  engine = OpenOrDie(dir.path(), TinyLevelsOptions());
  RequireContentsEqual(*engine, model);
  REQUIRE(TableFilesIn(dir.path()) == engine->Info().num_tables);
}

TEST_CASE("writes are paced, not stopped, while level 0 nears the table count that stops them") {
  TempDir dir;
  StorageOptions o = SmallOptions();
  o.compaction_style = CompactionStyle::kLeveled;
  o.durability = Durability::kNone;                           // so that WriteWouldBlock answers for the tables alone
  o.level0_compaction_trigger = 100;                          // nothing merges level 0 here: its tables only pile up
  o.stall_table_count = 10;                                   // writes stop at 10 level-0 tables, are paced from 8
  o.slowdown_write_bytes_per_s = kMinSlowdownBytesPerSecond;  // 64 KB/s
  auto engine = OpenOrDie(dir.path(), o);
  std::map<std::string, std::string> model;
  auto put = [&](const std::string& key, const std::string& value) {
    REQUIRE(engine->Put(key, Value(value)).ok());
    model[key] = value;
  };
  auto level0 = [&] {
    auto layout = engine->Layout();
    return std::count_if(layout.begin(), layout.end(), [](const TableInfo& t) { return t.level == 0; });
  };
  const std::string value(4096, 'v');  // 1/16 s of the pacing rate each
  for (int t = 0; t < 7; ++t) {
    put("table" + std::to_string(t), value);
    REQUIRE(engine->Flush().ok());
  }
  REQUIRE(level0() == 7);
  REQUIRE_FALSE(engine->WriteWouldBlock());
  for (int i = 0; i < 4; ++i) put("below" + std::to_string(i), value);
  CHECK(engine->stats().write_slowdowns.load() == 0);  // 7 tables: not yet paced

  REQUIRE(engine->Flush().ok());
  REQUIRE(level0() == 8);
  CHECK(engine->WriteWouldBlock());  // an event loop must hand the write to a worker
  for (int i = 0; i < 4; ++i) put("paced" + std::to_string(i), value);
  CHECK(engine->stats().write_slowdowns.load() == 4);  // each waited its turn (1/16 s)
  CHECK(engine->stats().write_slowdown_micros.load() > 0);
  CHECK(engine->stats().write_stalls.load() == 0);  // paced, never stopped
  RequireContentsEqual(*engine, model);
}

TEST_CASE("a write pacing rate too slow to be meant is refused at open") {
  TempDir dir;
  StorageOptions o = SmallOptions();
  o.slowdown_write_bytes_per_s = 1;  // a 100-byte write would wait 100 s
  auto engine = StorageEngine::Open(dir.path(), o);
  REQUIRE_FALSE(engine.ok());
  CHECK(engine.status().IsInvalidArgument());
  CHECK_THAT(engine.status().message(), Catch::Contains("slowdown_write_bytes_per_s"));
}
