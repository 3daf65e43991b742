#pragma once
// Helpers shared by the storage engine's tests.

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "node/storage/engine.h"
#include "ringkv/limits.h"
#include "temp_dir.h"

namespace ringkv::storage {

// Polls `cond` every 10 ms until it holds or `limit` passes; returns whether it held.
inline bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

// Small memtables and tables so that tests exercise flushes and compactions quickly.
inline StorageOptions SmallOptions() {
  StorageOptions o;
  o.memtable_bytes = 64 * 1024;
  o.block_bytes = 1024;
  o.block_cache_bytes = 256 * 1024;
  o.compaction_min_tables = 4;
  return o;
}

// SmallOptions with leveled compaction's levels shrunk to a few tables each: tests see
// level 0 merged into level 1, tables pushed down several levels, merges cut into several
// tables and tables moved down whole.
inline StorageOptions TinyLevelsOptions() {
  StorageOptions o = SmallOptions();
  o.compaction_style = CompactionStyle::kLeveled;
  o.level0_compaction_trigger = 3;
  o.level1_target_bytes = 96 * 1024;
  o.level_size_multiplier = 3;
  o.target_table_bytes = 24 * 1024;
  o.num_levels = 5;
  return o;
}

inline Record Value(std::string v) { return Record{std::move(v), "", 1, false}; }
inline Record Tombstone(uint64_t ts_ms) { return Record{"", "", ts_ms, true}; }

inline std::string KeyOf(int i) {
  std::string s = std::to_string(i);
  return "key" + std::string(8 - std::min<size_t>(8, s.size()), '0') + s;
}

inline std::unique_ptr<StorageEngine> OpenOrDie(const std::string& dir, const StorageOptions& opts) {
  auto engine = StorageEngine::Open(dir, opts);
  INFO(engine.status().ToString());
  REQUIRE(engine.ok());
  return std::move(engine).value();
}

// Every live (non-tombstone) key of the engine equals the model, by Get and by iteration.
inline void RequireContentsEqual(StorageEngine& engine, const std::map<std::string, std::string>& model) {
  for (const auto& [k, v] : model) {
    auto got = engine.Get(k);
    INFO("key " << k << ": " << got.status().ToString());
    REQUIRE(got.ok());
    REQUIRE(got->value == v);
  }
  auto it = engine.NewIterator(RangeOptions{});
  size_t live = 0;
  for (; it->Valid(); it->Next()) {
    if (it->record().tombstone) continue;
    ++live;
    auto m = model.find(std::string(it->key()));
    INFO("iterated key " << it->key());
    REQUIRE(m != model.end());
    REQUIRE(m->second == it->record().value);
  }
  REQUIRE(it->status().ok());
  REQUIRE(live == model.size());
}

// Kills the calling process at once: no destructor runs, nothing is flushed or closed.
[[noreturn]] inline void CrashNow() {
  ::kill(::getpid(), SIGKILL);
  ::_exit(4);  // unreachable
}

// Runs `body` in a forked child, which must end by calling CrashNow() while its engine is
// still open, leaving the files exactly as a crash would. `body` returns false to report a
// failure. Returns "crashed" (good) or a description of what went wrong.
// REQUIRES: the calling process runs no other thread (no engine open): the child allocates,
// and a lock another thread held at the fork would hang it (ASan's allocator is not fork-safe).
inline std::string RunInChildThenCrash(const std::function<bool()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    bool ok = body();
    ::_exit(ok ? 5 : 3);  // body returned instead of crashing
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) return "crashed";
  return "child exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace ringkv::storage
