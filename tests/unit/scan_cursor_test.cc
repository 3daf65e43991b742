// The scan cursor (sdk/scan_cursor.h): opaque, round-trips exactly, and refuses anything
// it did not write or that belongs to another scan, with a message saying why.

#include <catch2/catch.hpp>

#include "sdk/scan_cursor.h"

using namespace ringkv;
using namespace ringkv::sdk;

namespace {

ScanCursor Sample() { return ScanCursor{"carts", 1234567890123ULL, ScanPrefixHash("user:"), "user:42"}; }

}  // namespace

TEST_CASE("a scan cursor decodes to exactly what was encoded, binary keys included") {
  for (std::string key : {std::string("k"), std::string("user:42"), std::string("\x00\xFF\x01 z", 5),
                          std::string(1024, '\xFE'), std::string("ab"), std::string("abc")}) {
    ScanCursor c = Sample();
    c.after_key = key;
    auto back = DecodeScanCursor(EncodeScanCursor(c));
    INFO(back.status().ToString());
    REQUIRE(back.ok());
    CHECK(*back == c);
  }
}

TEST_CASE("a scan cursor is opaque text safe in URLs and shells") {
  std::string text = EncodeScanCursor(Sample());
  for (char ch : text) CHECK((std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_'));
  CHECK(text.find("user") == std::string::npos);  // not readable as the key it names
}

TEST_CASE("a damaged, truncated or invented cursor is refused as malformed") {
  std::string text = EncodeScanCursor(Sample());
  std::string flipped = text;
  flipped[text.size() / 2] = flipped[text.size() / 2] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {flipped, text.substr(0, text.size() - 3), text.substr(1), std::string("hello"),
                                 std::string("!!!!"), std::string("A"), text + "AAAA"}) {
    auto decoded = DecodeScanCursor(bad);
    INFO(bad);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().IsInvalidArgument());
    CHECK(decoded.status().message().find("cursor") != std::string::npos);
  }
}

TEST_CASE("a cursor of another namespace, prefix or incarnation is refused naming the difference") {
  ScanCursor c = Sample();
  CHECK(CheckScanCursor(c, "carts", c.incarnation, "user:").ok());

  Status other_ns = CheckScanCursor(c, "sessions", c.incarnation, "user:");
  CHECK(other_ns.IsInvalidArgument());
  CHECK(other_ns.message().find("namespace 'carts'") != std::string::npos);

  Status recreated = CheckScanCursor(c, "carts", c.incarnation + 1, "user:");
  CHECK(recreated.IsInvalidArgument());
  CHECK(recreated.message().find("dropped and re-created") != std::string::npos);

  Status other_prefix = CheckScanCursor(c, "carts", c.incarnation, "order:");
  CHECK(other_prefix.IsInvalidArgument());
  CHECK(other_prefix.message().find("prefix") != std::string::npos);
}
