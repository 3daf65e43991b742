// How a node keeps its namespace catalog (NAMESPACES) on disk: written before Open returns,
// saved after each change, restored on restart, and refused when damaged.

#include <catch2/catch.hpp>
#include <fstream>

#include "node/cluster/namespaces.h"
#include "node/storage/file.h"
#include "tests/temp_dir.h"

using namespace ringkv;

namespace {

NamespacesOptions OptionsIn(const ringkv::testing::TempDir& dir) {
  NamespacesOptions options;
  options.state_file = dir.file("NAMESPACES");
  options.self_id = "node1";
  options.default_settings.n = 5;
  options.default_settings.w = options.default_settings.r = 3;
  return options;
}

}  // namespace

TEST_CASE("a new node writes its catalog before Open returns, with the default namespace of its settings") {
  ringkv::testing::TempDir dir;
  auto namespaces = Namespaces::Open(OptionsIn(dir));
  REQUIRE(namespaces.ok());
  auto bytes = storage::ReadFileToString(dir.file("NAMESPACES"));
  REQUIRE(bytes.ok());
  auto saved = NamespaceCatalog::Decode(*bytes);
  REQUIRE(saved.ok());
  REQUIRE(saved->Find("default") != nullptr);
  CHECK(saved->Find("default")->settings.n == 5);
}

TEST_CASE("changes are saved once flushed and restored on the next open, whatever the default settings") {
  ringkv::testing::TempDir dir;
  {
    auto namespaces = Namespaces::Open(OptionsIn(dir));
    REQUIRE(namespaces.ok());
    REQUIRE((*namespaces)->Create("carts", {}, 1000).ok());
    REQUIRE((*namespaces)->Create("old", {}, 1001).ok());
    REQUIRE((*namespaces)->Drop("old", 1002).ok());
    REQUIRE((*namespaces)->FlushSaves().ok());
  }
  NamespacesOptions other = OptionsIn(dir);
  other.default_settings = {};
  auto reopened = Namespaces::Open(other);
  REQUIRE(reopened.ok());
  CHECK((*reopened)->Find("carts").has_value());
  CHECK_FALSE((*reopened)->Find("old").has_value());
  CHECK((*reopened)->Find("default")->settings.n == 5);  // the cluster's, not this start's
  // The drop is remembered, so gossip from a node that missed it cannot revive the name.
  CHECK((*reopened)->Records().size() == 3);
}

TEST_CASE("a damaged catalog file stops the node from starting instead of forgetting namespaces") {
  ringkv::testing::TempDir dir;
  {
    auto namespaces = Namespaces::Open(OptionsIn(dir));
    REQUIRE(namespaces.ok());
    REQUIRE((*namespaces)->Create("carts", {}, 1000).ok());
  }
  auto bytes = storage::ReadFileToString(dir.file("NAMESPACES"));
  REQUIRE(bytes.ok());
  std::string damaged = *bytes;
  damaged[damaged.size() / 2] ^= 0x01;
  std::ofstream(dir.file("NAMESPACES"), std::ios::binary | std::ios::trunc) << damaged;
  auto reopened = Namespaces::Open(OptionsIn(dir));
  CHECK(reopened.status().IsCorruption());
  CHECK(reopened.status().message().find("NAMESPACES") != std::string::npos);
}
