// TTL in the storage engine: a record carries the time every live value in it expires and
// what it becomes then (node/storage/record.h); compaction drops the expired values, inline
// or in blob files, and the record is then a tombstone deleted at its expiry.

#include <chrono>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "common/coding.h"
#include "engine_test_util.h"
#include "node/storage/record.h"

using namespace ringkv;
using namespace ringkv::storage;
using ringkv::testing::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr std::chrono::hours kDay{24};
constexpr size_t kBlobThreshold = 8 * 1024;

StorageOptions ExpiryOptions(const ManualClock& clock) {
  StorageOptions o = SmallOptions();
  o.memtable_bytes = 4u << 20;  // flushes only when a test asks
  o.clock = &clock;
  o.tombstone_grace = 10 * kDay;
  o.tombstone_scan_interval = std::chrono::milliseconds(20);
  o.blob_threshold_bytes = kBlobThreshold;
  return o;
}

Record ExpiringValue(std::string value, uint64_t ts, uint64_t expires_at_ms) {
  Record r;
  r.value = std::move(value);
  r.timestamp_ms = ts;
  r.expires_at_ms = expires_at_ms;
  r.expired_value = "versions-of:" + std::to_string(expires_at_ms);
  return r;
}

size_t CountBlobFiles(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".blob";
  return n;
}

}  // namespace

TEST_CASE("a record's expiry and expired form round-trip, and a record encoded before expiries decodes unchanged") {
  Record r = ExpiringValue("value", 1000, 31000);
  r.clock = "clk";
  std::string encoded;
  EncodeRecord(r, &encoded);
  Record back;
  REQUIRE(DecodeRecord(encoded, &back).ok());
  CHECK(back == r);
  CHECK(PeekExpiry(encoded) == 31000);
  bool tombstone = true;
  uint64_t ts = 0;
  REQUIRE(PeekTombstone(encoded, &tombstone, &ts));
  CHECK_FALSE(tombstone);
  CHECK(ts == 1000);

  // [flags 0][timestamp 1000][clock "clk"][value]: the bytes of a record written before TTL.
  std::string old;
  old.push_back('\0');
  PutVarint64(&old, 1000);
  PutLengthPrefixed(&old, "clk");
  old += "value";
  Record plain;
  REQUIRE(DecodeRecord(old, &plain).ok());
  CHECK(plain == Record{"value", "clk", 1000, false});
  CHECK(PeekExpiry(old) == 0);
  std::string again;
  EncodeRecord(plain, &again);
  CHECK(again == old);

  // A value moved to a blob file keeps its expiry in the table's header.
  std::string_view header, value;
  REQUIRE(SplitRecord(encoded, &header, &value));
  CHECK(value == "value");
  std::string blob_record;
  EncodeBlobRecord(header, BlobRef{5, 0, 5, 0}, &blob_record);
  CHECK(PeekExpiry(blob_record) == 31000);
  std::optional<BlobRef> ref;
  REQUIRE(DecodeRecord(blob_record, &back, &ref).ok());
  CHECK(back.expires_at_ms == 31000);
  CHECK(ref->file_number == 5);

  CHECK_FALSE(DecodeRecord(encoded.substr(0, 4), &back).ok());
}

TEST_CASE("an expired record becomes a tombstone deleted at its expiry that holds its expired form") {
  Record r = ExpiringValue("value", 1000, 31000);
  std::string encoded, expired;
  EncodeRecord(r, &encoded);
  CHECK_FALSE(ExpireRecord(encoded, 30999, &expired));
  REQUIRE(ExpireRecord(encoded, 31000, &expired));
  Record back;
  REQUIRE(DecodeRecord(expired, &back).ok());
  CHECK(back == Record{"versions-of:31000", "", 31000, true});
  CHECK(PeekExpiry(expired) == 0);
  std::string plain;
  EncodeRecord(Record{"value", "", 1000, false}, &plain);
  CHECK_FALSE(ExpireRecord(plain, UINT64_MAX, &expired));  // no expiry: never
}

