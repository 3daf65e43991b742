// The write-ahead log: framing round trips, torn tails, mid-log corruption, salvage,
// garbage input and the durability modes of group commit.

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "file_damage.h"
#include "node/storage/file.h"
#include "node/storage/wal.h"
#include "temp_dir.h"

using namespace ringkv;
using namespace ringkv::storage;
using ringkv::testing::FlipBit;
using ringkv::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::string Payload(size_t size, int seed) {
  std::string s(size, '\0');
  std::mt19937 rng(seed);
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

// Writes payloads framed by WalWriter straight to a file.
void WriteLog(const std::string& path, const std::vector<std::string>& payloads) {
  WalWriter writer;
  std::string bytes;
  for (const auto& p : payloads) writer.AddRecord(p, &bytes);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct Replayed {
  Status status;
  std::vector<std::string> payloads;
  WalReplayStats stats;
};

Replayed Replay(const std::string& path, bool salvage = false) {
  Replayed r;
  r.status = ReplayWal(
      path, salvage,
      [&](std::string_view p) {
        r.payloads.emplace_back(p);
        return Status::OK();
      },
      &r.stats);
  return r;
}

// Sizes that land on every framing case: empty, tiny, exact block remainders, multi-block.
std::vector<std::string> MixedPayloads() {
  std::vector<std::string> out;
  int seed = 0;
  for (size_t size : {size_t{0}, size_t{1}, size_t{100}, kWalBlockSize - 2 * kWalHeaderSize - 100,
                      kWalBlockSize - kWalHeaderSize, size_t{3}, kWalBlockSize + 17, size_t{100000}, size_t{5}}) {
    out.push_back(Payload(size, seed++));
  }
  for (int i = 0; i < 200; ++i) out.push_back(Payload(static_cast<size_t>(i * 37 % 900), seed++));
  return out;
}

}  // namespace

TEST_CASE("payloads of every size replay identically and in order") {
  TempDir dir;
  auto payloads = MixedPayloads();
  WriteLog(dir.file("a.log"), payloads);
  auto r = Replay(dir.file("a.log"));
  REQUIRE(r.status.ok());
  REQUIRE(r.payloads == payloads);
  REQUIRE_FALSE(r.stats.truncated_torn_tail);
}

TEST_CASE("a torn tail is truncated and the records before it replay") {
  TempDir dir;
  std::vector<std::string> payloads = {Payload(500, 1), Payload(70000, 2), Payload(300, 3)};
  WriteLog(dir.file("full.log"), payloads);
  uint64_t full_size = fs::file_size(dir.file("full.log"));
  uint64_t last_start = full_size - 300 - kWalHeaderSize;
  // Cut inside the last record (and inside the multi-block one before it) at many points.
  for (uint64_t cut :
       {full_size - 1, full_size - 150, last_start + 3, last_start + 1, last_start - 1000, uint64_t{40000}}) {
    std::string path = dir.file("cut" + std::to_string(cut) + ".log");
    fs::copy_file(dir.file("full.log"), path);
    fs::resize_file(path, cut);
    auto r = Replay(path);
    INFO("cut at " << cut);
    REQUIRE(r.status.ok());
    size_t expect = cut > last_start ? 2 : 1;  // below it the cut is inside the 70 KB record
    REQUIRE(r.payloads.size() == expect);
    for (size_t i = 0; i < expect; ++i) REQUIRE(r.payloads[i] == payloads[i]);
    REQUIRE(r.stats.truncated_torn_tail);
    REQUIRE(fs::file_size(path) == r.stats.valid_bytes);
    REQUIRE(Replay(path).payloads.size() == expect);  // replaying again finds nothing to cut
  }
}

TEST_CASE("a flipped bit in the last record is a torn tail, not corruption") {
  TempDir dir;
  std::vector<std::string> payloads = {Payload(100, 1), Payload(100, 2), Payload(100, 3)};
  WriteLog(dir.file("a.log"), payloads);
  uint64_t size = fs::file_size(dir.file("a.log"));
  FlipBit(dir.file("a.log"), size - 10, 2);
  auto r = Replay(dir.file("a.log"));
  REQUIRE(r.status.ok());
  REQUIRE(r.payloads == std::vector<std::string>{payloads[0], payloads[1]});
  REQUIRE(r.stats.truncated_torn_tail);
}

TEST_CASE("damage in the middle of the log is reported with file and offset, and salvage skips it") {
  TempDir dir;
  std::vector<std::string> payloads;
  for (int i = 0; i < 400; ++i) payloads.push_back(Payload(200, i));  // ~3 blocks
  const uint64_t record = 200 + kWalHeaderSize;
  struct Damage {
    const char* what;
    uint64_t offset;
  };
  // Record 50: its checksum, length, type and data bytes.
  uint64_t r50 = 50 * record;
  for (Damage d :
       {Damage{"checksum", r50}, Damage{"length", r50 + 4}, Damage{"type", r50 + 6}, Damage{"data", r50 + 100}}) {
    std::string path = dir.file(std::string(d.what) + ".log");
    WriteLog(path, payloads);
    FlipBit(path, d.offset, 1);
    auto refused = Replay(path);
    INFO("damaged " << d.what);
    REQUIRE(refused.status.IsCorruption());
    REQUIRE_THAT(refused.status.message(), Catch::Contains(path) && Catch::Contains("offset"));
    REQUIRE(refused.payloads.size() == 50);  // nothing after the damage was applied

    auto salvaged = Replay(path, /*salvage=*/true);
    REQUIRE(salvaged.status.ok());
    REQUIRE(salvaged.stats.corrupt_regions_skipped >= 1);
    REQUIRE(salvaged.payloads.size() >= 390);  // at most the damaged block's records are lost
    REQUIRE(salvaged.payloads.size() < 400);
    REQUIRE(salvaged.payloads.back() == payloads.back());
  }
}

TEST_CASE("a log of random garbage never crashes replay") {
  TempDir dir;
  std::mt19937 rng(99);
  for (int round = 0; round < 50; ++round) {
    std::string path = dir.file("g" + std::to_string(round) + ".log");
    std::string bytes(rng() % 70000, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    auto r = Replay(path, round % 2 == 0);
    REQUIRE((r.status.ok() || r.status.IsCorruption()));
  }
}

TEST_CASE("an error from apply stops replay and is returned") {
  TempDir dir;
  WriteLog(dir.file("a.log"), {"one", "two", "three"});
  int calls = 0;
  WalReplayStats stats;
  Status s = ReplayWal(
      dir.file("a.log"), false,
      [&](std::string_view) { return ++calls == 2 ? Status::Aborted("stop here") : Status::OK(); }, &stats);
  REQUIRE(s.code() == StatusCode::kAborted);
  REQUIRE(calls == 2);
}

TEST_CASE("with durability always a record is in the file when WaitDurable returns, and fsyncs are shared") {
  TempDir dir;
  StorageOptions opts;
  opts.durability = Durability::kAlways;
  StorageStats stats;
  auto wal = Wal::Create(dir.file("a.log"), opts, &stats);
  REQUIRE(wal.ok());
  auto ticket = (*wal)->Append("first");
  REQUIRE(ticket.ok());
  REQUIRE((*wal)->WaitDurable(*ticket).ok());
  REQUIRE(Replay(dir.file("a.log")).payloads == std::vector<std::string>{"first"});

  constexpr int kThreads = 8, kWrites = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        auto tk = (*wal)->Append("t" + std::to_string(t) + "-" + std::to_string(i));
        if (!tk.ok() || !(*wal)->WaitDurable(*tk).ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(failures.load() == 0);
  uint64_t fsyncs = stats.wal_fsyncs.load();
  WARN("group commit: " << kThreads * kWrites << " durable writes took " << fsyncs << " fsyncs");
  REQUIRE(fsyncs < kThreads * kWrites);
  REQUIRE(Replay(dir.file("a.log")).payloads.size() == 1 + kThreads * kWrites);
}

TEST_CASE(
    "with durability batch a record is in the file when WaitDurable returns and is fsynced within the sync interval") {
  TempDir dir;
  StorageOptions opts;  // kBatch, 5 ms
  StorageStats stats;
  auto wal = Wal::Create(dir.file("a.log"), opts, &stats);
  REQUIRE(wal.ok());
  bool durable_now = true;
  auto ticket = (*wal)->Append("hello", &durable_now);
  REQUIRE(ticket.ok());
  REQUIRE_FALSE(durable_now);  // the writer must wait for the WAL thread's write
  REQUIRE((*wal)->WaitDurable(*ticket).ok());
  // Written to the OS: a process killed now loses nothing.
  REQUIRE(Replay(dir.file("a.log")).payloads == std::vector<std::string>{"hello"});
  // The sync thread fsyncs it, then counts: wait for the count.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (stats.wal_fsyncs.load() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  REQUIRE(stats.wal_fsyncs.load() >= 1);
  REQUIRE(Replay(dir.file("a.log")).payloads == std::vector<std::string>{"hello"});
}

TEST_CASE("with durability batch concurrent writers find their records in the file when WaitDurable returns") {
  TempDir dir;
  StorageOptions opts;                                    // kBatch
  opts.wal_sync_interval = std::chrono::milliseconds(1);  // the sync thread runs amid the writes
  StorageStats stats;
  const std::string path = dir.file("a.log");
  auto wal = Wal::Create(path, opts, &stats);
  REQUIRE(wal.ok());
  constexpr int kThreads = 8, kWrites = 300;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0}, unwritten{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        auto tk = (*wal)->Append("t" + std::to_string(t) + "-" + std::to_string(i));
        if (!tk.ok() || !(*wal)->WaitDurable(*tk).ok()) {
          failures.fetch_add(1);
          continue;
        }
        // The ticket is the offset just past the record: the file holds at least that much.
        if (fs::file_size(path) < *tk) unwritten.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE((*wal)->Close().ok());
  REQUIRE(failures.load() == 0);
  REQUIRE(unwritten.load() == 0);
  REQUIRE(stats.wal_fsyncs.load() >= 1);
  REQUIRE(Replay(path).payloads.size() == kThreads * kWrites);
}

TEST_CASE("close makes everything durable and later appends get an error") {
  TempDir dir;
  StorageOptions opts;
  opts.durability = Durability::kNone;
  opts.wal_sync_interval = std::chrono::milliseconds(10000);
  auto wal = Wal::Create(dir.file("a.log"), opts, nullptr);
  REQUIRE(wal.ok());
  for (int i = 0; i < 100; ++i) REQUIRE((*wal)->Append("r" + std::to_string(i)).ok());
  REQUIRE((*wal)->Close().ok());
  REQUIRE((*wal)->Close().ok());  // idempotent
  REQUIRE(Replay(dir.file("a.log")).payloads.size() == 100);
  auto late = (*wal)->Append("late");
  REQUIRE_FALSE(late.ok());
  REQUIRE(late.status().code() == StatusCode::kAborted);
}
