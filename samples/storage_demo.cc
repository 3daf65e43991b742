// storage_demo: the node's storage engine on its own, end to end.
//
// Writes N versioned records, reads them back, deletes some, reopens the engine (recovery
// from WAL + tables), shows that an oversized value is refused, compacts, and prints the
// engine's own counters. Usage: storage_demo [DIR] [N]   (default: a temp dir, 200000)

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "node/storage/engine.h"
#include "ringkv/limits.h"

using namespace ringkv;
using namespace ringkv::storage;

namespace {

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "user:%08d", i);
  return buf;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int Fail(const char* what, const Status& s) {
  std::fprintf(stderr, "storage_demo: %s: %s\n", what, s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : (std::filesystem::temp_directory_path() / "ringkv-storage-demo").string();
  int n = argc > 2 ? std::atoi(argv[2]) : 200000;
  if (n <= 0) {
    std::fprintf(stderr, "usage: storage_demo [DIR] [N>0]\n");
    return 2;
  }
  std::filesystem::remove_all(dir);
  StorageOptions options;  // defaults: batch durability, 32 MB memtable, LZ4, 10-day tombstone grace
  std::printf("ringkv storage demo in %s (%d records)\n", dir.c_str(), n);

  auto opened = StorageEngine::Open(dir, options);
  if (!opened.ok()) return Fail("open", opened.status());
  auto engine = std::move(opened).value();

  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    Status s = engine->Put(Key(i), Record{"profile of user " + std::to_string(i), "", 1, false});
    if (!s.ok()) return Fail("put", s);
  }
  std::printf("  put %d records in %.2fs\n", n, SecondsSince(start));

  start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; i += 7) {
    auto got = engine->Get(Key(i));
    if (!got.ok()) return Fail("get", got.status());
  }
  std::printf("  read back every 7th record in %.2fs\n", SecondsSince(start));

  for (int i = 0; i < n; i += 10) {
    Status s = engine->Put(Key(i), Record{"", "", 0, true});  // a delete is a tombstone
    if (!s.ok()) return Fail("delete", s);
  }
  Status refused = engine->Put("too-big", Record{std::string(kMaxValueBytes + 1, 'x'), "", 1, false});
  std::printf("  oversized value refused: %s\n", refused.ToString().c_str());

  if (Status s = engine->Close(); !s.ok()) return Fail("close", s);
  engine.reset();
  opened = StorageEngine::Open(dir, options);
  if (!opened.ok()) return Fail("reopen", opened.status());
  engine = std::move(opened).value();
  auto deleted = engine->Get(Key(10));
  auto kept = engine->Get(Key(11));
  std::printf("  after reopen: %s is %s, %s = \"%s\"\n", Key(10).c_str(),
              deleted.ok() && deleted->tombstone ? "a tombstone" : "UNEXPECTED", Key(11).c_str(),
              kept.ok() ? kept->value.c_str() : kept.status().ToString().c_str());
  if (!deleted.ok() || !deleted->tombstone || !kept.ok()) return 1;

  if (Status s = engine->CompactAll(); !s.ok()) return Fail("compact", s);
  EngineInfo info = engine->Info();
  const StorageStats& st = engine->stats();
  std::printf("  tables: %llu (%.1f MB), flushes: %llu, compactions: %llu, bloom skips: %llu\n",
              static_cast<unsigned long long>(info.num_tables), static_cast<double>(info.table_bytes) / 1e6,
              static_cast<unsigned long long>(st.flush_count.load()),
              static_cast<unsigned long long>(st.compaction_count.load()),
              static_cast<unsigned long long>(st.bloom_skips.load()));
  std::printf("demo ok\n");
  engine.reset();
  std::filesystem::remove_all(dir);
  return 0;
}
