// Full memtables waiting for their flush (StorageOptions::max_immutable_memtables): writes go
// on into a fresh memtable while several wait, reads and snapshots see all of them, Flush
// waits for every one queued before it, and a crash with some or all of them unflushed
// loses no acknowledged write. Flushes are held up with file.cc's test-only fault seam
// (writes of tables stall), so nothing here depends on timing.

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "engine_test_util.h"
#include "node/storage/file.h"
#include "node/storage/manifest.h"

using namespace ringkv;
using namespace ringkv::storage;
using ringkv::testing::TempDir;

namespace {

// Writes of tables wait until the faults change: a flush stops before its table is live.
const FileFaults kHoldFlushes{.write_errno = 0, .sync_errno = 0, .stall_writes = true, .path_part = ".sst"};

// Clears the seam's faults when the test ends, however it ends.
struct FaultsGuard {
  FaultsGuard() { REQUIRE(FileFaultsCompiledIn()); }
  ~FaultsGuard() { (void)SetFileFaults({}); }
  void HoldFlushes() { REQUIRE(SetFileFaults(kHoldFlushes).ok()); }
  void Release() { REQUIRE(SetFileFaults({}).ok()); }
};

StorageOptions QueueOptions(int max_immutable) {
  StorageOptions o = SmallOptions();  // 64 KB memtables
  o.max_immutable_memtables = max_immutable;
  o.durability = Durability::kNone;  // a write waits for nothing but the queue (WriteWouldBlock says so)
  return o;
}

const std::string kValue(1024, 'v');

// The writes these tests make, in order: the nth sets KeyOf(n % 40) to a value that names n.
constexpr int kKeys = 40;
std::string ValueOf(int n) { return std::to_string(n) + "/" + kValue; }

std::map<std::string, std::string> ModelAfter(int writes) {
  std::map<std::string, std::string> model;
  for (int n = 0; n < writes; ++n) model[KeyOf(n % kKeys)] = ValueOf(n);
  return model;
}

// Makes writes from the `*written`th on until `engine` has `queued` full memtables waiting,
// counting the acknowledged ones in `*written`. False if a write fails, or the queue does
// not fill within 10,000 writes (the writer would stall instead).
bool WriteUntilQueued(StorageEngine& engine, uint64_t queued, int* written) {
  for (int limit = *written + 10000; *written < limit; ++*written) {
    if (engine.Info().immutable_memtables >= queued) return true;
    if (!engine.Put(KeyOf(*written % kKeys), Value(ValueOf(*written))).ok()) return false;
  }
  return false;
}

// Runs `body` in a forked child (RunInChildThenCrash), which calls `crash` with the number of
// writes acknowledged while its engine is still open; returns that number, or -1 when the
// child did not crash that way.
using CrashFn = std::function<void(int acked)>;
int AckedWritesOfCrashedChild(const std::function<bool(const CrashFn& crash)>& body) {
  TempDir side;
  std::string outcome = RunInChildThenCrash([&] {
    return body([&](int acked) {
      std::ofstream(side.file("acked")) << acked;  // closed (written out) before the crash
      CrashNow();
    });
  });
  INFO(outcome);
  REQUIRE(outcome == "crashed");
  int acked = -1;
  std::ifstream(side.file("acked")) >> acked;
  return acked;
}

// With flushes held (kHoldFlushes), lets exactly one through: its table is written while
// the manifest that names it waits; then tables wait again, so the next flush stops before
// its table is live. True once `queued` memtables are left.
bool LetOneFlushThrough(StorageEngine& engine, const std::string& dir, uint64_t queued) {
  FileFaults hold_manifest = kHoldFlushes;
  hold_manifest.path_part = "MANIFEST";
  if (!SetFileFaults(hold_manifest).ok()) return false;
  if (!WaitFor([&] { return std::filesystem::exists(dir + "/MANIFEST.tmp"); })) return false;
  if (!SetFileFaults(kHoldFlushes).ok()) return false;
  return WaitFor([&] { return engine.Info().immutable_memtables == queued; });
}

int CountFiles(const std::string& dir, FileKind kind) {
  auto names = ListDir(dir);
  REQUIRE(names.ok());
  int n = 0;
  uint64_t number = 0;
  for (const auto& name : *names) n += ParseFileName(name, &number) == kind ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("writes go on while several full memtables wait for their flush, and stall when the queue is full") {
  FaultsGuard faults;
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), QueueOptions(3));
  faults.HoldFlushes();
  int written = 0;
  REQUIRE(WriteUntilQueued(*engine, 3, &written));
  REQUIRE(engine->stats().write_stalls.load() == 0);
  REQUIRE(engine->Info().immutable_memtable_bytes >= 3 * SmallOptions().memtable_bytes);

