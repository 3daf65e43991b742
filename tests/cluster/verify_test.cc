// `kv verify` against real processes (cli/verify_command.h): on a healthy cluster the canary
// workload checks clean, its keys are deleted afterwards, and the nodes it reports to
// export the result as metrics, on GET /v1/verify and on the dashboard (headless Chromium;
// the screenshot goes to <build>/test-output/).

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdio>

#include "tests/cluster/http_client.h"
#include "tests/cluster/local_cluster.h"
#include "tests/cluster/webdriver.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;

namespace {

// The last line of `output` that is a JSON object (kv verify --json prints one).
boost::json::object LastJsonLine(const std::string& output) {
  size_t end = output.size();
  while (end > 0) {
    size_t start = output.rfind('\n', end - 1);
    start = start == std::string::npos ? 0 : start + 1;
    std::string line = output.substr(start, end - start);
    if (!line.empty() && line.front() == '{') return boost::json::parse(line).as_object();
    if (start == 0) break;
    end = start - 1;
  }
  FAIL("no JSON line in: " << output);
  return {};
}

uint64_t Figure(const boost::json::object& o, const char* key) { return o.at(key).to_number<uint64_t>(); }

std::string Metrics(const std::string& admin) {
  auto got = HttpGet(admin, "/metrics");
  REQUIRE(got.ok());
  REQUIRE(got->status == 200);
  return got->body;
}

}  // namespace

TEST_CASE(
    "kv verify on a healthy 3-node cluster finds nothing lost or made up, deletes its canary keys, and the nodes "
    "it reports to export the result") {
  auto cluster = LocalCluster::Start(FastCluster(3));
  REQUIRE(cluster.ok());
  const std::string kv = std::string(RINGKV_KV_PATH) + " --cluster " + (*cluster)->seeds();
  const std::string report_to = (*cluster)->admin_address(0) + "," + (*cluster)->admin_address(1);

  CommandResult run = RunCommand(kv + " verify --duration 2s --keys 8 --concurrency 4 --json --report-to " + report_to);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  boost::json::object report = LastJsonLine(run.output);
  CHECK(report.at("consistent").as_bool());
  CHECK(Figure(report, "lost") == 0);
  CHECK(Figure(report, "phantom") == 0);
  CHECK(Figure(report, "resurrected") == 0);
  CHECK(Figure(report, "acked_writes") > 20);  // it did check something
  CHECK(Figure(report, "reads") > 20);
  CHECK(Figure(report, "keys_left") == 0);
  CHECK(Figure(report, "keys_cleaned") == 8);  // every canary key was written, and deleted
  CHECK(report.at("namespace").as_string() == "ringkv-verify");

  auto client = (*cluster)->Connect({});
  REQUIRE(client.ok());
  ScanOptions scan;
  auto left = (*client)->Scan("ringkv-verify", scan);
  REQUIRE(left.ok());
  CHECK(left->items.empty());  // the canary keys are gone

  for (int i : {0, 1}) {
    std::string metrics = Metrics((*cluster)->admin_address(i));
    INFO(metrics);
    CHECK_THAT(metrics, Catch::Contains("ringkv_verify_runs_total{result=\"consistent\"} 1\n"));
    CHECK_THAT(metrics, Catch::Contains("ringkv_verify_runs_total{result=\"inconsistent\"} 0\n"));
    CHECK_THAT(metrics, Catch::Contains("ringkv_verify_lost 0\n"));
    CHECK_THAT(metrics, Catch::Contains("ringkv_verify_phantom 0\n"));
    CHECK_THAT(metrics, Catch::Contains("ringkv_verify_ops " + std::to_string(Figure(report, "ops")) + "\n"));
  }
  // Node 3 was not reported to: it counts no run and shows no last run.
  std::string unreported = Metrics((*cluster)->admin_address(2));
  CHECK_THAT(unreported, Catch::Contains("ringkv_verify_runs_total{result=\"consistent\"} 0\n"));
  CHECK_THAT(unreported, !Catch::Contains("ringkv_verify_lost"));
  auto shown = HttpGet((*cluster)->admin_address(0), "/v1/verify");
  REQUIRE(shown.ok());
  auto runs = boost::json::parse(shown->body).as_object().at("runs").as_array();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].as_object().at("consistent").as_bool());

  // A second run finds the namespace made and works the same, in text this time.
  CommandResult again = RunCommand(kv + " verify --duration 1s --report-to " + report_to);
  INFO(again.output);
  CHECK(again.exit_code == 0);
  std::printf("verify: %s", again.output.c_str());
  CHECK_THAT(again.output, Catch::Contains("consistent: "));
  CHECK_THAT(again.output, Catch::Contains("lost 0, phantom 0, resurrected 0"));
  CHECK_THAT(Metrics((*cluster)->admin_address(0)),
             Catch::Contains("ringkv_verify_runs_total{result=\"consistent\"} 2\n"));

  // The dashboard of a node reported to lists both runs, newest first, as consistent.
  auto browser = Browser::Start();
  INFO(browser.status().ToString());
  REQUIRE(browser.ok());  // fails loudly without chromium + chromium-driver
  REQUIRE((*browser)->Navigate("http://" + (*cluster)->admin_address(0) + "/").ok());
  REQUIRE(Eventually(10s, [&] {
    auto rows =
        (*browser)->Execute("return document.querySelectorAll('#verify tbody tr[data-consistent=\"true\"]').length;");
    return rows.ok() && rows->is_int64() && rows->as_int64() == 2;
  }));
  REQUIRE((*browser)->Execute("document.getElementById('verify').scrollIntoView(); return true;").ok());
  REQUIRE((*browser)->Screenshot(RINGKV_TEST_OUTPUT_DIR "/dashboard-verify.png").ok());

  // Bad flags are refused before anything is written or reported.
  for (const char* bad : {"--keys 0", "--duration 11m", "--concurrency 65", "--ns default", "--ns _bad"}) {
    CommandResult refused = RunCommand(kv + " verify --report-to " + report_to + " " + bad);
    INFO(bad << ": " << refused.output);
    CHECK(refused.exit_code == 2);
  }
  CHECK_THAT(Metrics((*cluster)->admin_address(0)),
             Catch::Contains("ringkv_verify_runs_total{result=\"consistent\"} 2\n"));
}
