// SSTables: building, point reads at a snapshot, iteration, properties, compression
// codecs, and damage anywhere in the file.

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "file_damage.h"
#include "node/storage/block_builder.h"
#include "node/storage/bloom.h"
#include "node/storage/sstable.h"
#include "node/storage/sstable_builder.h"
#include "node/storage/table_format.h"
#include "ringkv/limits.h"
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

TEST_CASE("with LZ4, zstd or no compression a table returns the newest version at or below the snapshot") {
  TempDir dir;
  std::map<Compression, uint64_t> file_size;
  for (Compression c : {Compression::kLz4, Compression::kZstd, Compression::kNone}) {
    INFO("compression " << static_cast<int>(c));
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
    uint64_t checks = stats.bloom_checks.load();
    for (int i = 0; i < 1000; ++i) REQUIRE_FALSE(table->Get("absent" + std::to_string(i), kMaxSequence)->has_value());
    REQUIRE(stats.bloom_checks.load() - checks == 1000);
    REQUIRE(stats.bloom_skips.load() - skips > 950);
    REQUIRE(stats.block_cache_hits.load() + stats.block_cache_misses.load() > 0);

    auto it = table->NewIterator();
    int n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
      REQUIRE(ExtractUserKey(it->key()) == UserKey(n / 2));
    }
    REQUIRE(it->status().ok());
    REQUIRE(n == 2 * kKeys);
    file_size[c] = table->file_size();
  }
  REQUIRE(file_size[Compression::kLz4] < file_size[Compression::kNone]);
  REQUIRE(file_size[Compression::kZstd] < file_size[Compression::kNone]);
}

TEST_CASE("a key between stored keys, before the first or after the last is absent") {
  TempDir dir;
  auto table = OpenTable(BuildTable(dir, Compression::kLz4), nullptr, nullptr);
  for (const std::string& key : {UserKey(0) + "x", UserKey(kKeys / 2) + "\x01", std::string("a"), std::string("zzz"),
                                 UserKey(-1), UserKey(kKeys)}) {
    auto got = table->Get(key, kMaxSequence);
    REQUIRE(got.ok());
    REQUIRE_FALSE(got->has_value());
  }
  REQUIRE(table->MayContain(UserKey(123)));
}

