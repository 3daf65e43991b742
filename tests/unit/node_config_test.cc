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
  REQUIRE_THAT(Parse({"--id", "n1", "--data", "/d", "--max-message-mb", "0"}).status().message(),
               Catch::Contains("--max-message-mb in 1..1024"));
  REQUIRE(Parse({"--id", "n1", "--data", "/d", "--max-connections", "0"}).status().IsInvalidArgument());
  REQUIRE_THAT(Parse({"--id", "n1", "--data", "/d", "--dc-replication", "west:3,west:2"}).status().message(),
               Catch::Contains("each DC once"));
  REQUIRE(Parse({"--id", "n1", "--data", "/d", "--admin", "7001"}).ok());
}

TEST_CASE("the configuration reference lists every option") {
  std::string ref = NodeConfigReference();
  for (const char* flag : {"--id", "--listen", "--data", "--seeds", "--durability", "--vnodes", "--config"}) {
    REQUIRE_THAT(ref, Catch::Contains(flag));
  }
}

TEST_CASE("a founding member may name its DC and rack") {
  auto plain = ParseMember("n1@127.0.0.1:7001");
  REQUIRE(plain.ok());
  CHECK(plain->id == "n1");
  CHECK(plain->address == "127.0.0.1:7001");
  CHECK(plain->dc.empty());
  auto placed = ParseMember("n4@127.0.0.4:7001/east/r2");
  REQUIRE(placed.ok());
  CHECK(placed->address == "127.0.0.4:7001");
  CHECK(placed->dc == "east");
  CHECK(placed->rack == "r2");
  CHECK(ParseMember("n4@127.0.0.4:7001/east")->rack.empty());
  for (const char* bad : {"n4@127.0.0.4:7001/", "n4@127.0.0.4:7001//r1", "n4@127.0.0.4:7001/a/b/c", "n4@:7001/x"}) {
    INFO(bad);
    CHECK(ParseMember(bad).status().IsInvalidArgument());
  }
  auto per_dc = ParseDcReplication({"west:3", "east:2"});
  REQUIRE(per_dc.ok());
  CHECK(per_dc->at("west") == 3);
  CHECK(per_dc->at("east") == 2);
  for (std::vector<std::string> bad :
       {std::vector<std::string>{"west"}, {"west:0"}, {"west:3", "west:2"}, {":3"}, {"west:x"}}) {
    CHECK(ParseDcReplication(bad).status().IsInvalidArgument());
  }
}
