// Blocks (prefix-compressed entries with restart points) read back through cursors and
// iterators, damaged blocks, and the LRU block cache.

#include <random>

#include <catch2/catch.hpp>

#include "common/coding.h"
#include "node/storage/block.h"
#include "node/storage/block_builder.h"
#include "node/storage/block_cache.h"
#include "node/storage/record.h"

using namespace ringkv;
using namespace ringkv::storage;

namespace {

const std::string kName = "test-block";

std::string Key(int i) { return MakeInternalKey("key" + std::to_string(1000 + i), 7); }

std::shared_ptr<const std::string> BuildBlock(int n, int restart_interval) {
  BlockBuilder b(restart_interval);
  for (int i = 0; i < n; ++i) b.Add(Key(i), "value" + std::to_string(i));
  return std::make_shared<const std::string>(b.Finish());
}

Block MakeBlock(std::string bytes, uint64_t offset = 0) {
  return Block(std::make_shared<const std::string>(std::move(bytes)), &kName, "data", offset);
}

// Reads every entry and seeks to a few targets; returns the first error met.
Status ReadEverything(const Block& block) {
  auto it = block.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    REQUIRE(it->key().size() >= kInternalKeyTrailer);
  }
  if (!it->status().ok()) return it->status();
  for (int target : {-1, 0, 17, 100, 199, 500}) {
    BlockCursor cursor(block);
    cursor.Seek(Key(target));
    if (!cursor.status().ok()) return cursor.status();
  }
  return Status::OK();
}

void RequireCorruptionNamingBlock(const Status& s, uint64_t offset) {
  INFO(s.ToString());
  REQUIRE(s.IsCorruption());
  REQUIRE_THAT(s.message(),
               Catch::Contains("test-block") && Catch::Contains("data block at offset " + std::to_string(offset)));
}

}  // namespace

TEST_CASE("a block round-trips its entries through prefix compression and restart points") {
  for (int interval : {1, 4, 16}) {
    Block block(BuildBlock(500, interval), &kName, "data", 0);
    REQUIRE(block.ok());
    auto it = block.NewIterator();
    int i = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++i) {
      REQUIRE(it->key() == Key(i));
      REQUIRE(it->value() == "value" + std::to_string(i));
    }
    REQUIRE(it->status().ok());
    REQUIRE(i == 500);
  }
}

TEST_CASE("seeking a block finds the first entry at or after the target") {
  for (int interval : {1, 3, 16}) {
    Block block(BuildBlock(100, interval), &kName, "data", 0);
    auto it = block.NewIterator();
    for (int i = 0; i < 100; ++i) {
      it->Seek(Key(i));  // present
      REQUIRE(it->Valid());
      REQUIRE(it->key() == Key(i));
    }
    it->Seek(MakeInternalKey("key1037", 3));  // absent: older than the stored seq 7, sorts after it
    REQUIRE(it->key() == Key(38));
    it->Seek(MakeInternalKey("key1037x", 9));  // absent: between two user keys
    REQUIRE(it->key() == Key(38));
    it->Seek(MakeInternalKey("a", 1));  // before the first
    REQUIRE(it->key() == Key(0));
    it->Seek(MakeInternalKey("zzz", 1));  // after the last
    REQUIRE_FALSE(it->Valid());
    REQUIRE(it->status().ok());
    it->Seek(Key(99));  // the last, after having run off the end
    REQUIRE(it->key() == Key(99));
    it->Next();
    REQUIRE_FALSE(it->Valid());
    REQUIRE(it->status().ok());
  }
}

TEST_CASE("a block cursor on the stack agrees with the block's iterator") {
  Block block(BuildBlock(300, 16), &kName, "data", 0);
  auto it = block.NewIterator();
  BlockCursor cursor(block);
  for (int target = -1; target <= 300; target += 7) {
    it->Seek(Key(target));
    cursor.Seek(Key(target));
    REQUIRE(cursor.Valid() == it->Valid());
    if (cursor.Valid()) {
      REQUIRE(cursor.key() == it->key());
      REQUIRE(cursor.value() == it->value());
    }
  }
}

