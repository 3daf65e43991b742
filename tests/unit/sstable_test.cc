// SSTables: building, point reads at a snapshot, iteration, properties, compression
// codecs, and damage anywhere in the file.

#include <filesystem>
#include <fstream>
#include <map>

#include <catch2/catch.hpp>

#include "node/storage/sstable.h"
#include "node/storage/sstable_builder.h"
#include "node/storage/table_format.h"
#include "file_damage.h"
#include "temp_dir.h"

using namespace ringkv;
using namespace ringkv::storage;
using ringkv::testing::FlipBit;
using ringkv::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::string UserKey(int i) { return "user" + std::to_string(100000 + i); }

std::string Encoded(const std::string& value, bool tombstone = false, uint64_t ts = 5) {
  std::string out;
  EncodeRecord(Record{tombstone ? "" : value, "", ts, tombstone}, &out);
  return out;
}

// kKeys keys; key i has versions at seqs 10*i+1 and 10*i+2 (newer: "new-i"); every 10th key's
// newest version is a tombstone.
constexpr int kKeys = 50000;

std::string BuildTable(const TempDir& dir, Compression c, const std::string& name = "t.sst") {
  StorageOptions opts;
  opts.compression = c;
  auto file = WritableFile::Create(dir.file(name));
  REQUIRE(file.ok());
  SSTableBuilder b(opts, std::move(file).value());
  for (int i = 0; i < kKeys; ++i) {
    auto seq = static_cast<SequenceNumber>(10 * i);
    REQUIRE(b.Add(MakeInternalKey(UserKey(i), seq + 2), Encoded("new-" + std::to_string(i), i % 10 == 0)).ok());
    REQUIRE(b.Add(MakeInternalKey(UserKey(i), seq + 1), Encoded("old-" + std::to_string(i))).ok());
  }
  REQUIRE(b.Finish().ok());
  return dir.file(name);
}

std::shared_ptr<SSTable> OpenTable(const std::string& path, BlockCache* cache, StorageStats* stats) {
  auto t = SSTable::Open(path, 1, cache, stats);
  INFO(t.status().ToString());
  REQUIRE(t.ok());
  return *t;
}

std::string ValueOf(const std::string& encoded) {
  Record r;
  REQUIRE(DecodeRecord(encoded, &r).ok());
  return r.tombstone ? "<tombstone>" : r.value;
}

Footer ReadFooter(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(-static_cast<std::streamoff>(kFooterSize), std::ios::end);
  std::string bytes(kFooterSize, '\0');
  in.read(bytes.data(), kFooterSize);
  auto f = DecodeFooter(bytes, path);
  REQUIRE(f.ok());
  return *f;
}

}  // namespace

TEST_CASE("a table returns the newest version at or below the snapshot") {
  TempDir dir;
  for (Compression c : {Compression::kLz4, Compression::kZstd, Compression::kNone}) {
    BlockCache cache(1 << 20);
    StorageStats stats;
    auto table = OpenTable(BuildTable(dir, c, "t" + std::to_string(static_cast<int>(c)) + ".sst"), &cache, &stats);
    for (int i = 1; i < kKeys; i += 97) {
      auto seq = static_cast<SequenceNumber>(10 * i);
      auto newest = table->Get(UserKey(i), kMaxSequence);
      REQUIRE(newest.ok());
      REQUIRE(newest->has_value());
      REQUIRE(ValueOf((*newest)->value) == (i % 10 == 0 ? "<tombstone>" : "new-" + std::to_string(i)));
      REQUIRE((*newest)->seq == seq + 2);
      auto older = table->Get(UserKey(i), seq + 1);
      REQUIRE(ValueOf((*older)->value) == "old-" + std::to_string(i));
      REQUIRE_FALSE(table->Get(UserKey(i), seq)->has_value());  // before either version
    }
    uint64_t skips = stats.bloom_skips.load();
    for (int i = 0; i < 1000; ++i) REQUIRE_FALSE(table->Get("absent" + std::to_string(i), kMaxSequence)->has_value());
    REQUIRE(stats.bloom_skips.load() - skips > 950);
    REQUIRE(stats.block_cache_hits.load() + stats.block_cache_misses.load() > 0);
  }
}

TEST_CASE("iterating a table yields every version in internal key order and seeks work") {
  TempDir dir;
  auto table = OpenTable(BuildTable(dir, Compression::kLz4), nullptr, nullptr);
  auto it = table->NewIterator();
  int n = 0;
  std::string prev;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
    if (n > 0) REQUIRE(CompareInternalKeys(prev, it->key()) < 0);
    prev.assign(it->key());
  }
  REQUIRE(it->status().ok());
  REQUIRE(n == 2 * kKeys);
  it->Seek(MakeInternalKey(UserKey(777), kMaxSequence));
  REQUIRE(it->Valid());
  REQUIRE(ExtractUserKey(it->key()) == UserKey(777));
  REQUIRE(ExtractSequence(it->key()) == 7772);
}

