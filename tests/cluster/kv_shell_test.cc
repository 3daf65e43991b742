// The kv shell against a real cluster: its output, --json, stdin values, and exit codes
// (0 ok, 1 not found, 2 bad input, 3 quorum not reached, 4 unreachable, 7 exists).

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include "ringkv/limits.h"
#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/local_cluster.h"
#include "tests/temp_dir.h"

using ringkv::kMaxValueBytes;
using ringkv::testing::LocalCluster;
using ringkv::testing::StartCluster;
using ringkv::testing::TempDir;

namespace {

using Run = ringkv::testing::CommandResult;

Run Kv(const LocalCluster& cluster, const std::string& args, const std::string& stdin_text = "") {
  std::string cmd =
      std::string(RINGKV_KV_PATH) + " --cluster " + cluster.seeds() + " --cluster-name test-cluster " + args;
  if (!stdin_text.empty()) cmd = "printf '%s' '" + stdin_text + "' | " + cmd;
  return ringkv::testing::RunCommand(cmd);
}

}  // namespace

TEST_CASE("kv put then get prints the value and exits 0") {
  auto cluster = StartCluster();
  Run put = Kv(*cluster, "put fruit apple");
  INFO(put.output);
  REQUIRE(put.exit_code == 0);
  REQUIRE_THAT(put.output, Catch::Contains("OK"));
  Run get = Kv(*cluster, "get fruit");
  REQUIRE(get.exit_code == 0);
  REQUIRE(get.output == "apple\n");
  Run json = Kv(*cluster, "--json get fruit");
  REQUIRE(json.exit_code == 0);
  REQUIRE_THAT(json.output, Catch::Contains(R"("found":true)") && Catch::Contains(R"("values":["apple"])"));
  REQUIRE(Kv(*cluster, "put piped", "from stdin").exit_code == 0);
  REQUIRE(Kv(*cluster, "get piped").output == "from stdin\n");
}

TEST_CASE("kv put --if-absent creates a missing key and exits 7 without writing when it holds a value") {
  auto cluster = StartCluster();
  Run created = Kv(*cluster, "put owner ada --if-absent");
  INFO(created.output);
  REQUIRE(created.exit_code == 0);
  REQUIRE_THAT(created.output, Catch::Contains("OK"));
  Run taken = Kv(*cluster, "put owner grace --if-absent");
  REQUIRE(taken.exit_code == 7);
  REQUIRE_THAT(taken.output, Catch::Contains("Exists") && Catch::Contains("nothing was written"));
  Run json = Kv(*cluster, "--json put owner grace --if-absent");
  REQUIRE(json.exit_code == 7);
  REQUIRE_THAT(json.output, Catch::Contains(R"("error":"Exists")"));
  REQUIRE(Kv(*cluster, "get owner").output == "ada\n");
  REQUIRE(Kv(*cluster, "get owner --if-absent").exit_code == 2);  // a put's flag only
  REQUIRE(Kv(*cluster, "put owner x --if-absent --context 00").exit_code == 2);
  REQUIRE(Kv(*cluster, "get owner").output == "ada\n");
}

TEST_CASE("kv exit codes distinguish not found, bad input, quorum failure and an unreachable cluster") {
  auto cluster = StartCluster();
  Run missing = Kv(*cluster, "get never-written");
  REQUIRE(missing.exit_code == 1);
  REQUIRE_THAT(missing.output, Catch::Contains("not found"));

  TempDir files;
  std::string too_big = files.path() + "/too-big";
  std::string largest = files.path() + "/largest";
  std::ofstream(too_big, std::ios::binary) << std::string(kMaxValueBytes + 1, 'x');
  std::ofstream(largest, std::ios::binary) << std::string(kMaxValueBytes, 'y');
  Run big = Kv(*cluster, "put big --file " + too_big);
  REQUIRE(big.exit_code == 2);
  REQUIRE_THAT(big.output, Catch::Contains("1048577 bytes") && Catch::Contains("limit is 1048576"));
  REQUIRE(Kv(*cluster, "get big").exit_code == 1);  // nothing written
  REQUIRE(Kv(*cluster, "put big --file " + largest).exit_code == 0);
  REQUIRE(Kv(*cluster, "get big").output == std::string(kMaxValueBytes, 'y') + "\n");
  REQUIRE(Kv(*cluster, "frobnicate k").exit_code == 2);
  REQUIRE(Kv(*cluster, "put k v --context nothex").exit_code == 2);

  REQUIRE(cluster->Kill(1).ok());
  Run all = Kv(*cluster, "--level all put k v");
  REQUIRE(all.exit_code == 3);
  REQUIRE_THAT(all.output, Catch::Contains("quorum not reached"));
  // The write was attempted (its context read at the default R, not at ALL): the two live
  // replicas acknowledged it, which is not enough for ALL.
  REQUIRE_THAT(all.output, Catch::Contains("2 of 3 required replicas acknowledged"));
  REQUIRE(Kv(*cluster, "put k v").exit_code == 0);  // QUORUM still fine

  std::string cmd = std::string(RINGKV_KV_PATH) + " --cluster 127.0.0.1:1 get k 2>&1";
  int status = std::system(cmd.c_str());
  REQUIRE(WEXITSTATUS(status) == 4);
}