TEST_CASE("an empty block has no entries and is not corrupt") {
  BlockBuilder builder(16);
  Block block = MakeBlock(std::string(builder.Finish()));
  REQUIRE(block.ok());
  auto it = block.NewIterator();
  it->SeekToFirst();
  REQUIRE_FALSE(it->Valid());
  it->Seek(Key(1));
  REQUIRE_FALSE(it->Valid());
  REQUIRE(it->status().ok());
}

TEST_CASE("a truncated block or one with an impossible restart count is corrupt") {
  std::string good = *BuildBlock(200, 16);
  for (size_t size : {size_t{0}, size_t{3}}) {
    Block block = MakeBlock(good.substr(0, size), 64);
    REQUIRE_FALSE(block.ok());
    RequireCorruptionNamingBlock(ReadEverything(block), 64);
  }
  for (uint32_t count : {0u, 0x7fffffffu, static_cast<uint32_t>(good.size() / 4)}) {
    std::string bytes = good;
    EncodeFixed32(bytes.data() + bytes.size() - 4, count);
    RequireCorruptionNamingBlock(ReadEverything(MakeBlock(bytes, 8)), 8);
  }
  for (size_t cut : {good.size() - 1, good.size() / 2, size_t{10}}) {
    Status s = ReadEverything(MakeBlock(good.substr(0, cut), 8));
    RequireCorruptionNamingBlock(s, 8);
  }
}

TEST_CASE("a restart point outside the entries is corruption, not an empty block") {
  std::string bytes = *BuildBlock(50, 4);
  uint32_t count = DecodeFixed32(bytes.data() + bytes.size() - 4);
  size_t restart_array = bytes.size() - 4 - 4 * size_t{count};
  SECTION("the first restart") { EncodeFixed32(bytes.data() + restart_array, 1u << 30); }
  SECTION("a middle restart") { EncodeFixed32(bytes.data() + restart_array + 4 * (count / 2), 1u << 30); }
  SECTION("a restart pointing at the restart array itself") {
    EncodeFixed32(bytes.data() + restart_array, static_cast<uint32_t>(restart_array));
  }
  RequireCorruptionNamingBlock(ReadEverything(MakeBlock(bytes, 4096)), 4096);
}

TEST_CASE("a restart key shorter than its trailer is corruption, not a crash") {
  // Two restarts; the second holds the one-byte key "b", which equals the target's user key.
  std::string bytes;
  std::string first = MakeInternalKey("a", 1);
  PutVarint32(&bytes, 0);
  PutVarint32(&bytes, static_cast<uint32_t>(first.size()));
  PutVarint32(&bytes, 0);
  bytes += first;
  auto second = static_cast<uint32_t>(bytes.size());
  PutVarint32(&bytes, 0);
  PutVarint32(&bytes, 1);
  PutVarint32(&bytes, 0);
  bytes += "b";
  PutFixed32(&bytes, 0);
  PutFixed32(&bytes, second);
  PutFixed32(&bytes, 2);
  Block block = MakeBlock(bytes);
  BlockCursor cursor(block);
  cursor.Seek(MakeInternalKey("b", 5));
  REQUIRE_FALSE(cursor.Valid());
  RequireCorruptionNamingBlock(cursor.status(), 0);
}

TEST_CASE("a key longer than the block key limit is corruption") {
  BlockBuilder builder(16);
  builder.Add(MakeInternalKey(std::string(kMaxKeyBytes + 1, 'k'), 1), "v");
  Block block = MakeBlock(std::string(builder.Finish()));
  RequireCorruptionNamingBlock(ReadEverything(block), 0);
}

TEST_CASE("randomly damaged blocks report corruption and never read out of bounds") {
  std::string good = *BuildBlock(200, 16);
  std::mt19937 rng(5);
  int corrupt_seen = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string bytes = good;
    for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    if (round % 3 == 0) bytes.resize(rng() % bytes.size());
    Status s = ReadEverything(MakeBlock(bytes, 4096));
    if (!s.ok()) {
      ++corrupt_seen;
      RequireCorruptionNamingBlock(s, 4096);
    }
  }
  REQUIRE(corrupt_seen > 100);
}

