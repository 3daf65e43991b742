#include <catch2/catch.hpp>

#include "node/storage/bloom.h"

using namespace ringkv::storage;

TEST_CASE("a bloom filter has no false negatives and about 1% false positives at 10 bits per key") {
  constexpr int kKeys = 100000;
  BloomFilterBuilder builder(10);
  for (int i = 0; i < kKeys; ++i) builder.AddKey("present-" + std::to_string(i));
  std::string filter = builder.Finish();
  for (int i = 0; i < kKeys; ++i) REQUIRE(BloomMayContain(filter, "present-" + std::to_string(i)));

  int false_positives = 0;
  for (int i = 0; i < kKeys; ++i) false_positives += BloomMayContain(filter, "absent-" + std::to_string(i)) ? 1 : 0;
  double rate = static_cast<double>(false_positives) / kKeys;
  WARN("bloom false-positive rate at 10 bits/key: " << rate * 100 << "% (" << filter.size() << " bytes for "
                                                    << kKeys << " keys)");
  REQUIRE(rate > 0.002);
  REQUIRE(rate < 0.02);
}

TEST_CASE("an empty bloom filter answers absent, a malformed one answers maybe") {
  BloomFilterBuilder builder(10);
  std::string empty = builder.Finish();
  REQUIRE_FALSE(BloomMayContain(empty, "x"));
  REQUIRE(BloomMayContain("", "x"));
  REQUIRE(BloomMayContain("a", "x"));
  std::string bad_k = empty;
  bad_k.back() = static_cast<char>(99);  // k out of range
  REQUIRE(BloomMayContain(bad_k, "x"));
}
