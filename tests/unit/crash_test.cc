// Crash recovery: a child process writes with durability always or batch (and, in some
// rounds, compacts continuously) and is killed with SIGKILL at a random moment. After
// reopening, every acknowledged write must be present and nothing that was never written
// may appear: both modes acknowledge a write only once it has reached the OS.
//
// The child reports each acknowledged write through a pipe; writes are generated from a
// seed, so the one write that may have been in flight at the kill is known too.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "engine_test_util.h"

using namespace ringkv;
using namespace ringkv::storage;
using ringkv::testing::TempDir;

namespace {

constexpr int kKeySpace = 3000;

struct Op {
  std::string key;
  std::optional<std::string> value;  // nullopt = delete
};

// The i-th write of a round with this seed.
Op GenerateOp(uint32_t seed, uint32_t i) {
  std::mt19937 rng(seed * 7919u + i);
  Op op;
  op.key = KeyOf(static_cast<int>(rng() % kKeySpace));
  if (rng() % 10 != 0) op.value = "r" + std::to_string(seed) + "-" + std::to_string(i) + std::string(rng() % 200, 'p');
  return op;
}

// Leveled compaction with tiny levels (merges into several tables, tables moved down
// whole), every third round size-tiered: kills land in every kind of compaction, and a
// store written by one style is opened by the other. Rounds alternate between durability
// always and batch in pairs (so each meets compaction and none).
StorageOptions CrashOptions(uint32_t round) {
  StorageOptions o = TinyLevelsOptions();
  if (round % 3 == 0) o.compaction_style = CompactionStyle::kSizeTiered;
  o.durability = (round / 2) % 2 == 0 ? Durability::kAlways : Durability::kBatch;
  o.memtable_bytes = 32 * 1024;  // frequent flushes: kills land in every phase
  o.blob_threshold_bytes = 100;  // about half the values go to blob files (and are collected)
  return o;
}

// Child: writes ops 0,1,2,... and reports each acknowledged index on `fd` (4 bytes).
[[noreturn]] void ChildWriter(const std::string& dir, uint32_t seed, bool compact_continuously, int fd) {
  auto engine = StorageEngine::Open(dir, CrashOptions(seed));
  if (!engine.ok()) ::_exit(2);
  std::thread compactor;
  if (compact_continuously) {
    compactor = std::thread([&] {
      for (;;) (void)(*engine)->CompactAll();
    });
  }
  for (uint32_t i = 0;; ++i) {
    Op op = GenerateOp(seed, i);
    Record r = op.value ? Record{*op.value, "", 1, false} : Record{"", "", 1, true};
    if (!(*engine)->Put(op.key, r).ok()) ::_exit(3);
    if (::write(fd, &i, sizeof(i)) != sizeof(i)) ::_exit(4);
  }
}

void Apply(std::map<std::string, std::optional<std::string>>* model, const Op& op) { (*model)[op.key] = op.value; }

// The engine holds exactly `model`, except that `in_flight` may or may not have landed.
void RequireMatches(StorageEngine& engine, const std::map<std::string, std::optional<std::string>>& model,
                    const Op& in_flight) {
  for (int k = 0; k < kKeySpace; ++k) {
    std::string key = KeyOf(k);
    auto got = engine.Get(key);
    REQUIRE((got.ok() || got.status().IsNotFound()));
    std::optional<std::string> actual;
    if (got.ok() && !got->tombstone) actual = got->value;
    auto m = model.find(key);
    std::optional<std::string> expected = m == model.end() ? std::nullopt : m->second;
    if (actual == expected) continue;
    INFO("key " << key << " actual " << actual.value_or("<none>") << " expected " << expected.value_or("<none>"));
    REQUIRE(key == in_flight.key);
    REQUIRE(actual == in_flight.value);
  }
}

}  // namespace

TEST_CASE(
    "after kill -9 at random points every acknowledged write is present and no phantom appears, with durability always "
    "or batch") {
  TempDir dir;
  std::map<std::string, std::optional<std::string>> model;
  std::mt19937 rng(Catch::rngSeed());
  constexpr int kRounds = 12;
  uint64_t total_acked = 0;

  for (uint32_t round = 1; round <= kRounds; ++round) {
    bool compact = round % 2 == 0;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      ChildWriter(dir.path(), round, compact, fds[1]);
    }
    ::close(fds[1]);
    // Let the child run for a random while, then kill it without warning.
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 400));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFSIGNALED(status));

    uint32_t index = 0;
    int64_t last_acked = -1;
    while (::read(fds[0], &index, sizeof(index)) == sizeof(index)) last_acked = index;
    ::close(fds[0]);
    for (int64_t i = 0; i <= last_acked; ++i) Apply(&model, GenerateOp(round, static_cast<uint32_t>(i)));
    total_acked += static_cast<uint64_t>(last_acked + 1);
    Op in_flight = GenerateOp(round, static_cast<uint32_t>(last_acked + 1));

    auto engine = OpenOrDie(dir.path(), CrashOptions(round));
    RequireMatches(*engine, model, in_flight);
    // Whatever the in-flight write did, make the model agree with the store for the next round.
    auto got = engine->Get(in_flight.key);
    if (got.ok() && !got->tombstone)
      model[in_flight.key] = got->value;
    else if (model.count(in_flight.key))
      model[in_flight.key] = std::nullopt;
    REQUIRE(engine->Close().ok());
  }
  WARN("crash test: " << kRounds << " kills, " << total_acked << " acknowledged writes verified");
  REQUIRE(total_acked > 0);
}

TEST_CASE("reopening after a clean close, after a flush and after a compaction gives the same contents") {
  TempDir dir;
  std::map<std::string, std::string> model;
  for (int i = 0; i < 2000; ++i) model[KeyOf(i)] = "v" + std::to_string(i);
  auto write_all = [&](StorageEngine& e) {
    for (const auto& [k, v] : model) REQUIRE(e.Put(k, Value(v)).ok());
  };
  {
    auto e = OpenOrDie(dir.path(), SmallOptions());
    write_all(*e);
  }  // destructor closes cleanly
  {
    auto e = OpenOrDie(dir.path(), SmallOptions());
    RequireContentsEqual(*e, model);
    REQUIRE(e->Flush().ok());
  }
  {
    auto e = OpenOrDie(dir.path(), SmallOptions());
    RequireContentsEqual(*e, model);
    REQUIRE(e->CompactAll().ok());
  }
  auto e = OpenOrDie(dir.path(), SmallOptions());
  RequireContentsEqual(*e, model);
}
