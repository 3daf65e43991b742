// Every SDK sample, built with the project, run against a real local cluster: each
// checks its own results and exits 0 only when they hold.

#include <sys/wait.h>

#include <array>
#include <cstdio>

#include <catch2/catch.hpp>

#include "tests/cluster/local_cluster.h"

using namespace ringkv::testing;

namespace {

std::pair<int, std::string> RunSample(const std::string& command) {
  auto run = RunCommand(command);
  return {run.exit_code, run.output};
}

}  // namespace

TEST_CASE("the SDK samples run clean against a 3-node cluster") {
  auto cluster = LocalCluster::Start({});
  REQUIRE(cluster.ok());
  const std::string seeds = (*cluster)->seeds();
  struct Sample {
    const char* path;
    const char* args;
    const char* says;
  };
  for (const Sample& s : {Sample{RINGKV_SAMPLE_quickstart, "", "quickstart ok"},
                          Sample{RINGKV_SAMPLE_shopping_cart, "", "no add was lost"},
                          Sample{RINGKV_SAMPLE_session_store, "", "grace and linus expired after their TTL"},
                          Sample{RINGKV_SAMPLE_multithreaded_load, " 8 400", "multithreaded_load ok"}}) {
    auto [code, output] = RunSample(std::string(s.path) + " " + seeds + s.args);
    INFO(s.path << "\n" << output);
    CHECK(code == 0);
    CHECK_THAT(output, Catch::Contains(s.says));
    if (std::string(s.path) == RINGKV_SAMPLE_session_store) CHECK_THAT(output, Catch::Contains("session_store ok"));
  }
}