TEST_CASE("reading the same data block twice is one cache miss, then a cache hit") {
  TempDir dir;
  BlockCache cache(1 << 20);
  StorageStats stats;
  auto table = OpenTable(BuildTable(dir, Compression::kLz4), &cache, &stats);
  REQUIRE(table->Get(UserKey(42), kMaxSequence)->has_value());
  REQUIRE(stats.block_cache_misses.load() == 1);
  REQUIRE(stats.block_cache_hits.load() == 0);
  REQUIRE(table->Get(UserKey(43), kMaxSequence)->has_value());  // same block
  REQUIRE(stats.block_cache_misses.load() == 1);
  REQUIRE(stats.block_cache_hits.load() == 1);
  REQUIRE(cache.UsageBytes() > 0);
  SECTION("a cache-only read of an uncached block is Busy, not a disk read") {
    auto got = table->Get(UserKey(kKeys - 1), kMaxSequence, /*cache_only=*/true);
    REQUIRE(got.status().code() == StatusCode::kBusy);
    REQUIRE(stats.block_cache_misses.load() == 1);
  }
  SECTION("an obsolete table drops its blocks from the cache") {
    table->MarkObsolete();
    table.reset();
    REQUIRE(cache.UsageBytes() == 0);
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
  REQUIRE(b.Add(MakeInternalKey("c" + std::string(kMaxKeyBytes, 'x'), 1), Encoded("v")).IsInvalidArgument());
  REQUIRE(b.Add("short", Encoded("v")).IsInvalidArgument());   // no room for a trailer
  REQUIRE(b.Add(MakeInternalKey("c", 1), Encoded("v")).ok());  // refusals leave the builder usable
  REQUIRE(b.Finish().ok());
  REQUIRE(OpenTable(dir.file("t.sst"), nullptr, nullptr)->properties().num_entries == 3);
}

TEST_CASE("an empty table opens, finds nothing and iterates nothing") {
  TempDir dir;
  auto file = WritableFile::Create(dir.file("empty.sst"));
  REQUIRE(file.ok());
  SSTableBuilder b(StorageOptions{}, std::move(file).value());
  REQUIRE(b.Finish().ok());
  auto table = OpenTable(dir.file("empty.sst"), nullptr, nullptr);
  REQUIRE(table->properties().num_entries == 0);
  REQUIRE_FALSE(table->Get("k", kMaxSequence)->has_value());
  auto it = table->NewIterator();
  it->SeekToFirst();
  REQUIRE_FALSE(it->Valid());
  REQUIRE(it->status().ok());
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
                  Place{"footer version", size - kFooterSize + 48}, Place{"footer checksum", size - kFooterSize + 52},
                  Place{"footer handle", size - kFooterSize + 3},
                  Place{"index trailer", footer.index.offset + footer.index.size}}) {
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
    INFO("cut at " << cut << ": " << t.status().ToString());
    REQUIRE(t.status().IsCorruption());
    REQUIRE_THAT(t.status().message(), Catch::Contains(path));
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
  REQUIRE_THAT(got.status().message(),
               Catch::Contains("sstable " + path) && Catch::Contains("checksum mismatch in data block at offset 0"));
  auto it = table->NewIterator();
  it->SeekToFirst();
  REQUIRE_FALSE(it->Valid());
  REQUIRE(it->status().IsCorruption());
  REQUIRE_THAT(it->status().message(), Catch::Contains(path) && Catch::Contains("data block at offset 0"));
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

TEST_CASE("a bit flipped anywhere in a table gives Corruption or the right answer, never a wrong one") {
  TempDir dir;
  StorageOptions opts;
  opts.block_bytes = 512;  // many small blocks
  constexpr int kSmall = 400;
  std::vector<std::pair<std::string, std::string>> expected;  // (internal key, value), in order
  {
    auto file = WritableFile::Create(dir.file("good.sst"));
    REQUIRE(file.ok());
    SSTableBuilder b(opts, std::move(file).value());
    for (int i = 0; i < kSmall; ++i) {
      for (SequenceNumber seq : {SequenceNumber{2}, SequenceNumber{1}}) {
        expected.emplace_back(MakeInternalKey(UserKey(i), seq), Encoded("v" + std::to_string(i * 10 + seq)));
        REQUIRE(b.Add(expected.back().first, expected.back().second).ok());
      }
    }
    REQUIRE(b.Finish().ok());
  }
  std::string good = dir.file("good.sst");
  uint64_t size = fs::file_size(good);
  REQUIRE(OpenTable(good, nullptr, nullptr)->properties().num_data_blocks > 20);

  std::mt19937 rng(3);
  int open_failures = 0, read_failures = 0;
  for (uint64_t offset = rng() % 7; offset < size; offset += 1 + rng() % (size / 150)) {
    std::string path = dir.file("flip" + std::to_string(offset) + ".sst");
    fs::copy_file(good, path);
    FlipBit(path, offset);
    INFO("bit flipped at offset " << offset << " of " << size);
    BlockCache cache(1 << 20);
    auto table = SSTable::Open(path, 5, &cache, nullptr);
    if (!table.ok()) {
      ++open_failures;
      REQUIRE(table.status().IsCorruption());
      REQUIRE_THAT(table.status().message(), Catch::Contains(path));
      continue;
    }
    bool detected = false;
    for (int i = 0; i < kSmall; ++i) {
      auto got = (*table)->Get(UserKey(i), kMaxSequence);
      if (!got.ok()) {
        detected = true;
        REQUIRE(got.status().IsCorruption());
        REQUIRE_THAT(got.status().message(), Catch::Contains(path) && Catch::Contains("data block at offset"));
        continue;
      }
      REQUIRE(got->has_value());
      REQUIRE((*got)->value == expected[2 * i].second);
    }
    auto it = (*table)->NewIterator();
    size_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
      REQUIRE(n < expected.size());
      REQUIRE(it->key() == expected[n].first);
      REQUIRE(it->value() == expected[n].second);
    }
    if (!it->status().ok()) {
      detected = true;
      REQUIRE(it->status().IsCorruption());
    } else {
      REQUIRE(n == expected.size());
    }
    REQUIRE(detected);  // every byte of a table is under some checksum
    ++read_failures;
    fs::remove(path);
  }
  WARN(open_failures << " flips failed Open, " << read_failures << " were caught on read");
  REQUIRE(open_failures > 0);
  REQUIRE(read_failures > 100);
}

TEST_CASE("a block handle reaching past the end of the file is Corruption, not an overflow") {
  TempDir dir;
  std::string path = BuildTable(dir, Compression::kNone);
  auto file = RandomAccessFile::Open(path);
  REQUIRE(file.ok());
  uint64_t size = (*file)->Size();
  for (BlockHandle h : {BlockHandle{0, ~uint64_t{0} - 2}, BlockHandle{size - 3, 0}, BlockHandle{size + 10, 1},
                        BlockHandle{~uint64_t{0}, 5}, BlockHandle{10, size}}) {
    auto block = ReadBlock(**file, h, "data");
    INFO(h.offset << "+" << h.size << ": " << block.status().ToString());
    REQUIRE(block.status().IsCorruption());
    REQUIRE_THAT(block.status().message(), Catch::Contains(path) && Catch::Contains("past the end of the file"));
  }
}

