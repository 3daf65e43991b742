// The whole-batch checks (sdk/batch_check.h) a MultiGet, MultiPut or MultiDelete makes
// before anything is sent: an empty batch, an oversized one, and one key given twice in one
// namespace are refused with InvalidArgument naming the problem; the same key in two
// namespaces is two keys.

#include <catch2/catch.hpp>

#include "ringkv/client.h"
#include "sdk/batch_check.h"

using namespace ringkv;
using namespace ringkv::sdk;

namespace {

BatchKey InDefault(const std::string& key) { return {"", key, key}; }
BatchKey In(const std::string& ns, const std::string& key) { return {ns, key, ns + "/" + key}; }

}  // namespace

TEST_CASE("a batch of distinct keys passes the check") {
  std::vector<BatchKey> keys;
  for (int i = 0; i < 100; ++i) keys.push_back(InDefault("k" + std::to_string(i)));
  REQUIRE(CheckBatch(keys).ok());
}

TEST_CASE("an empty batch is refused as InvalidArgument") {
  Status s = CheckBatch({});
  REQUIRE(s.IsInvalidArgument());
  REQUIRE_THAT(s.message(), Catch::Contains("empty batch"));
}

TEST_CASE("a batch over kMaxBatchEntries is refused, one at the limit passes") {
  std::vector<BatchKey> keys;
  for (size_t i = 0; i < kMaxBatchEntries; ++i) keys.push_back(InDefault("k" + std::to_string(i)));
  REQUIRE(CheckBatch(keys).ok());
  keys.push_back(InDefault("one-more"));
  Status s = CheckBatch(keys);
  REQUIRE(s.IsInvalidArgument());
  REQUIRE_THAT(s.message(), Catch::Contains("at most " + std::to_string(kMaxBatchEntries)));
}

TEST_CASE("a key given twice in one namespace is refused, naming both entries and the key") {
  Status s = CheckBatch({InDefault("a"), InDefault("b"), InDefault("c"), InDefault("b")});
  REQUIRE(s.IsInvalidArgument());
  REQUIRE_THAT(s.message(), Catch::Contains("entries 1 and 3") && Catch::Contains("'b'") &&
                                Catch::Contains("namespace 'default'") && Catch::Contains("nothing was sent"));
  Status named = CheckBatch({In("carts", "x"), In("carts", "x")});
  REQUIRE(named.IsInvalidArgument());
  REQUIRE_THAT(named.message(), Catch::Contains("namespace 'carts'"));
}

TEST_CASE("the same key in two namespaces is two keys") {
  REQUIRE(CheckBatch({In("carts", "x"), In("users", "x"), InDefault("x")}).ok());
}

TEST_CASE("a duplicate binary key is shown escaped and shortened in the message") {
  std::string key = std::string("\x01\xFFz", 3) + std::string(200, 'k');
  Status s = CheckBatch({InDefault(key), InDefault(key)});
  REQUIRE(s.IsInvalidArgument());
  REQUIRE_THAT(s.message(), Catch::Contains("\\x01\\xffz") && Catch::Contains("..."));
  REQUIRE(s.message().size() < 300);
}

TEST_CASE("an entry's own error keeps InvalidArgument and names the entry and key") {
  Status s = EntryError(7, "user:7", Status::InvalidArgument("value is too large"));
  REQUIRE(s.IsInvalidArgument());
  REQUIRE_THAT(s.message(), Catch::StartsWith("entry 7 (key 'user:7'): value is too large"));
}
