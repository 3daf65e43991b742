// SplitCommaList (common/comma_list.h): kv's --cluster and --report-to and the C ABI's seeds
// all parse their lists with it.

#include <catch2/catch.hpp>

#include "common/comma_list.h"

using ringkv::SplitCommaList;
using List = std::vector<std::string>;

TEST_CASE("a comma list splits into its items in order, duplicates kept") {
  CHECK(SplitCommaList("127.0.0.1:7001") == List{"127.0.0.1:7001"});
  CHECK(SplitCommaList("a:1,b:2,a:1") == List{"a:1", "b:2", "a:1"});
}

TEST_CASE("items are trimmed of spaces and tabs and empty ones are skipped") {
  CHECK(SplitCommaList("a, b,,c ") == List{"a", "b", "c"});
  CHECK(SplitCommaList(",\ta\t,") == List{"a"});
  CHECK(SplitCommaList("a b, c") == List{"a b", "c"});  // only the ends are trimmed
}

TEST_CASE("an empty or blank list has no items") {
  CHECK(SplitCommaList("").empty());
  CHECK(SplitCommaList(",").empty());
  CHECK(SplitCommaList(" , \t ,").empty());
}