TEST_CASE("kv rejects an unknown command with exit 2 before connecting and tries to connect for every known one") {
  // Port 1 on loopback: nothing listens, so a command that gets as far as connecting exits 4.
  std::string kv = std::string(RINGKV_KV_PATH) + " --cluster 127.0.0.1:1 ";
  Run unknown = ringkv::testing::RunCommand(kv + "frobnicate k");
  INFO(unknown.output);
  REQUIRE(unknown.exit_code == 2);
  REQUIRE_THAT(unknown.output, Catch::Contains("unknown command 'frobnicate'"));
  REQUIRE_THAT(unknown.output, !Catch::Contains("cannot reach"));
  for (const char* known :
       {"get k", "put k v", "del k", "delete k", "mget a b", "mput a=1", "counter get c", "set get s", "ring",
        "scan default", "cluster status", "hints", "repair", "node remove x", "ns list", "bench"}) {
    Run run = ringkv::testing::RunCommand(kv + known);
    INFO(known << ": " << run.output);
    REQUIRE(run.exit_code == 4);
  }
  REQUIRE(ringkv::testing::RunCommand(kv + "help").exit_code == 0);
}

TEST_CASE("kv takes the seed nodes from RINGKV_CLUSTER when --cluster is not given") {
  auto cluster = StartCluster();
  std::string kv = std::string(RINGKV_KV_PATH) + " --cluster-name test-cluster ";
  std::string env = "RINGKV_CLUSTER=" + cluster->seeds() + " ";
  Run put = ringkv::testing::RunCommand(env + kv + "put envkey from-env");
  INFO(put.output);
  REQUIRE(put.exit_code == 0);
  REQUIRE(Kv(*cluster, "get envkey").output == "from-env\n");
  REQUIRE(ringkv::testing::RunCommand(env + kv + "get envkey").output == "from-env\n");
  // --cluster wins over the variable.
  Run flag =
      ringkv::testing::RunCommand("RINGKV_CLUSTER=127.0.0.1:1 " + kv + "--cluster " + cluster->seeds() + " get envkey");
  REQUIRE(flag.exit_code == 0);
  REQUIRE(flag.output == "from-env\n");
  Run wrong = ringkv::testing::RunCommand("RINGKV_CLUSTER=127.0.0.1:1 " + kv + "get envkey");
  REQUIRE(wrong.exit_code == 4);
  REQUIRE_THAT(wrong.output, Catch::Contains("127.0.0.1:1"));
}

