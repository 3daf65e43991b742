// kv verify's report (cli/verify_report.h): the checker's findings as the text an operator
// reads and the JSON that --json prints and the nodes' POST /v1/verify takes.

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "cli/verify_report.h"

using namespace ringkv;
using namespace ringkv::cli;
using consistency::CheckReport;
using consistency::Op;

namespace {

Op Failed(Op::Kind kind) {
  Op op;
  op.kind = kind;
  op.ok = false;
  op.error = "TimedOut: timed out after 2000 ms";
  return op;
}

CheckReport Findings() {
  CheckReport check;
  check.ops = 1000;
  check.acked_puts = 480;
  check.reads = 495;
  check.violations = {{"lost", "canary-1-3", "acknowledged put of 'c0-7' by client 0 is gone and not superseded"},
                      {"stale", "canary-1-4", "read by client 1 missed 'c2-9', acknowledged before it"},
                      {"stale", "canary-1-5", "read by client 3 missed 'c1-2', acknowledged before it"}};
  check.stale_lags = {std::chrono::milliseconds(40), std::chrono::milliseconds(250)};
  return check;
}

}  // namespace

TEST_CASE("a verify report counts the checker's violations by kind, the failed ops and the stale reads' lags") {
  std::vector<Op> history(998, Op{});
  for (auto& op : history) op.ok = true;
  history.push_back(Failed(Op::kGet));
  history.push_back(Failed(Op::kPut));
  VerifyReport r = MakeVerifyReport(Findings(), history);
  CHECK(r.ops == 1000);
  CHECK(r.failed_ops == 2);
  CHECK(r.acked_writes == 480);
  CHECK(r.reads == 495);
  CHECK(r.lost == 1);
  CHECK(r.phantom == 0);
  CHECK(r.stale == 2);
  CHECK(r.staleness_max_ms == 250);
  CHECK(r.staleness_median_ms == 250);  // the upper middle of two
  CHECK_FALSE(r.consistent());
  REQUIRE(r.violations.size() == 3);
  CHECK(r.violations[0] == "lost canary-1-3: acknowledged put of 'c0-7' by client 0 is gone and not superseded");
}

TEST_CASE("stale reads alone leave a verify report consistent, but lost, phantom or resurrected values do not") {
  VerifyReport r;
  r.stale = 5;
  CHECK(r.consistent());
  for (uint64_t VerifyReport::*field : {&VerifyReport::lost, &VerifyReport::phantom, &VerifyReport::resurrected}) {
    VerifyReport bad;
    bad.*field = 1;
    CHECK_FALSE(bad.consistent());
  }
}

TEST_CASE("a verify report's text names the verdict, every count, the staleness and what was cleaned up") {
  VerifyReport r = MakeVerifyReport(Findings(), {});
  r.ns = "ringkv-verify";
  r.seconds = 5.04;
  r.keys = 16;
  r.keys_cleaned = 15;
  r.keys_left = 1;
  r.final_reads_at_quorum = 2;
  std::string text = VerifyText(r);
  INFO(text);
  CHECK(text.rfind("INCONSISTENT: 1000 ops (0 failed, 480 acknowledged writes, 495 reads checked for freshness) in "
                   "5.0 s on 16 keys of namespace ringkv-verify\n",
                   0) == 0);
  CHECK_THAT(text, Catch::Contains("lost 1, phantom 0, resurrected 0, stale reads 2 (staleness max 250 ms, median "
                                   "250 ms)\n"));
  CHECK_THAT(text, Catch::Contains("2 keys were read at quorum at the end"));
  CHECK_THAT(text, Catch::Contains("canary keys deleted: 15 (1 could not be deleted and remain)\n"));
  CHECK_THAT(text, Catch::Contains("  lost canary-1-3: acknowledged put"));

  VerifyReport clean;
  clean.ns = "ringkv-verify";
  clean.keys_cleaned = 16;
  std::string clean_text = VerifyText(clean);
  CHECK(clean_text.rfind("consistent: ", 0) == 0);
  CHECK_THAT(clean_text, !Catch::Contains("at quorum"));
  CHECK_THAT(clean_text, Catch::Contains("canary keys deleted: 16\n"));
}

TEST_CASE("a verify report's JSON carries the fields the nodes' POST /v1/verify reads, and the verdict") {
  VerifyReport r = MakeVerifyReport(Findings(), {});
  r.time_ms = 1764460800123;
  r.ns = "ringkv-verify";
  r.seconds = 5;
  auto v = boost::json::parse(VerifyJson(r)).as_object();
  CHECK(v.at("time_ms").to_number<int64_t>() == 1764460800123);
  CHECK(v.at("namespace").as_string() == "ringkv-verify");
  CHECK(v.at("seconds").to_number<double>() == 5);
  for (auto [key, want] : std::initializer_list<std::pair<const char*, uint64_t>>{{"ops", 1000},
                                                                                  {"failed_ops", 0},
                                                                                  {"acked_writes", 480},
                                                                                  {"reads", 495},
                                                                                  {"lost", 1},
                                                                                  {"phantom", 0},
                                                                                  {"stale", 2},
                                                                                  {"resurrected", 0},
                                                                                  {"staleness_max_ms", 250},
                                                                                  {"staleness_median_ms", 250}}) {
    INFO(key);
    CHECK(v.at(key).to_number<double>() == static_cast<double>(want));
  }
  CHECK_FALSE(v.at("consistent").as_bool());
  CHECK(v.at("violations").as_array().size() == 3);
}

TEST_CASE("a verify report lists at most 10 violations") {
  CheckReport check;
  for (int i = 0; i < 25; ++i) check.violations.push_back({"phantom", "k" + std::to_string(i), "never written"});
  VerifyReport r = MakeVerifyReport(check, {});
  CHECK(r.phantom == 25);
  CHECK(r.violations.size() == VerifyReport::kMaxListed);
}
