#include <random>

#include <catch2/catch.hpp>

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

}  // namespace

TEST_CASE("a block round-trips its entries through prefix compression and restart points") {
  for (int interval : {1, 4, 16}) {
    Block block(BuildBlock(500, interval), &kName, 0);
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
  Block block(BuildBlock(100, 16), &kName, 0);
  auto it = block.NewIterator();
  it->Seek(Key(37));
  REQUIRE(it->Valid());
  REQUIRE(it->key() == Key(37));
  it->Seek(MakeInternalKey("key1037", 3));  // older than stored seq 7: sorts after it
  REQUIRE(it->key() == Key(38));
  it->Seek(MakeInternalKey("a", 1));  // before the first
  REQUIRE(it->key() == Key(0));
  it->Seek(MakeInternalKey("zzz", 1));  // after the last
  REQUIRE_FALSE(it->Valid());
  REQUIRE(it->status().ok());
}

TEST_CASE("malformed blocks report corruption and never read out of bounds") {
  auto good = *BuildBlock(200, 16);
  REQUIRE_FALSE(Block(std::make_shared<const std::string>("ab"), &kName, 0).ok());
  std::string huge_count = good;
  huge_count[huge_count.size() - 1] = '\x7f';
  REQUIRE_FALSE(Block(std::make_shared<const std::string>(huge_count), &kName, 0).ok());

  std::mt19937 rng(5);
  int corrupt_seen = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string bytes = good;
    for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    if (round % 3 == 0) bytes.resize(rng() % bytes.size());
    Block block(std::make_shared<const std::string>(bytes), &kName, 4096);
    auto it = block.NewIterator();
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
    }
    it->Seek(Key(100));
    if (!it->status().ok()) {
      ++corrupt_seen;
      REQUIRE(it->status().IsCorruption());
      REQUIRE_THAT(it->status().message(), Catch::Contains("test-block") && Catch::Contains("4096"));
    }
  }
  REQUIRE(corrupt_seen > 100);
}

TEST_CASE("the block cache keeps within its capacity, counts hits and forgets deleted files") {
  BlockCache cache(16 * 1024 * 16);  // 16 shards x 16 KB
  auto block = std::make_shared<const std::string>(std::string(4000, 'b'));
  for (uint64_t off = 0; off < 1000; ++off) cache.Insert(1, off * 4096, block);
  REQUIRE(cache.UsageBytes() <= 16 * 1024 * 16);
  cache.Insert(2, 0, block);
  REQUIRE(cache.Lookup(2, 0) == block);
  REQUIRE(cache.Lookup(3, 0) == nullptr);
  cache.EraseFile(2);
  REQUIRE(cache.Lookup(2, 0) == nullptr);
}
