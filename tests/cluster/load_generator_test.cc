// The load generator behind `kv bench` and bench/cluster_bench (cli/load_generator.h):
// runs that share a KeyContexts carry each key's context from one run to the next, so a
// bench's later runs overwrite versions instead of writing blind beside them.

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "cli/load_generator.h"
#include "tests/cluster/cluster_fixture.h"

namespace ringkv {
namespace {

constexpr uint64_t kKeys = 20;

cli::LoadReport RunLoad(Client& client, int put_percent, const std::string& prefix,
                        std::shared_ptr<cli::KeyContexts> contexts) {
  cli::LoadSpec spec;
  spec.ops = 60;
  spec.put_percent = put_percent;
  spec.concurrency = 1;  // no two puts of one key in flight together (they would be siblings)
  spec.keys = kKeys;
  spec.key_prefix = prefix;
  spec.contexts = std::move(contexts);
  return cli::LoadGenerator(client, spec).Run();
}

int KeysWithSiblings(Client& client, const std::string& prefix) {
  int keys = 0;
  for (uint64_t k = 0; k < kKeys; ++k) {
    auto got = client.Get(prefix + std::to_string(k));
    INFO(prefix << k << ": " << got.status().ToString());
    REQUIRE((got.ok() || got.status().code() == StatusCode::kNotFound));
    if (got.ok() && got->siblings.size() > 1) ++keys;
  }
  return keys;
}

}  // namespace

TEST_CASE("a key never seen has an empty context, and keys of another prefix are other keys") {
  cli::KeyContexts contexts;
  CHECK(contexts.Get("a-7").empty());
  contexts.Set("a-7", Context("abc"));
  CHECK(contexts.Get("a-7").bytes() == "abc");
  CHECK(contexts.Get("b-7").empty());
  CHECK(contexts.Get("a-70").empty());
}

TEST_CASE("load runs that share key contexts overwrite each key instead of adding siblings") {
  auto cluster = testing::StartCluster();
  auto client = testing::ConnectTo(*cluster);

  auto shared = std::make_shared<cli::KeyContexts>();
  for (int run = 0; run < 3; ++run) REQUIRE(RunLoad(*client, 100, "shared-", shared).all.errors == 0);
  // The same three runs, each with contexts of its own (as every run had before): each
  // run's first put of a key is blind, so a key written by two runs holds two versions.
  // Every generator draws the same key sequence (its random source has a fixed seed), so
  // the runs write the same keys and some of them blind more than once.
  for (int run = 0; run < 3; ++run) REQUIRE(RunLoad(*client, 100, "fresh-", nullptr).all.errors == 0);

  // W=2 and R=2 of N=3: every read meets the last write of each key.
  CHECK(KeysWithSiblings(*client, "shared-") == 0);
  CHECK(KeysWithSiblings(*client, "fresh-") > 0);

  // A get run counts the gets that found more than one version.
  cli::LoadReport shared_gets = RunLoad(*client, 0, "shared-", shared);
  cli::LoadReport fresh_gets = RunLoad(*client, 0, "fresh-", nullptr);
  REQUIRE(shared_gets.gets.count == 60);
  CHECK(shared_gets.multi_version_gets == 0);
  CHECK(fresh_gets.multi_version_gets > 0);
  CHECK(fresh_gets.multi_version_gets <= fresh_gets.gets.count);
}

}  // namespace ringkv
