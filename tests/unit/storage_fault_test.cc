// The storage engine on a failing or full disk: durable before visible, a sticky error
// after a failed fsync, a full disk as a clean and passing refusal, and WAL backpressure
// that never holds up reads. Faults come from file.cc's test-only seam (SetFileFaults) and,
// for a real full disk, from a small tmpfs.

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "engine_test_util.h"
#include "node/storage/file.h"
#include "tmpfs_mount.h"

using namespace ringkv;
using namespace ringkv::storage;
using ringkv::testing::TempDir;
using ringkv::testing::TmpfsMount;

namespace {

// Clears the seam's faults when the test ends, however it ends.
struct FaultsGuard {
  FaultsGuard() { REQUIRE(FileFaultsCompiledIn()); }
  ~FaultsGuard() { (void)SetFileFaults({}); }
  void Set(FileFaults f) { REQUIRE(SetFileFaults(f).ok()); }
};

StorageOptions Durable(Durability d) {
  StorageOptions o = SmallOptions();
  o.durability = d;
  return o;
}

// Polls `condition` until it holds or `limit` passes; true if it held.
template <typename F>
bool WaitFor(F condition, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// Puts 200-byte values under KeyOf(0), KeyOf(1), ... until one is refused or `limit` were
// put; records each acknowledged one in `acked` and returns the refusal (OK if none).
Status PutUntilRefused(StorageEngine& engine, int limit, std::map<std::string, std::string>* acked) {
  Status refused;
  for (int i = 0; i < limit && refused.ok(); ++i) {
    std::string value(200, static_cast<char>('a' + i % 26));
    refused = engine.Put(KeyOf(i), Value(value));
    if (refused.ok()) (*acked)[KeyOf(i)] = value;
  }
  return refused;
}

}  // namespace

TEST_CASE("a write whose WAL fsync failed is never visible, and every later write is refused") {
  FaultsGuard faults;
  TempDir dir;
  {
    auto engine = OpenOrDie(dir.path(), Durable(Durability::kAlways));
    REQUIRE(engine->Put("before", Value("acked")).ok());
    REQUIRE(engine->WriteError().ok());

    faults.Set({.write_errno = 0, .sync_errno = EIO, .path_part = ".log"});
    Status failed = engine->Put("failed", Value("never acked"));
    INFO(failed.ToString());
    REQUIRE(failed.IsIOError());
    REQUIRE_THAT(failed.message(), Catch::Contains("fdatasync failed"));
    REQUIRE(engine->Get("failed").status().IsNotFound());

    // Sticky: the disk "recovers", the engine does not trust it until reopened.
    faults.Set({});
    Status later = engine->Put("later", Value("refused"));
    REQUIRE(later.IsIOError());
    REQUIRE_THAT(later.message(), Catch::Contains("fdatasync failed"));
    REQUIRE_THAT(engine->WriteError().message(), Catch::Contains("fdatasync failed"));
    REQUIRE(engine->stats().write_errors.load() >= 1);

    // Reads keep working, from the memtable and from tables.
    REQUIRE(engine->Get("before")->value == "acked");
    REQUIRE(engine->Get("later").status().IsNotFound());
    REQUIRE(engine->NewIterator(RangeOptions{})->Valid());
  }
  auto reopened = OpenOrDie(dir.path(), Durable(Durability::kAlways));
  REQUIRE(reopened->Get("before")->value == "acked");
  REQUIRE(reopened->Get("failed").status().IsNotFound());
  REQUIRE(reopened->Get("later").status().IsNotFound());
  REQUIRE(reopened->Put("after reopen", Value("v")).ok());
}

TEST_CASE(
    "under durability batch a failed background fsync refuses every later write and keeps what was acknowledged") {
  FaultsGuard faults;
  TempDir dir;
  std::map<std::string, std::string> acked;
  {
    auto engine = OpenOrDie(dir.path(), Durable(Durability::kBatch));
    REQUIRE(engine->Put("before", Value("acked")).ok());
    acked["before"] = "acked";
    faults.Set({.write_errno = 0, .sync_errno = EIO, .path_part = ".log"});
    // Writes still reach the file and are acknowledged until the sync thread's next fsync
    // fails (within the sync interval); from then on every write is refused.
    Status refused = PutUntilRefused(*engine, 100000, &acked);
    INFO(refused.ToString());
    REQUIRE(refused.IsIOError());
    REQUIRE_THAT(refused.message(), Catch::Contains("fdatasync failed"));
    faults.Set({});
    REQUIRE(engine->Put("later", Value("refused")).IsIOError());  // sticky
    REQUIRE(engine->Get("later").status().IsNotFound());
    RequireContentsEqual(*engine, acked);  // reads keep working
  }
  auto reopened = OpenOrDie(dir.path(), Durable(Durability::kBatch));
  RequireContentsEqual(*reopened, acked);  // the acknowledged writes were written: none is lost
}

TEST_CASE("a WAL write that failed with an I/O error is sticky too") {
  FaultsGuard faults;
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), Durable(Durability::kAlways));
  faults.Set({.write_errno = EIO, .sync_errno = 0, .path_part = ".log"});
  REQUIRE(engine->Put("k", Value("v")).IsIOError());
  faults.Set({});
  REQUIRE_THAT(engine->Put("k2", Value("v")).message(), Catch::Contains("write failed"));
  REQUIRE(engine->Get("k").status().IsNotFound());
}