  // A fourth full memtable has nowhere to go: the writer waits for the held flush.
  std::atomic<int> late{0};
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) {
      if (!engine->Put("late" + KeyOf(i), Value(kValue)).ok()) return;
      late.fetch_add(1);
    }
  });
  bool would_block = WaitFor([&] { return engine->WriteWouldBlock(); });
  bool stalled = WaitFor([&] { return engine->stats().write_stalls.load() > 0; });
  uint64_t queued_while_stalled = engine->Info().immutable_memtables;
  faults.Release();
  writer.join();
  REQUIRE(would_block);
  REQUIRE(stalled);
  REQUIRE(queued_while_stalled == 3);
  REQUIRE(late.load() == 200);
  auto model = ModelAfter(written);
  for (int i = 0; i < 200; ++i) model["late" + KeyOf(i)] = kValue;
  REQUIRE(engine->Flush().ok());
  REQUIRE(engine->Info().immutable_memtables == 0);
  RequireContentsEqual(*engine, model);
}

TEST_CASE("reads, snapshots and iterators see every memtable waiting for its flush, newest version first") {
  FaultsGuard faults;
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), QueueOptions(3));
  faults.HoldFlushes();
  int written = 0;
  REQUIRE(WriteUntilQueued(*engine, 1, &written));
  auto older = engine->GetSnapshot();
  auto older_model = ModelAfter(written);
  REQUIRE(WriteUntilQueued(*engine, 2, &written));
  // Versions of one key in the active memtable and in both queued ones; a deleted key's
  // tombstone hides its older versions in the queued memtables.
  auto model = ModelAfter(written);
  REQUIRE(engine->Put(KeyOf(0), Value("newest")).ok());
  model[KeyOf(0)] = "newest";
  REQUIRE(engine->Put(KeyOf(1), Tombstone(5)).ok());
  model.erase(KeyOf(1));
  REQUIRE(engine->Info().immutable_memtables == 2);

  RequireContentsEqual(*engine, model);
  auto deleted = engine->Get(KeyOf(1));
  REQUIRE(deleted.ok());
  REQUIRE(deleted->tombstone);
  // The snapshot taken with one memtable queued still reads as it was.
  std::map<std::string, std::string> seen;
  auto it = engine->NewIterator(RangeOptions{.start = "", .end = "", .snapshot = older});
  for (; it->Valid(); it->Next()) seen[std::string(it->key())] = it->record().value;
  REQUIRE(it->status().ok());
  REQUIRE(seen == older_model);

  // Flush waits for every memtable queued before it; the tables then hold the same.
  faults.Release();
  REQUIRE(engine->Flush().ok());
  REQUIRE(engine->Info().immutable_memtables == 0);
  RequireContentsEqual(*engine, model);
  engine.reset();
  RequireContentsEqual(*OpenOrDie(dir.path(), QueueOptions(3)), model);
}

TEST_CASE("a crash with several full memtables waiting for their flush loses no acknowledged write") {
  TempDir dir;
  StorageOptions opts = QueueOptions(3);
  opts.durability = Durability::kAlways;
  int acked = AckedWritesOfCrashedChild([&](const CrashFn& crash) {
    if (!SetFileFaults(kHoldFlushes).ok()) return false;
    auto engine = StorageEngine::Open(dir.path(), opts);
    int written = 0;
    if (!engine.ok() || !WriteUntilQueued(**engine, 3, &written)) return false;
    crash(written);
    return false;
  });
  REQUIRE(acked > kKeys);
  // Nothing was flushed (the held flush left only its partial table): every WAL is still there.
  REQUIRE(CountFiles(dir.path(), FileKind::kWal) == 4);  // three queued memtables' and the active one's
  RequireContentsEqual(*OpenOrDie(dir.path(), opts), ModelAfter(acked));
}

TEST_CASE("a crash after part of the queue was flushed loses nothing: WALs retire oldest first") {
  TempDir dir;
  StorageOptions opts = QueueOptions(3);
  opts.durability = Durability::kAlways;
  int acked = AckedWritesOfCrashedChild([&](const CrashFn& crash) {
    if (!SetFileFaults(kHoldFlushes).ok()) return false;
    auto engine = StorageEngine::Open(dir.path(), opts);
    int written = 0;
    if (!engine.ok() || !WriteUntilQueued(**engine, 3, &written)) return false;
    // The second flush starts with a memtable queued behind it: it must keep that one's WAL.
    if (!LetOneFlushThrough(**engine, dir.path(), 2) || !LetOneFlushThrough(**engine, dir.path(), 1)) return false;
    crash(written);
    return false;
  });
  REQUIRE(acked > kKeys);
  REQUIRE(CountFiles(dir.path(), FileKind::kWal) == 2);  // the last queued memtable's and the active one's
  RequireContentsEqual(*OpenOrDie(dir.path(), opts), ModelAfter(acked));
}

TEST_CASE("an engine asked to keep no full memtable is refused at open") {
  TempDir dir;
  auto engine = StorageEngine::Open(dir.path(), QueueOptions(0));
  REQUIRE_FALSE(engine.ok());
  INFO(engine.status().ToString());
  REQUIRE(engine.status().code() == StatusCode::kInvalidArgument);
  REQUIRE(engine.status().message().find("max_immutable_memtables") != std::string::npos);
}
