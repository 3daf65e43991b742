// The node's record of kv verify runs (node/rpc/verify_log.h), its metrics and its admin
// routes: POST /v1/verify keeps a run, GET /v1/verify and /metrics show it.

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "node/admin/admin_routes.h"
#include "node/rpc/verify_log.h"

using namespace ringkv;

namespace {

VerifySummary Run(int64_t time_ms, uint64_t lost = 0, uint64_t phantom = 0) {
  VerifySummary r;
  r.time_ms = time_ms;
  r.ns = "ringkv-verify";
  r.seconds = 5;
  r.ops = 1200;
  r.failed_ops = 3;
  r.lost = lost;
  r.phantom = phantom;
  r.stale = 4;
  r.staleness_max_ms = 120;
  r.staleness_median_ms = 15.5;
  return r;
}

}  // namespace

TEST_CASE("the verify log keeps the last 16 runs and counts consistent and inconsistent ones") {
  VerifyLog log;
  for (int i = 0; i < 20; ++i) REQUIRE(log.Record(Run(i, i == 7 ? 1 : 0)).ok());
  REQUIRE(log.Record(Run(21, 0, 2)).ok());
  auto recent = log.Recent();
  REQUIRE(recent.size() == VerifyLog::kKept);
  CHECK(recent.front().time_ms == 5);  // 21 recorded: the first 5 (times 0-4) fell out
  CHECK(recent.back().phantom == 2);
  CHECK(log.runs() == 21);
  CHECK(log.inconsistent_runs() == 2);  // one lost, one phantom; stale reads alone are consistent
}

TEST_CASE("a verify result with an over-long namespace or a negative figure is refused and nothing is kept") {
  VerifyLog log;
  VerifySummary long_name = Run(1);
  long_name.ns = std::string(65, 'n');
  CHECK(log.Record(long_name).IsInvalidArgument());
  VerifySummary negative = Run(1);
  negative.staleness_max_ms = -1;
  CHECK(log.Record(negative).IsInvalidArgument());
  CHECK(log.Recent().empty());
  CHECK(log.runs() == 0);
}

TEST_CASE("the verify metrics are the run counts by result and the last run's figures, in Prometheus text") {
  VerifyLog log;
  std::string before = PrometheusText(VerifySamples(log));
  CHECK_THAT(before, Catch::Contains("ringkv_verify_runs_total{result=\"consistent\"} 0"));
  CHECK_THAT(before, !Catch::Contains("ringkv_verify_lost"));  // no run yet: no last-run gauges

  REQUIRE(log.Record(Run(1000, 0, 0)).ok());
  REQUIRE(log.Record(Run(1764460800123, 2, 1)).ok());
  std::string text = PrometheusText(VerifySamples(log));
  INFO(text);
  CHECK_THAT(text, Catch::Contains("# TYPE ringkv_verify_runs_total counter"));
  CHECK_THAT(text, Catch::Contains("ringkv_verify_runs_total{result=\"consistent\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("ringkv_verify_runs_total{result=\"inconsistent\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("# TYPE ringkv_verify_lost gauge"));
  CHECK_THAT(text, Catch::Contains("ringkv_verify_lost 2\n"));
  CHECK_THAT(text, Catch::Contains("ringkv_verify_phantom 1\n"));
  CHECK_THAT(text, Catch::Contains("ringkv_verify_stale_reads 4\n"));
  CHECK_THAT(text, Catch::Contains("ringkv_verify_ops 1200\n"));
  CHECK_THAT(text, Catch::Contains("ringkv_verify_staleness_max_ms 120\n"));
  CHECK_THAT(text, Catch::Contains("ringkv_verify_staleness_median_ms 15.5\n"));
  CHECK_THAT(text, Catch::Contains("ringkv_verify_last_run_timestamp_seconds 1764460800.123\n"));
}

TEST_CASE("POST /v1/verify records a run that GET /v1/verify then shows, and bad bodies get 400") {
  VerifyLog log;
  NodeServices services;
  services.verify = &log;
  auto posted = HandleAdminRequest(services, "POST", "/v1/verify", "",
                                   R"({"time_ms":5,"namespace":"ringkv-verify","seconds":4.5,"ops":900,)"
                                   R"("lost":0,"phantom":0,"stale":2,"staleness_max_ms":30,"staleness_median_ms":7})");
  CHECK(posted.status == 200);
  auto shown = HandleAdminRequest(services, "GET", "/v1/verify");
  REQUIRE(shown.status == 200);
  auto v = boost::json::parse(shown.body).as_object();
  REQUIRE(v["runs"].as_array().size() == 1);
  auto run = v["runs"].as_array()[0].as_object();
  CHECK(run["namespace"].as_string() == "ringkv-verify");
  CHECK(run["ops"].to_number<uint64_t>() == 900);
  CHECK(run["stale"].to_number<uint64_t>() == 2);
  CHECK(run["staleness_max_ms"].to_number<double>() == 30);
  CHECK(run["consistent"].as_bool());
  CHECK(v["total"].to_number<uint64_t>() == 1);

  CHECK(HandleAdminRequest(services, "POST", "/v1/verify", "", "not json").status == 400);
  CHECK(HandleAdminRequest(services, "POST", "/v1/verify", "", R"({"lost":-1})").status == 400);
  CHECK(HandleAdminRequest(services, "POST", "/v1/verify", "", R"({"phantom":"many"})").status == 400);
  CHECK(HandleAdminRequest(services, "POST", "/v1/verify", "", R"({"seconds":-2})").status == 400);
  CHECK(log.runs() == 1);

  services.admin_token = "token-0123456789abcdef";  // a node that requires its token for POSTs too
  CHECK(HandleAdminRequest(services, "POST", "/v1/verify", "", R"({"lost":0})").status == 401);
  CHECK(log.runs() == 1);
}