TEST_CASE("blocks of random garbage report corruption and never read out of bounds") {
  std::mt19937 rng(11);
  int corrupt_seen = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string bytes(rng() % 300, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (round % 2 == 0 && bytes.size() >= 4) {
      // A plausible restart count, so the entries themselves get parsed.
      EncodeFixed32(bytes.data() + bytes.size() - 4, 1 + rng() % 4);
      if (bytes.size() >= 8) EncodeFixed32(bytes.data() + bytes.size() - 8, 0);
    }
    Status s = ReadEverything(MakeBlock(bytes, 12));
    if (!s.ok()) {
      ++corrupt_seen;
      RequireCorruptionNamingBlock(s, 12);
    }
  }
  REQUIRE(corrupt_seen > 2000);
}

// ---- BlockCache ---------------------------------------------------------------------------

namespace {
std::shared_ptr<const std::string> Bytes(size_t n) { return std::make_shared<const std::string>(n, 'b'); }
}  // namespace

TEST_CASE("the block cache stays within its capacity and uses all of it") {
  constexpr size_t kCapacity = 16 * 64 * 1024;  // 16 shards x 64 KB
  BlockCache cache(kCapacity);
  // One file's 4 KB-aligned offsets: the keys differ only in a few middle bits.
  for (uint64_t i = 0; i < 2000; ++i) {
    cache.Insert(1, i * 4096, Bytes(4000));
    REQUIRE(cache.UsageBytes() <= kCapacity);
  }
  INFO("usage " << cache.UsageBytes() << " of " << kCapacity);
  REQUIRE(cache.UsageBytes() >= kCapacity * 3 / 4);  // spread over the shards
  int resident = 0;
  for (uint64_t i = 0; i < 2000; ++i) resident += cache.Lookup(1, i * 4096) != nullptr ? 1 : 0;
  REQUIRE(resident * size_t{4000} == cache.UsageBytes());
  REQUIRE(cache.Lookup(1, 1999 * 4096) != nullptr);  // the newest survived
  REQUIRE(cache.Lookup(1, 0) == nullptr);            // the oldest did not
}

TEST_CASE("the block cache evicts the least recently used block") {
  BlockCache cache(16 * 16 * 1024);
  auto hot = Bytes(1000);
  cache.Insert(7, 0, hot);
  for (uint64_t i = 1; i < 3000; ++i) {
    cache.Insert(7, i * 1000, Bytes(1000));
    REQUIRE(cache.Lookup(7, 0) == hot);  // looked up after every insert: always the most recent
  }
}

TEST_CASE("a block evicted from the cache stays valid for the reader holding it") {
  BlockCache cache(16 * 1024);
  cache.Insert(1, 0, std::make_shared<const std::string>("in use"));
  auto held = cache.Lookup(1, 0);
  REQUIRE(held != nullptr);
  for (uint64_t i = 1; i < 100; ++i) cache.Insert(1, i * 4096, Bytes(4000));
  cache.EraseFile(1);
  REQUIRE(cache.Lookup(1, 0) == nullptr);
  REQUIRE(*held == "in use");
  REQUIRE(cache.UsageBytes() == 0);
}

TEST_CASE("the block cache forgets a deleted file's blocks and keeps the others") {
  BlockCache cache(1 << 20);
  for (uint64_t off = 0; off < 20; ++off) {
    cache.Insert(2, off * 100, Bytes(100));
    cache.Insert(3, off * 100, Bytes(100));
  }
  REQUIRE(cache.UsageBytes() == 4000);
  cache.EraseFile(2);
  REQUIRE(cache.UsageBytes() == 2000);
  for (uint64_t off = 0; off < 20; ++off) {
    REQUIRE(cache.Lookup(2, off * 100) == nullptr);
    REQUIRE(cache.Lookup(3, off * 100) != nullptr);
  }
}

TEST_CASE("re-inserting a cached block replaces it without double-charging") {
  BlockCache cache(1 << 20);
  cache.Insert(1, 0, Bytes(500));
  auto replacement = Bytes(300);
  cache.Insert(1, 0, replacement);
  REQUIRE(cache.UsageBytes() == 300);
  REQUIRE(cache.Lookup(1, 0) == replacement);
}