TEST_CASE("kv shows siblings with the context that resolves them") {
  auto cluster = StartCluster();
  REQUIRE(Kv(*cluster, "put cart milk").exit_code == 0);
  Run seen = Kv(*cluster, "--json get cart");
  auto at = seen.output.find(R"("context":")");
  REQUIRE(at != std::string::npos);
  std::string ctx = seen.output.substr(at + 11, seen.output.find('"', at + 11) - at - 11);
  REQUIRE(Kv(*cluster, "--context " + ctx + " put cart milk,eggs").exit_code == 0);
  REQUIRE(Kv(*cluster, "--context " + ctx + " put cart milk,bread").exit_code == 0);
  Run both = Kv(*cluster, "--level all get cart");
  REQUIRE(both.exit_code == 0);
  REQUIRE_THAT(both.output, Catch::Contains("2 siblings") && Catch::Contains("milk,eggs") &&
                                Catch::Contains("milk,bread") && Catch::Contains("--context") &&
                                Catch::Contains(", written 20"));  // each sibling's write id and time
  Run json = Kv(*cluster, "--json --level all get cart");
  REQUIRE_THAT(json.output, Catch::Contains(R"("versions":[{"id":")") && Catch::Contains(R"("tombstone":false)"));
  REQUIRE(Kv(*cluster, "put cart milk,eggs,bread").exit_code == 0);  // replaces what it reads
  REQUIRE(Kv(*cluster, "--level all get cart").output == "milk,eggs,bread\n");
}

TEST_CASE("kv admin commands: cluster status, hints, repair and node, with clear errors for bad input") {
  auto cluster = StartCluster();
  auto status = Kv(*cluster, "--json cluster status");
  CHECK(status.exit_code == 0);
  CHECK(status.output.find("\"status\":\"up\"") != std::string::npos);
  CHECK(status.output.find("\"state\":\"normal\"") != std::string::npos);
  CHECK(Kv(*cluster, "put a b").exit_code == 0);
  auto table = Kv(*cluster, "cluster status");
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.output, Catch::Contains("load") && Catch::Contains("ownership") && Catch::Contains("33.3%"));
  auto with_load = boost::json::parse(Kv(*cluster, "--json cluster status").output);
  for (const auto& node : with_load.at("nodes").as_array()) CHECK(node.at("load_bytes").to_number<double>() > 0);
  auto hints = Kv(*cluster, "--json hints");
  CHECK(hints.exit_code == 0);
  CHECK(hints.output.find("\"hints_queued_total\":0") != std::string::npos);
  auto per_node = boost::json::parse(hints.output);
  for (const char* node : {"node1", "node2", "node3"}) {
    const auto& counts = per_node.at(node).as_object();
    INFO(node << ": " << boost::json::serialize(counts));
    for (const char* name : {"hints_stored_total", "hints_merged_total", "hints_delivered_total",
                             "hints_redirected_total", R"(hints_dropped_total{reason="expired"})",
                             R"(hints_dropped_total{reason="refused"})", "hints_queued_total"}) {
      CHECK(counts.contains(name));
    }
  }
  auto repair = Kv(*cluster, "repair node1");
  CHECK(repair.exit_code == 0);
  CHECK(repair.output.find("node1: repaired with 2 peer(s)") != std::string::npos);
  auto bad_range = Kv(*cluster, "repair node1 1:5x");
  CHECK(bad_range.exit_code == 2);
  CHECK(bad_range.output.find("range must be START:END") != std::string::npos);
  CHECK(Kv(*cluster, "repair nosuchnode").exit_code == 2);
  auto remove_live = Kv(*cluster, "node remove node2");
  CHECK(remove_live.exit_code == 2);
  CHECK(remove_live.output.find("decommission it instead") != std::string::npos);
  CHECK(Kv(*cluster, "node explode node2").exit_code == 2);
}

TEST_CASE("kv ns creates, lists, shows, alters and drops namespaces, and refuses bad settings with exit 2") {
  auto cluster = StartCluster();
  Run create = Kv(*cluster, "ns create carts conflict=lww ttl=1h max-value=8KB");
  INFO(create.output);
  REQUIRE(create.exit_code == 0);
  CHECK_THAT(create.output, Catch::Contains("namespace carts created"));

  Run show = Kv(*cluster, "--json ns show carts");
  INFO(show.output);
  REQUIRE(show.exit_code == 0);
  CHECK_THAT(show.output, Catch::Contains(R"("conflict":"lww")") && Catch::Contains(R"("default_ttl_s":3600)") &&
                              Catch::Contains(R"("max_value_bytes":8192)"));

  Run alter = Kv(*cluster, "ns alter carts ttl=30s");
  INFO(alter.output);
  REQUIRE(alter.exit_code == 0);
  Run list = Kv(*cluster, "ns list");
  INFO(list.output);
  REQUIRE(list.exit_code == 0);
  CHECK_THAT(list.output, Catch::Contains("carts") && Catch::Contains("default") && Catch::Contains("lww"));
  CHECK_THAT(Kv(*cluster, "--json ns show carts").output, Catch::Contains(R"("default_ttl_s":30)"));

  for (std::string bad :
       {"ns create Bad!", "ns create orders w=7", "ns create orders ttl=soon", "ns create orders colour=red",
        "ns create orders conflict=newest", "ns alter carts n=5", "ns create carts", "ns frobnicate"}) {
    Run refused = Kv(*cluster, bad);
    INFO(bad << ": " << refused.output);
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.output, Catch::Contains("error"));
  }
  CHECK(Kv(*cluster, "ns show orders").exit_code == 1);  // none of the bad creates made it
  CHECK(Kv(*cluster, "ns drop default").exit_code == 2);

  // Keys live in their namespace.
  REQUIRE(Kv(*cluster, "--ns carts put fruit pear").exit_code == 0);
  REQUIRE(Kv(*cluster, "put fruit apple").exit_code == 0);
  CHECK_THAT(Kv(*cluster, "--ns carts get fruit").output, Catch::Contains("pear"));
  CHECK_THAT(Kv(*cluster, "get fruit").output, Catch::Contains("apple"));
  Run unknown = Kv(*cluster, "--ns nowhere get fruit");
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.output, Catch::Contains("'nowhere' does not exist"));

  Run drop = Kv(*cluster, "ns drop carts");
  INFO(drop.output);
  REQUIRE(drop.exit_code == 0);
  CHECK(Kv(*cluster, "ns show carts").exit_code == 1);
}

