// The dashboard page in a real headless Chromium against a 3-node cluster: it draws every
// member and the ring, and when a node is killed the live page turns it SUSPECT, then
// DOWN. Screenshots go to <build>/test-output/.

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/cluster/local_cluster.h"
#include "tests/cluster/webdriver.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

// What the page shows for `node`: the row's status ("up", "suspect", "down"), or "".
std::string ShownStatus(Browser& browser, const std::string& node) {
  auto v = browser.Execute("const row = document.querySelector('tr[data-node=\"" + node +
                           "\"]'); return row ? row.dataset.status : '';");
  return v.ok() && v->is_string() ? std::string(v->as_string()) : "";
}

int64_t Count(Browser& browser, const std::string& selector) {
  auto v = browser.Execute("return document.querySelectorAll('" + selector + "').length;");
  return v.ok() && v->is_int64() ? v->as_int64() : -1;
}

}  // namespace

TEST_CASE("the dashboard in a real browser shows the members and the ring, and a killed node turning down") {
  auto cluster = LocalCluster::Start(FastCluster());
  REQUIRE(cluster.ok());
  auto client = (*cluster)->Connect();
  REQUIRE(client.ok());
  for (int i = 0; i < 200; ++i) REQUIRE((*client)->Put("key" + std::to_string(i), "value").ok());

  auto browser = Browser::Start();
  INFO(browser.status().ToString());
  REQUIRE(browser.ok());  // fails loudly without chromium + chromium-driver
  Browser& page = **browser;
  REQUIRE(page.Navigate("http://" + (*cluster)->admin_address(0) + "/").ok());

  REQUIRE(Eventually(10s, [&] { return Count(page, "#members tbody tr") == 3; }));
  for (const char* node : {"node1", "node2", "node3"}) CHECK(ShownStatus(page, node) == "up");
  CHECK(Count(page, "#ring path") == 3 * 256);  // one arc per vnode
  auto cluster_name = page.Execute("return document.getElementById('cluster').textContent;");
  REQUIRE(cluster_name.ok());
  CHECK(cluster_name->as_string() == "test-cluster");
  REQUIRE(page.Screenshot(RINGKV_TEST_OUTPUT_DIR "/dashboard-all-up.png").ok());

  REQUIRE((*cluster)->Kill(2).ok());
  // The page polls every second; gossip marks the node suspect after 1.5 s, down after 3 s.
  std::string seen;
  bool suspect_seen = false;
  bool down = Eventually(15s, [&] {
    seen = ShownStatus(page, "node3");
    suspect_seen = suspect_seen || seen == "suspect";
    return seen == "down";
  });
  INFO("last status shown: " << seen);
  CHECK(down);
  CHECK(suspect_seen);
  CHECK(ShownStatus(page, "node1") == "up");
  auto badge = page.Execute("return document.querySelector('tr[data-node=\"node3\"] .badge').textContent;");
  REQUIRE(badge.ok());
  CHECK(badge->as_string() == "DOWN");
  REQUIRE(page.Screenshot(RINGKV_TEST_OUTPUT_DIR "/dashboard-node3-down.png").ok());
}