TEST_CASE("a full disk refuses writes cleanly, and writes succeed again once there is room") {
  Durability mode = GENERATE(Durability::kAlways, Durability::kBatch, Durability::kNone);
  INFO("durability " << static_cast<int>(mode));
  FaultsGuard faults;
  TempDir dir;
  std::map<std::string, std::string> acked;
  {
    auto engine = OpenOrDie(dir.path(), Durable(mode));
    for (int i = 0; i < 20; ++i) {
      REQUIRE(engine->Put(KeyOf(i), Value("v" + std::to_string(i))).ok());
      acked[KeyOf(i)] = "v" + std::to_string(i);
    }
    faults.Set({.write_errno = ENOSPC, .sync_errno = 0, .path_part = ".log"});
    // kAlways and kBatch refuse the first write (they acknowledge only what reached the
    // file); kNone acknowledges what it buffered before its writer thread met the full
    // disk (those must survive), then refuses.
    Status full;
    REQUIRE(WaitFor([&] {
      std::string key = "buffered" + std::to_string(acked.size());
      full = engine->Put(key, Value("b"));
      if (full.ok()) acked[key] = "b";
      return !full.ok();
    }));
    if (mode != Durability::kNone) REQUIRE(acked.size() == 20);
    for (int i = 0; i < 3; ++i) {  // every attempt fails while the disk is full
      INFO(full.ToString());
      REQUIRE(full.IsIOError());
      REQUIRE(IsDiskFull(full));
      REQUIRE_THAT(full.message(), Catch::Contains("disk full") && Catch::Contains("No space left"));
      full = engine->Put("while full", Value("refused"));
    }
    REQUIRE(engine->Get("while full").status().IsNotFound());
    REQUIRE(IsDiskFull(engine->WriteError()));
    RequireContentsEqual(*engine, acked);

    faults.Set({});  // space freed: the next write goes through, nothing to reopen
    REQUIRE(engine->Put("after", Value("room again")).ok());
    acked["after"] = "room again";
    REQUIRE(engine->WriteError().ok());
    RequireContentsEqual(*engine, acked);
  }
  auto reopened = OpenOrDie(dir.path(), Durable(mode));
  RequireContentsEqual(*reopened, acked);
  REQUIRE(reopened->Get("while full").status().IsNotFound());
}

TEST_CASE("a flush that finds the disk full is retried, and writes that need its room are refused meanwhile") {
  FaultsGuard faults;
  TempDir dir;
  StorageOptions options = SmallOptions();  // 64 KB memtables
  std::map<std::string, std::string> acked;
  {
    auto engine = OpenOrDie(dir.path(), options);
    faults.Set({.write_errno = ENOSPC, .sync_errno = 0, .path_part = ".sst"});
    Status refused = PutUntilRefused(*engine, 2000, &acked);  // a memtable, then the next
    INFO(refused.ToString());
    REQUIRE(IsDiskFull(refused));
    REQUIRE(IsDiskFull(engine->WriteError()));
    RequireContentsEqual(*engine, acked);

    faults.Set({});
    REQUIRE(WaitFor([&] { return engine->WriteError().ok(); }));  // the retried flush succeeded
    REQUIRE(engine->Put("after", Value("v")).ok());
    acked["after"] = "v";
    REQUIRE(engine->Flush().ok());
  }
  auto reopened = OpenOrDie(dir.path(), options);
  RequireContentsEqual(*reopened, acked);
}

TEST_CASE("a flush that fails with an I/O error is tried once, refuses every later write, and a reopen loses nothing") {
  FaultsGuard faults;
  TempDir dir;
  StorageOptions options = SmallOptions();  // 64 KB memtables
  std::map<std::string, std::string> acked;
  {
    auto engine = OpenOrDie(dir.path(), options);
    faults.Set({.write_errno = EIO, .sync_errno = 0, .path_part = ".sst"});
    Status refused = PutUntilRefused(*engine, 4000, &acked);  // until a flush has failed
    INFO(refused.ToString());
    REQUIRE(refused.IsIOError());
    REQUIRE_FALSE(IsDiskFull(refused));
    REQUIRE(engine->Put("after", Value("v")).IsIOError());
    RequireContentsEqual(*engine, acked);
    REQUIRE_FALSE(engine->Close().ok());
    // Once, not in a loop: the flush thread stops at a sticky error instead of trying the
    // same flush again and again while the faults last (they last until the engine closed).
    CHECK(engine->stats().flush_errors.load() == 1);
  }
  faults.Set({});
  auto reopened = OpenOrDie(dir.path(), options);
  RequireContentsEqual(*reopened, acked);
}

