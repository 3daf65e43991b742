// The configuration reference in docs/ is generated from the node's option table; this
// test fails when someone changes one without the other.

#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "node/node_config.h"

TEST_CASE("docs/configuration.md holds the node's current option table") {
  std::ifstream in(std::string(RINGKV_SOURCE_DIR) + "/docs/configuration.md");
  REQUIRE(in.good());
  std::stringstream doc;
  doc << in.rdbuf();
  INFO("regenerate with: kvnode --print-config-reference (see docs/configuration.md)");
  REQUIRE_THAT(doc.str(), Catch::Contains(ringkv::NodeConfigReference()));
}
