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
  WARN("bloom false-positive rate at 10 bits/key: " << rate * 100 << "% (" << filter.size() << " bytes for " << kKeys
                                                    << " keys)");
  REQUIRE(rate > 0.002);
  REQUIRE(rate < 0.02);
}

TEST_CASE("an empty bloom filter answers absent, a malformed one answers maybe") {
  BloomFilterBuilder builder(10);
  std::string empty = builder.Finish();
  REQUIRE_FALSE(BloomMayContain(empty, "x"));
  REQUIRE(BloomMayContain("", "x"));
  REQUIRE(BloomMayContain("a", "x"));
  for (int k : {0, 31, 99, 255}) {  // k out of [1, 30]: not a filter we wrote
    std::string bad_k = empty;
    bad_k.back() = static_cast<char>(k);
    REQUIRE(BloomMayContain(bad_k, "x"));
  }
}

TEST_CASE("a bloom filter carries its own probe count, so readers need no options") {
  for (int bits_per_key : {1, 5, 20, 100}) {
    BloomFilterBuilder builder(bits_per_key);
    for (int i = 0; i < 1000; ++i) builder.AddKey("k" + std::to_string(i));
    std::string filter = builder.Finish();
    int k = static_cast<unsigned char>(filter.back());
    REQUIRE(k >= 1);
    REQUIRE(k <= 30);
    for (int i = 0; i < 1000; ++i) REQUIRE(BloomMayContain(filter, "k" + std::to_string(i)));
  }
}
