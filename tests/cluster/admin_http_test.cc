// The admin HTTP endpoint of real nodes: health with reasons, Prometheus metrics that move
// with traffic, members and ring as JSON that follow a killed node, and clear errors for
// requests it does not serve.

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/cluster/http_client.h"
#include "tests/cluster/local_cluster.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

json::value GetJson(const std::string& admin, const std::string& path) {
  auto r = HttpGet(admin, path);
  INFO(path);
  REQUIRE(r.ok());
  REQUIRE(r->status == 200);
  REQUIRE(r->content_type == "application/json");
  return json::parse(r->body);
}

std::string StatusOf(const std::string& admin, const std::string& node) {
  auto r = HttpGet(admin, "/v1/members");
  if (!r.ok() || r->status != 200) return "unreachable";
  json::value members = json::parse(r->body);
  for (const auto& m : members.as_array()) {
    if (m.at("id").as_string() == node) return std::string(m.at("status").as_string());
  }
  return "absent";
}

// The value of one Prometheus sample line "name{labels} value", or -1 when absent.
double Sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("the admin endpoint serves health, metrics, members and ring, and follows a killed node") {
  auto cluster = LocalCluster::Start(FastCluster());
  REQUIRE(cluster.ok());
  const std::string admin = (*cluster)->admin_address(0);
  auto client = (*cluster)->Connect();
  REQUIRE(client.ok());
  for (int i = 0; i < 50; ++i) REQUIRE((*client)->Put("k" + std::to_string(i), "v").ok());
  for (int i = 0; i < 50; ++i) REQUIRE((*client)->Get("k" + std::to_string(i)).ok());

  json::value health = GetJson(admin, "/health");
  CHECK(health.at("status").as_string() == "ok");

  auto metrics = HttpGet(admin, "/metrics");
  REQUIRE(metrics.ok());
  REQUIRE(metrics->status == 200);
  CHECK(metrics->content_type.starts_with("text/plain"));
  const std::string& text = metrics->body;
  // Every write reaches every replica: 50 puts on 3 nodes with N=3 all land here as a
  // coordinated put or a replica write.
  CHECK(Sample(text, R"(ringkv_rpc_keys_total{op="put"})") + Sample(text, R"(ringkv_rpc_keys_total{op="replicate"})") >=
        50);
  CHECK(Sample(text, R"(ringkv_rpc_keys_total{op="get"})") > 0);
  CHECK(Sample(text, R"(ringkv_rpc_latency_seconds_bucket{op="get",le="+Inf"})") ==
        Sample(text, R"(ringkv_rpc_latency_seconds_count{op="get"})"));
  CHECK(Sample(text, R"(ringkv_members{status="up"})") == 3);
  CHECK(Sample(text, "ringkv_memtable_bytes") > 0);
  for (const char* family : {"ringkv_hints_queued_total", "ringkv_repair_bytes_sent_total", "ringkv_wal_fsyncs_total",
                             "ringkv_bloom_skips_total", "ringkv_sstables", "ringkv_compactions_total"}) {
    INFO(family);
    CHECK(Sample(text, family) >= 0);
  }
  CHECK(text.find("# TYPE ringkv_rpc_latency_seconds histogram") != std::string::npos);

  json::value ring = GetJson(admin, "/v1/ring");
  CHECK(ring.at("replication_factor").as_int64() == 3);
  double owned = 0;
  for (const auto& n : ring.at("nodes").as_array()) {
    owned += n.at("ownership").to_number<double>();
    CHECK(n.at("tokens").as_array().size() == 256);
  }
  CHECK(owned == Approx(1.0));
  json::value stats = GetJson(admin, "/v1/stats");
  CHECK(stats.at("stats").at(R"(members{status="up"})").to_number<double>() == 3);

  REQUIRE((*cluster)->Kill(2).ok());
  CHECK(Eventually(10s, [&] { return StatusOf(admin, "node3") == "down"; }));
  CHECK(StatusOf(admin, "node2") == "up");
  CHECK(GetJson(admin, "/health").at("status").as_string() == "ok");  // its peers are gone, not itself
}

TEST_CASE("a node that hears from no peer reports itself unhealthy, with the reason") {
  auto cluster = LocalCluster::Start(FastCluster());
  REQUIRE(cluster.ok());
  REQUIRE((*cluster)->Kill(1).ok());
  REQUIRE((*cluster)->Kill(2).ok());
  const std::string admin = (*cluster)->admin_address(0);
  bool isolated = Eventually(10s, [&] {
    auto r = HttpGet(admin, "/health");
    return r.ok() && r->status == 503;
  });
  REQUIRE(isolated);
  auto r = HttpGet(admin, "/health");
  REQUIRE(r.ok());
  CHECK(r->body.find("isolated") != std::string::npos);
}

TEST_CASE("the admin endpoint answers bad requests with clear errors and keeps serving") {
  auto cluster = LocalCluster::Start({});
  REQUIRE(cluster.ok());
  const std::string admin = (*cluster)->admin_address(0);
  auto missing = HttpGet(admin, "/v2/nothing");
  REQUIRE(missing.ok());
  CHECK(missing->status == 404);
  CHECK(missing->body.find("/metrics") != std::string::npos);
  auto post = HttpRequest(admin, "POST", "/health", "{}");
  REQUIRE(post.ok());
  CHECK(post->status == 405);
  auto huge = HttpGet(admin, "/" + std::string(20000, 'a'));
  REQUIRE(huge.ok());
  CHECK(huge->status == 413);
  auto page = HttpGet(admin, "/");
  REQUIRE(page.ok());
  CHECK(page->status == 200);
  CHECK(page->content_type.starts_with("text/html"));
  CHECK(page->body.find("<title>ringkv dashboard</title>") != std::string::npos);
  for (const char* external : {"src=\"http", "href=\"http", "<link", "@import", "url(http", "//cdn"}) {
    INFO(external);
    CHECK(page->body.find(external) == std::string::npos);  // no external resources
  }
  auto health = HttpGet(admin, "/health");
  REQUIRE(health.ok());
  CHECK(health->status == 200);
}