TEST_CASE("concurrent readers share a table and a small block cache") {
  TempDir dir;
  BlockCache cache(64 * 1024);  // far smaller than the table: constant eviction
  StorageStats stats;
  auto table = OpenTable(BuildTable(dir, Compression::kLz4), &cache, &stats);
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int n = 0; n < 2000; ++n) {
        int i = static_cast<int>(rng() % kKeys);
        auto got = table->Get(UserKey(i), kMaxSequence);
        if (!got.ok() || !got->has_value() || (*got)->seq != static_cast<SequenceNumber>(10 * i + 2)) ++wrong;
      }
    });
  }
  for (auto& r : readers) r.join();
  REQUIRE(wrong.load() == 0);
  REQUIRE(stats.block_cache_misses.load() > 0);
  REQUIRE(cache.UsageBytes() <= 64 * 1024);
}

namespace {

// What a hand-assembled table gets wrong; every checksum in it is still valid.
enum class Lie { kNothing, kIndexOutOfOrder, kIndexHandleElsewhere, kIndexMissesABlock, kFooterHandlesSwapped };

// Two data blocks ("a" and "b"), bloom, properties, index and footer, written through the
// table format's own functions so only the lie differs from what the builder writes.
std::string CraftTable(const TempDir& dir, Lie lie) {
  std::string path = dir.file("crafted" + std::to_string(static_cast<int>(lie)) + ".sst");
  auto file = WritableFile::Create(path);
  REQUIRE(file.ok());
  WritableFile* f = file->get();
  std::string scratch;
  auto write = [&](std::string_view contents) {
    auto h = WriteBlock(f, contents, Compression::kNone, &scratch);
    REQUIRE(h.ok());
    return *h;
  };
  std::vector<std::pair<std::string, BlockHandle>> index;
  for (const char* key : {"a", "b"}) {
    BlockBuilder block(16);
    block.Add(MakeInternalKey(key, 1), Encoded(key));
    index.emplace_back(MakeInternalKey(key, 1), write(block.Finish()));
  }
  BloomFilterBuilder bloom(10);
  bloom.AddKey("a");
  bloom.AddKey("b");
  Footer footer;
  footer.bloom = write(bloom.Finish());
  TableProperties props;
  props.num_entries = 2;
  props.num_data_blocks = 2;
  props.min_seq = props.max_seq = 1;
  props.smallest_key = index.front().first;
  props.largest_key = index.back().first;
  footer.properties = write(EncodeProperties(props));
  if (lie == Lie::kIndexOutOfOrder) std::swap(index[0].first, index[1].first);
  if (lie == Lie::kIndexHandleElsewhere) index[1].second = footer.properties;
  if (lie == Lie::kIndexMissesABlock) index[1].second = index[0].second;
  BlockBuilder index_block(1);
  for (const auto& [key, handle] : index) {
    std::string encoded;
    EncodeHandle(handle, &encoded);
    index_block.Add(key, encoded);
  }
  footer.index = write(index_block.Finish());
  if (lie == Lie::kFooterHandlesSwapped) std::swap(footer.bloom, footer.index);
  REQUIRE(f->Append(EncodeFooter(footer)).ok());
  REQUIRE(f->Close().ok());
  return path;
}

}  // namespace

TEST_CASE("a table whose checksums pass but whose index or footer lies about the layout fails to open") {
  TempDir dir;
  auto honest = OpenTable(CraftTable(dir, Lie::kNothing), nullptr, nullptr);
  REQUIRE(ValueOf((*honest->Get("b", kMaxSequence))->value) == "b");
  struct Case {
    Lie lie;
    const char* message;
  };
  for (Case c : {Case{Lie::kIndexOutOfOrder, "keys out of order in index block"},
                 Case{Lie::kIndexHandleElsewhere, "data blocks out of place in index block"},
                 Case{Lie::kIndexMissesABlock, "data blocks out of place in index block"},
                 Case{Lie::kFooterHandlesSwapped, "footer handles do not match the file's layout"}}) {
    std::string path = CraftTable(dir, c.lie);
    auto t = SSTable::Open(path, 3, nullptr, nullptr);
    INFO(t.status().ToString());
    REQUIRE(t.status().IsCorruption());
    REQUIRE_THAT(t.status().message(), Catch::Contains("sstable " + path) && Catch::Contains(c.message));
  }
}
