#include <catch2/catch.hpp>

#include "node/node_config.h"

using namespace ringkv;

namespace {

Result<NodeConfig> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "kvnode");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  bool exit_early = false;
  return ParseNodeConfig(static_cast<int>(argv.size()), argv.data(), &exit_early);
}

}  // namespace

TEST_CASE("node flags parse into the config") {
  auto c = Parse({"--id", "n1", "--data", "/tmp/x", "--listen", "127.0.0.1:7100", "--seeds",
                  "n2@127.0.0.2:7100,n3@127.0.0.3:7100", "--durability", "always", "--vnodes", "64"});
  REQUIRE(c.ok());
  REQUIRE(c->id == "n1");
  REQUIRE(c->seeds.size() == 2);
  REQUIRE(c->durability == "always");
  REQUIRE(c->vnodes == 64);
}

TEST_CASE("a JSON config file sets the same options and unknown keys are refused") {
  auto c = LoadNodeConfigJson(R"({"id": "n7", "data": "/d", "vnodes": 32, "seeds": ["a@h:1"]})", NodeConfig{});
  REQUIRE(c.ok());
  REQUIRE(c->id == "n7");
  REQUIRE(c->vnodes == 32);
  REQUIRE(c->seeds == std::vector<std::string>{"a@h:1"});
  REQUIRE_THAT(LoadNodeConfigJson(R"({"idd": "x"})", NodeConfig{}).status().message(),
               Catch::Contains("unknown config key 'idd'"));
  REQUIRE_THAT(LoadNodeConfigJson(R"({"vnodes": "many"})", NodeConfig{}).status().message(),
               Catch::Contains("wrong type"));
  REQUIRE(LoadNodeConfigJson("{not json", NodeConfig{}).status().IsInvalidArgument());
}

TEST_CASE("bad node settings get a clear error") {
  REQUIRE_THAT(Parse({"--data", "/d"}).status().message(), Catch::Contains("--id is required"));
  REQUIRE_THAT(Parse({"--id", "n1"}).status().message(), Catch::Contains("--data is required"));
  REQUIRE_THAT(Parse({"--id", "n1", "--data", "/d", "--durability", "sometimes"}).status().message(),
               Catch::Contains("none, batch or always"));
  REQUIRE_THAT(Parse({"--id", "n1", "--data", "/d", "--seeds", "nohost"}).status().message(),
               Catch::Contains("id@host:port"));
  REQUIRE(Parse({"--id", "n1", "--data", "/d", "--vnodes", "0"}).status().IsInvalidArgument());
  REQUIRE(Parse({"--id", "n1", "--data", "/d", "--no-such-flag"}).status().IsInvalidArgument());
  REQUIRE(Parse({"--id", "a@b", "--data", "/d"}).status().IsInvalidArgument());
}

TEST_CASE("the configuration reference lists every option") {
  std::string ref = NodeConfigReference();
  for (const char* flag : {"--id", "--listen", "--data", "--seeds", "--durability", "--vnodes", "--config"}) {
    REQUIRE_THAT(ref, Catch::Contains(flag));
  }
}