TEST_CASE("a write waiting for the WAL's backlog holds up no read, and WriteWouldBlock says it would wait") {
  FaultsGuard faults;
  TempDir dir;
  StorageOptions options;                  // 32 MB memtable: only the WAL can hold a write up
  options.durability = Durability::kNone;  // the one mode whose writes wait for nothing but a backlog
  auto engine = OpenOrDie(dir.path(), options);
  REQUIRE(engine->Put("present", Value("v")).ok());
  REQUIRE_FALSE(engine->WriteWouldBlock());

  faults.Set({.write_errno = 0, .sync_errno = 0, .stall_writes = true, .path_part = ".log"});  // a disk that is behind
  const std::string value(10 * 1024, 'x');
  constexpr int kWrites = 1200;  // 12 MB: past the WAL's 8 MB backlog
  std::atomic<int> done{0};
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      if (!engine->Put(KeyOf(i), Value(value)).ok()) break;
      done.fetch_add(1);
    }
  });
  // The backlog is full once 8 MB are buffered and the writer stops making progress.
  bool backlogged = WaitFor([&] { return engine->stats().wal_bytes_written.load() >= (8u << 20); });
  bool would_block = backlogged && WaitFor([&] { return engine->WriteWouldBlock(); }, std::chrono::seconds(2));
  auto read = std::async(std::launch::async, [&] { return engine->Get("present"); });
  bool read_answered = read.wait_for(std::chrono::seconds(5)) == std::future_status::ready;

  faults.Set({});  // the disk catches up; the writer finishes
  writer.join();
  REQUIRE(backlogged);
  REQUIRE(read_answered);
  REQUIRE(would_block);
  REQUIRE(read.get()->value == "v");
  REQUIRE(done.load() == kWrites);
  REQUIRE(engine->Get(KeyOf(kWrites - 1))->value == value);
}

TEST_CASE("concurrent always-durable writers share fsyncs and a reader never sees a key go back") {
  TempDir dir;
  auto engine = OpenOrDie(dir.path(), Durable(Durability::kAlways));
  constexpr int kThreads = 4, kWrites = 200;
  std::atomic<bool> stop{false};
  std::atomic<bool> went_back{false};
  std::thread reader([&] {
    std::map<int, int> seen;  // writer -> the highest count seen for it
    while (!stop.load()) {
      auto got = engine->Get("shared");
      if (!got.ok()) continue;
      int writer = got->value[0] - '0';
      int count = std::stoi(got->value.substr(2));
      // A writer's own writes are sequential: seeing an older one after a newer one means
      // a write became visible out of order.
      if (count < seen[writer]) went_back = true;
      seen[writer] = std::max(seen[writer], count);
    }
  });
  std::atomic<int> failed_writes{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 1; i <= kWrites; ++i) {
        if (!engine->Put("shared", Value(std::to_string(t) + ":" + std::to_string(i))).ok()) failed_writes.fetch_add(1);
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  REQUIRE(failed_writes.load() == 0);
  REQUIRE_FALSE(went_back);
  REQUIRE(engine->stats().wal_fsyncs.load() < static_cast<uint64_t>(kThreads * kWrites));  // group commit
  REQUIRE(engine->Info().last_sequence >= static_cast<uint64_t>(kThreads * kWrites));
}

TEST_CASE("an engine on a real full disk refuses writes, keeps its data, and takes writes once space is freed") {
  std::string why;
  auto disk = TmpfsMount::Mount(8u << 20, &why);
  if (!disk) {
    WARN(why);
    SUCCEED("skipped: " + why);
    return;
  }
  StorageOptions options = SmallOptions();
  options.durability = Durability::kAlways;
  std::string dir = disk->path() + "/data";
  std::map<std::string, std::string> acked;
  {
    auto engine = OpenOrDie(dir, options);
    for (int i = 0; i < 100; ++i) {
      REQUIRE(engine->Put(KeyOf(i), Value("v" + std::to_string(i))).ok());
      acked[KeyOf(i)] = "v" + std::to_string(i);
    }
    REQUIRE(disk->FillWith("filler") > 0);
    Status full;
    std::string value(1000, 'f');
    for (int i = 0; i < 200 && full.ok(); ++i) {  // the WAL's last free pages go first
      full = engine->Put("full" + std::to_string(i), Value(value));
      if (full.ok()) acked["full" + std::to_string(i)] = value;
    }
    INFO(full.ToString());
    REQUIRE(IsDiskFull(full));
    REQUIRE(IsDiskFull(engine->WriteError()));
    RequireContentsEqual(*engine, acked);

    disk->Remove("filler");
    REQUIRE(engine->Put("after", Value("room again")).ok());
    acked["after"] = "room again";
    REQUIRE(engine->WriteError().ok());
    REQUIRE(engine->Flush().ok());
  }
  auto reopened = OpenOrDie(dir, options);
  RequireContentsEqual(*reopened, acked);
}