TEST_CASE("table properties describe the contents") {
  TempDir dir;
  auto table = OpenTable(BuildTable(dir, Compression::kLz4), nullptr, nullptr);
  const TableProperties& p = table->properties();
  REQUIRE(p.num_entries == 2 * kKeys);
  REQUIRE(p.num_tombstones == kKeys / 10);
  REQUIRE(p.min_seq == 1);
  REQUIRE(p.max_seq == 10 * (kKeys - 1) + 2);
  REQUIRE(ExtractUserKey(p.smallest_key) == UserKey(0));
  REQUIRE(ExtractUserKey(p.largest_key) == UserKey(kKeys - 1));
  REQUIRE(p.newest_tombstone_ms == 5);
  REQUIRE(p.num_data_blocks > 100);
  REQUIRE(table->file_size() < p.raw_key_bytes + p.raw_value_bytes);  // compression did something
}

TEST_CASE("keys added out of order are refused") {
  TempDir dir;
  auto file = WritableFile::Create(dir.file("t.sst"));
  REQUIRE(file.ok());
  SSTableBuilder b(StorageOptions{}, std::move(file).value());
  REQUIRE(b.Add(MakeInternalKey("b", 1), Encoded("v")).ok());
  REQUIRE(b.Add(MakeInternalKey("a", 1), Encoded("v")).IsInvalidArgument());
  REQUIRE(b.Add(MakeInternalKey("b", 1), Encoded("v")).IsInvalidArgument());  // duplicate
  REQUIRE(b.Add(MakeInternalKey("b", 0), Encoded("v")).ok());                 // older version: fine
}

TEST_CASE("damage to the footer, index, bloom or properties fails open with Corruption naming the file") {
  TempDir dir;
  std::string good = BuildTable(dir, Compression::kLz4);
  Footer footer = ReadFooter(good);
  uint64_t size = fs::file_size(good);
  struct Place {
    const char* what;
    uint64_t offset;
  };
  for (Place p : {Place{"index", footer.index.offset + 3}, Place{"bloom", footer.bloom.offset + 11},
                  Place{"properties", footer.properties.offset + 1}, Place{"footer magic", size - 2},
                  Place{"footer version", size - kFooterSize + 48}, Place{"footer handle", size - kFooterSize + 3}}) {
    std::string path = dir.file(std::string("bad-") + p.what + ".sst");
    fs::copy_file(good, path);
    FlipBit(path, p.offset, 4);
    auto t = SSTable::Open(path, 9, nullptr, nullptr);
    INFO("damaged " << p.what);
    REQUIRE_FALSE(t.ok());
    REQUIRE(t.status().IsCorruption());
    REQUIRE_THAT(t.status().message(), Catch::Contains(path));
  }
  for (uint64_t cut : {uint64_t{0}, uint64_t{10}, size / 2, size - 1}) {
    std::string path = dir.file("cut" + std::to_string(cut) + ".sst");
    fs::copy_file(good, path);
    fs::resize_file(path, cut);
    auto t = SSTable::Open(path, 9, nullptr, nullptr);
    REQUIRE(t.status().IsCorruption());
  }
}

TEST_CASE("a damaged data block is reported on read with file and offset, never a wrong value") {
  TempDir dir;
  std::string path = BuildTable(dir, Compression::kLz4);
  FlipBit(path, 100, 4);  // inside the first data block
  auto table = OpenTable(path, nullptr, nullptr);
  auto got = table->Get(UserKey(0), kMaxSequence);
  REQUIRE_FALSE(got.ok());
  REQUIRE(got.status().IsCorruption());
  REQUIRE_THAT(got.status().message(), Catch::Contains(path) && Catch::Contains("offset 0"));
  auto it = table->NewIterator();
  it->SeekToFirst();
  REQUIRE_FALSE(it->Valid());
  REQUIRE(it->status().IsCorruption());
  // Keys in other blocks are still readable.
  auto far = table->Get(UserKey(kKeys - 1), kMaxSequence);
  REQUIRE(far.ok());
  REQUIRE(ValueOf((*far)->value) == "new-" + std::to_string(kKeys - 1));
}

TEST_CASE("an obsolete table deletes its file when the last reference goes") {
  TempDir dir;
  std::string path = BuildTable(dir, Compression::kNone);
  auto table = OpenTable(path, nullptr, nullptr);
  auto it = table->NewIterator();  // holds a reference
  table->MarkObsolete();
  table.reset();
  REQUIRE(fs::exists(path));
  it.reset();
  REQUIRE_FALSE(fs::exists(path));
}