TEST_CASE("compaction keeps a value until it expires, then drops its bytes and reaps it after the grace period") {
  TempDir dir;
  ManualClock clock;
  auto engine = OpenOrDie(dir.path(), ExpiryOptions(clock));
  uint64_t now = clock.WallMs();
  std::mt19937 rng(13);
  std::string value(4000, '\0');  // inline (below the blob threshold), incompressible
  for (char& c : value) c = static_cast<char>(rng());
  for (int i = 0; i < 50; ++i) REQUIRE(engine->Put(KeyOf(i), ExpiringValue(value, now, now + 60'000)).ok());
  REQUIRE(engine->Put("keep", Value("v")).ok());
  REQUIRE(engine->Flush().ok());
  uint64_t bytes_with_values = engine->Info().table_bytes;

  clock.Advance(std::chrono::seconds(59));
  REQUIRE(engine->CompactAll().ok());
  CHECK(engine->Get(KeyOf(0))->value == value);
  CHECK(engine->stats().values_expired.load() == 0);

  clock.Advance(std::chrono::seconds(1));
  REQUIRE(engine->CompactAll().ok());
  CHECK(engine->stats().values_expired.load() == 50);
  auto got = engine->Get(KeyOf(0));
  REQUIRE(got.ok());
  CHECK(got->tombstone);
  CHECK(got->value == "versions-of:" + std::to_string(now + 60'000));
  CHECK(got->timestamp_ms == now + 60'000);
  CHECK(engine->Info().table_bytes < bytes_with_values / 10);
  CHECK(engine->Get("keep")->value == "v");

  clock.Advance(9 * kDay);  // the tombstone's grace counts from the expiry
  REQUIRE(engine->CompactAll().ok());
  CHECK(engine->Get(KeyOf(0))->tombstone);
  clock.Advance(kDay + std::chrono::seconds(1));
  REQUIRE(engine->CompactAll().ok());
  CHECK(engine->Get(KeyOf(0)).status().IsNotFound());
  CHECK(engine->stats().tombstones_dropped.load() == 50);
  CHECK(engine->Get("keep")->value == "v");
}

TEST_CASE("compaction drops expired values kept in blob files and the blob files go with them") {
  TempDir dir;
  ManualClock clock;
  auto engine = OpenOrDie(dir.path(), ExpiryOptions(clock));
  uint64_t now = clock.WallMs();
  std::string large(64 * 1024, 'b');
  for (int i = 0; i < 10; ++i) REQUIRE(engine->Put(KeyOf(i), ExpiringValue(large, now, now + 1000)).ok());
  REQUIRE(engine->Flush().ok());
  REQUIRE(CountBlobFiles(dir.path()) == 1);
  REQUIRE(engine->Info().blob_bytes > 10 * large.size());

  clock.Advance(std::chrono::seconds(2));
  REQUIRE(engine->CompactAll().ok());
  REQUIRE(engine->WaitForCompactions().ok());
  CHECK(engine->stats().values_expired.load() == 10);
  CHECK(engine->Info().num_blob_files == 0);  // every value in it was garbage: the file is deleted
  CHECK(CountBlobFiles(dir.path()) == 0);
  auto got = engine->Get(KeyOf(3));
  REQUIRE(got.ok());
  CHECK(got->tombstone);
  CHECK(got->value == "versions-of:" + std::to_string(now + 1000));
}

TEST_CASE("a table whose values have all expired is compacted by the idle compaction thread by itself") {
  TempDir dir;
  ManualClock clock;
  auto engine = OpenOrDie(dir.path(), ExpiryOptions(clock));
  uint64_t now = clock.WallMs();
  for (int i = 0; i < 100; ++i) REQUIRE(engine->Put(KeyOf(i), ExpiringValue("v", now, now + 1000 + i)).ok());
  REQUIRE(engine->Flush().ok());
  REQUIRE(engine->Info().num_tables == 1);
  clock.Advance(std::chrono::milliseconds(1100));  // no CompactAll: the scan finds the table by itself
  REQUIRE(WaitFor([&] { return engine->stats().values_expired.load() == 100; }));
  CHECK(engine->Get(KeyOf(99))->tombstone);
}
