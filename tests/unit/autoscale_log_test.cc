// The node's record of an autoscaler's decisions (node/rpc/autoscale_log.h) and its admin
// routes: POST /v1/autoscale keeps one, GET /v1/autoscale and the metrics show them.

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "node/admin/admin_routes.h"
#include "node/rpc/autoscale_log.h"

using namespace ringkv;

TEST_CASE("the autoscale log keeps the last 32 decisions and counts every one by action") {
  AutoscaleLog log;
  for (int i = 0; i < 40; ++i) REQUIRE(log.Record({i, i % 2 ? "add" : "none", "auto" + std::to_string(i), "r"}).ok());
  REQUIRE(log.Record({41, "remove", "auto3", "idle"}).ok());
  auto recent = log.Recent();
  REQUIRE(recent.size() == AutoscaleLog::kKept);
  CHECK(recent.back().node == "auto3");
  CHECK(recent.back().action == "remove");
  CHECK(recent.front().time_ms == 9);  // 41 recorded: the first 9 (times 0-8) fell out
  auto counts = log.Counts();
  CHECK(counts[0] == 20);  // add
  CHECK(counts[1] == 1);   // remove
  CHECK(counts[4] == 20);  // none
}

TEST_CASE("an unknown action or an over-long reason is refused and nothing is kept") {
  AutoscaleLog log;
  CHECK(log.Record({1, "explode", "", ""}).IsInvalidArgument());
  CHECK(log.Record({1, "add", "", std::string(2000, 'x')}).IsInvalidArgument());
  CHECK(log.Recent().empty());
  for (uint64_t c : log.Counts()) CHECK(c == 0);
}

TEST_CASE("POST /v1/autoscale records a decision that GET /v1/autoscale then shows, and bad bodies get 400") {
  AutoscaleLog log;
  NodeServices services;
  services.autoscale = &log;
  auto posted =
      HandleAdminRequest(services, "POST", "/v1/autoscale", "",
                         R"({"action":"add","node":"auto1","reason":"ops/s per node above 300","time_ms":5})");
  CHECK(posted.status == 200);
  auto shown = HandleAdminRequest(services, "GET", "/v1/autoscale");
  REQUIRE(shown.status == 200);
  auto v = boost::json::parse(shown.body).as_object();
  REQUIRE(v["decisions"].as_array().size() == 1);
  CHECK(v["decisions"].as_array()[0].as_object()["reason"].as_string() == "ops/s per node above 300");
  CHECK(v["counts"].as_object()["add"].as_int64() == 1);

  CHECK(HandleAdminRequest(services, "POST", "/v1/autoscale", "", "not json").status == 400);
  CHECK(HandleAdminRequest(services, "POST", "/v1/autoscale", "", R"({"action":"grow"})").status == 400);
  CHECK(HandleAdminRequest(services, "POST", "/v1/ring", "", "{}").status == 405);
  CHECK(log.Recent().size() == 1);

  services.admin_token = "token-0123456789abcdef";  // a node that requires its token for POSTs too
  CHECK(HandleAdminRequest(services, "POST", "/v1/autoscale", "", R"({"action":"none"})").status == 401);
  CHECK(log.Recent().size() == 1);
}