TEST_CASE("kv bench runs the requested load and reports throughput, percentiles and a plot") {
  auto cluster = StartCluster();
  std::string plot = cluster->data_dir(0) + "/../bench.svg";
  Run bench =
      Kv(*cluster, "--json bench --ops 3k --mix 30:70 --value-size 200 --concurrency 16 --keys 500 --plot " + plot);
  INFO(bench.output);
  REQUIRE(bench.exit_code == 0);
  auto report = boost::json::parse(bench.output).as_object();
  CHECK(report.at("ops").to_number<int64_t>() == 3000);
  CHECK(report.at("errors").to_number<int64_t>() == 0);
  int64_t gets = report.at("get").at("count").to_number<int64_t>();
  int64_t puts = report.at("put").at("count").to_number<int64_t>();
  CHECK(gets + puts == 3000);
  CHECK(puts > 600);  // ~30% of 3000
  CHECK(puts < 1200);
  const auto& all = report.at("all").as_object();
  double p50 = all.at("p50_ms").to_number<double>(), p99 = all.at("p99_ms").to_number<double>();
  CHECK(p50 > 0);
  CHECK(p50 <= p99);
  CHECK(p99 <= all.at("max_ms").to_number<double>());
  CHECK(report.at("ops_per_sec").to_number<double>() > 0);
  std::ifstream svg(plot);
  std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::StartsWith("<svg") && Catch::Contains("<rect"));
  // Values written by the bench are readable.
  Run table = Kv(*cluster, "bench --ops 500 --mix 0:100 --keys 500");
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.output, Catch::Contains("p999 ms") && Catch::Contains("latency histogram"));

  Run bad_mix = Kv(*cluster, "bench --mix 60:60");
  CHECK(bad_mix.exit_code == 2);
  CHECK_THAT(bad_mix.output, Catch::Contains("adding to 100"));
  Run bad_ops = Kv(*cluster, "bench --ops lots");
  CHECK(bad_ops.exit_code == 2);
  CHECK_THAT(bad_ops.output, Catch::Contains("not a count"));
}

TEST_CASE("kv scan pages through a namespace with --prefix, --limit, --cursor, --count and --json") {
  auto cluster = StartCluster();
  REQUIRE(Kv(*cluster, "ns create fruit").exit_code == 0);
  for (const char* key : {"apple", "apricot", "banana", "cherry", "avocado"}) {
    Run put = Kv(*cluster, std::string("--ns fruit put ") + key + " v-" + key);
    INFO(put.output);
    REQUIRE(put.exit_code == 0);
  }
  REQUIRE(Kv(*cluster, "--ns fruit del banana").exit_code == 0);
  // The delete read the context in its own namespace, so it superseded the value (it was
  // once read from default: the tombstone came back as a sibling beside "v-banana").
  CHECK(Kv(*cluster, "--ns fruit get banana").exit_code == 1);

  Run all = Kv(*cluster, "scan fruit");
  INFO(all.output);
  REQUIRE(all.exit_code == 0);
  CHECK(all.output == "apple\tv-apple\napricot\tv-apricot\navocado\tv-avocado\ncherry\tv-cherry\n(4 keys)\n");

  Run prefixed = Kv(*cluster, "--json scan fruit --prefix a --limit 2");
  INFO(prefixed.output);
  REQUIRE(prefixed.exit_code == 0);
  auto page = boost::json::parse(prefixed.output).as_object();
  REQUIRE(page["count"].as_int64() == 2);
  CHECK(page["items"].as_array()[0].as_object()["key"].as_string() == "apple");
  CHECK(page["items"].as_array()[1].as_object()["values"].as_array()[0].as_string() == "v-apricot");
  std::string cursor(page["cursor"].as_string().c_str());
  REQUIRE_FALSE(cursor.empty());
  Run rest = Kv(*cluster, "scan fruit --prefix a --cursor " + cursor);
  INFO(rest.output);
  CHECK(rest.output == "avocado\tv-avocado\n(1 keys)\n");

  Run count = Kv(*cluster, "--json scan fruit --count");
  INFO(count.output);
  REQUIRE(count.exit_code == 0);
  CHECK(boost::json::parse(count.output).as_object()["approximate_keys"].as_int64() == 4);
  Run show = Kv(*cluster, "ns show fruit");
  CHECK_THAT(show.output, Catch::Contains("about 4 keys"));

  // Bad input: exit 2 with a clear message.
  Run unknown = Kv(*cluster, "scan vegetables");
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.output, Catch::Contains("does not exist"));
  Run foreign = Kv(*cluster, "scan default --prefix a --cursor " + cursor);
  CHECK(foreign.exit_code == 2);
  CHECK_THAT(foreign.output, Catch::Contains("namespace 'fruit'"));
  Run garbage = Kv(*cluster, "scan fruit --cursor not-a-cursor");
  CHECK(garbage.exit_code == 2);
  CHECK_THAT(garbage.output, Catch::Contains("malformed scan cursor"));
}
