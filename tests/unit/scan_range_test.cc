// The stored-key ranges a scan reads (common/scan_range.h): a namespace's own keys only,
// narrowed by prefix and position, with default's gap around the reserved block.

#include <catch2/catch.hpp>

#include "common/namespace.h"
#include "common/scan_range.h"

using namespace ringkv;

TEST_CASE("the prefix successor is the least string above every string with that prefix") {
  CHECK(PrefixSuccessor("abc") == "abd");
  CHECK(PrefixSuccessor(std::string("a\xFF", 2)) == "b");
  CHECK(PrefixSuccessor(std::string("\xFF\xFF", 2)).empty());
  CHECK(PrefixSuccessor("").empty());
}

TEST_CASE("a named namespace's ranges hold its keys and no key of another namespace or incarnation") {
  auto ranges = NamespaceScanRanges("carts", 7, "", "");
  REQUIRE(ranges.size() == 1);
  CHECK(InRanges(ranges, StoredKey("carts", 7, "a")));
  CHECK(InRanges(ranges, StoredKey("carts", 7, std::string(1024, '\xFF'))));
  CHECK_FALSE(InRanges(ranges, StoredKey("carts", 8, "a")));
  CHECK_FALSE(InRanges(ranges, StoredKey("carts", 6, "a")));
  CHECK_FALSE(InRanges(ranges, StoredKey("cart", 7, "a")));
  CHECK_FALSE(InRanges(ranges, StoredKey("carts2", 7, "a")));
  CHECK_FALSE(InRanges(ranges, "plain-default-key"));
}

TEST_CASE("the default namespace's ranges skip every key of the reserved block") {
  auto ranges = NamespaceScanRanges(kDefaultNamespace, 0, "", "");
  REQUIRE(ranges.size() == 2);
  CHECK(InRanges(ranges, "a"));
  CHECK(InRanges(ranges, std::string("\x00\x01", 2)));
  CHECK(InRanges(ranges, std::string("\x01", 1)));
  CHECK(InRanges(ranges, std::string("\xFF\xFF", 2)));
  CHECK_FALSE(InRanges(ranges, StoredKey("carts", 7, "a")));
  CHECK_FALSE(InRanges(ranges, std::string("\x00\xFF", 2)));
}

TEST_CASE("a prefix and a position narrow the ranges to the keys after it that start with the prefix") {
  auto ranges = NamespaceScanRanges("carts", 7, "user:", "user:42");
  REQUIRE(ranges.size() == 1);
  CHECK(InRanges(ranges, StoredKey("carts", 7, "user:43")));
  CHECK(InRanges(ranges, StoredKey("carts", 7, "user:42\x01")));
  CHECK_FALSE(InRanges(ranges, StoredKey("carts", 7, "user:42")));  // the position itself was returned
  CHECK_FALSE(InRanges(ranges, StoredKey("carts", 7, "user:41")));
  CHECK_FALSE(InRanges(ranges, StoredKey("carts", 7, "user;")));
  CHECK_FALSE(InRanges(ranges, StoredKey("carts", 7, "order:1")));

  CHECK(NamespaceScanRanges("carts", 7, "user:", "zzz").empty());  // past everything the prefix allows
  auto def = NamespaceScanRanges(kDefaultNamespace, 0, "b", "");
  REQUIRE(def.size() == 1);
  CHECK(InRanges(def, "banana"));
  CHECK_FALSE(InRanges(def, "apple"));
}
