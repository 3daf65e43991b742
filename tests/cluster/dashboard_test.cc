// The dashboard page in a real headless Chromium against a 3-node cluster: it draws every
// member and the ring, when a node is killed the live page turns it SUSPECT, then DOWN,
// and the page of a node holding hints for it shows that node's hint counters.
// Screenshots go to <build>/test-output/.

#include <map>

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

// The value the "Hints and repair" box shows beside `label`, or "".
std::string Shown(Browser& browser, const std::string& label) {
  auto v = browser.Execute(
      "const cells = [...document.querySelectorAll('#repair > div')];"
      "const i = cells.findIndex(c => c.textContent === '" +
      label +
      "');"
      "return i >= 0 && cells[i + 1] ? cells[i + 1].textContent : '';");
  return v.ok() && v->is_string() ? std::string(v->as_string()) : "";
}

std::string Integer(double v) { return std::to_string(static_cast<long long>(v)); }

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

  // Overwrites while node3 is down: its copies become hints, one entry per key on the node
  // coordinating it. That node's page shows the hint counters as its stats give them.
  std::map<std::string, Context> last_write;
  for (int round = 0; round < 20; ++round) {
    for (int k = 0; k < 4; ++k) {
      std::string key = "hot" + std::to_string(k);
      auto put = (*client)->Put(key, "r" + std::to_string(round), last_write[key]);
      REQUIRE(put.ok());
      last_write[key] = put->context;
    }
  }
  int holder = -1;
  REQUIRE(Eventually(5s, [&] {
    for (int i = 0; i < 2 && holder < 0; ++i) {
      if (StatValue(**client, (*cluster)->id(i), "hints_stored_total") > 0) holder = i;
    }
    return holder >= 0;
  }));
  REQUIRE(page.Navigate("http://" + (*cluster)->admin_address(holder) + "/").ok());
  std::string shown, expected;
  bool matches = Eventually(10s, [&] {
    auto stats = (*client)->NodeStats((*cluster)->id(holder));
    if (!stats.ok()) return false;
    std::map<std::string, double> v;
    for (const NodeStat& st : *stats) v[st.name] = st.value;
    expected = Integer(v["hints_queued_total"]) + " | " + Integer(v["hints_stored_total"]) + " / " +
               Integer(v["hints_merged_total"]) + " | " + Integer(v["hints_delivered_total"]) + " | " +
               Integer(v[R"(hints_dropped_total{reason="expired"})"]) + " / " +
               Integer(v[R"(hints_dropped_total{reason="refused"})"]);
    shown = Shown(page, "hints held here") + " | " + Shown(page, "hints stored / merged") + " | " +
            Shown(page, "hints delivered") + " | " + Shown(page, "hints dropped: expired / refused");
    return shown == expected && v["hints_stored_total"] > 0 && v["hints_merged_total"] > 0;
  });
  INFO("page of " << (*cluster)->id(holder) << " shows " << shown << ", its stats say " << expected);
  CHECK(matches);
  REQUIRE(page.Screenshot(RINGKV_TEST_OUTPUT_DIR "/dashboard-hints.png").ok());
}
