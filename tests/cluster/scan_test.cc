// Paged scans on real nodes (Client::Scan, sdk/scan.h): every live key exactly once, in
// key order, deleted keys never, siblings as siblings; a cursor that carries on across a
// node failure and a join; clear errors for bad input; one namespace never shows another's keys.

#include <catch2/catch.hpp>

#include <future>
#include <map>
#include <set>

#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/local_cluster.h"

using namespace ringkv;
using namespace std::chrono_literals;
using ringkv::testing::ConnectTo;
using ringkv::testing::Eventually;
using ringkv::testing::FastCluster;
using ringkv::testing::LocalCluster;
using ringkv::testing::StartCluster;

namespace {

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key:%05d", i);
  return buf;
}

// Writes keys 0..count-1 of `ns` ("v<i>"), 64 puts in flight; every put must succeed.
void Load(Client& client, const std::string& ns, int count, const std::string& prefix_value = "v") {
  RequestOptions o;
  o.ns = ns;
  for (int start = 0; start < count; start += 64) {
    std::vector<std::future<Result<PutResult>>> inflight;
    for (int i = start; i < std::min(count, start + 64); ++i) {
      inflight.push_back(client.PutAsync(Key(i), prefix_value + std::to_string(i), {}, o));
    }
    for (auto& f : inflight) {
      auto r = f.get();
      INFO(r.status().ToString());
      REQUIRE(r.ok());
    }
  }
}

// Pages through `ns` from `options.cursor`, `pages` pages at most (0: to the end);
// every key seen, in order, with its values. `options.cursor` is left where it stopped.
std::vector<ScanItem> ScanPages(Client& client, const std::string& ns, ScanOptions* options, int pages = 0) {
  std::vector<ScanItem> out;
  for (int page = 0; pages == 0 || page < pages; ++page) {
    REQUIRE(page < 100'000);  // bounded
    auto got = client.Scan(ns, *options);
    INFO(got.status().ToString());
    REQUIRE(got.ok());
    for (ScanItem& item : got->items) out.push_back(std::move(item));
    options->cursor = got->cursor;
    if (got->done()) break;
  }
  return out;
}

// Each key of `items` once, in strictly ascending order; the keys as a set.
std::set<std::string> ExactlyOnceInOrder(const std::vector<ScanItem>& items) {
  std::set<std::string> keys;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) CHECK(items[i - 1].key < items[i].key);
    keys.insert(items[i].key);
  }
  CHECK(keys.size() == items.size());
  return keys;
}

std::set<std::string> KeysUpTo(int count) {
  std::set<std::string> keys;
  for (int i = 0; i < count; ++i) keys.insert(Key(i));
  return keys;
}

}  // namespace

TEST_CASE("a paged scan returns every live key once in key order, skips deleted keys and keeps siblings") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  REQUIRE(client->CreateNamespace("items", {}).ok());
  constexpr int kKeys = 3000;
  Load(*client, "items", kKeys);
  RequestOptions in_items;
  in_items.ns = "items";
  std::set<std::string> live = KeysUpTo(kKeys);
  for (int i = 0; i < kKeys; i += 10) {  // every tenth key deleted
    auto got = client->Get(Key(i), in_items);
    REQUIRE(got.ok());
    REQUIRE(client->Delete(Key(i), got->context, in_items).ok());
    live.erase(Key(i));
  }
  // Two blind writes of one key: concurrent, so siblings.
  REQUIRE(client->Put("key:00001", "left", {}, in_items).ok());
  REQUIRE(client->Put("key:00001", "right", {}, in_items).ok());

  ScanOptions options;
  options.page_size = 128;
  auto items = ScanPages(*client, "items", &options);
  CHECK(ExactlyOnceInOrder(items) == live);
  for (const ScanItem& item : items) {
    if (item.key == "key:00001") {
      std::set<std::string> values(item.value.values.begin(), item.value.values.end());
      CHECK(values == std::set<std::string>{"v1", "left", "right"});
      CHECK(item.value.has_siblings());
    } else {
      REQUIRE(item.value.values.size() == 1);
      CHECK(item.value.values[0] == "v" + std::to_string(std::stoi(item.key.substr(4))));
    }
    CHECK(item.value.replies >= 2);
  }

  // The context a scan returns replaces the siblings, as a get's does.
  const ScanItem& sibling = *std::find_if(items.begin(), items.end(), [](auto& i) { return i.key == "key:00001"; });
  REQUIRE(client->Put("key:00001", "merged", sibling.value.context, in_items).ok());
  CHECK(client->Get("key:00001", in_items)->values == std::vector<std::string>{"merged"});

  // A prefix: only its keys, still in pages.
  ScanOptions prefixed;
  prefixed.prefix = "key:012";
  prefixed.page_size = 7;
  auto under = ScanPages(*client, "items", &prefixed);
  std::set<std::string> expected;
  for (const std::string& k : live) {
    if (k.starts_with("key:012")) expected.insert(k);
  }
  CHECK(ExactlyOnceInOrder(under) == expected);

  auto count = client->CountKeys("items");
  REQUIRE(count.ok());
  CHECK(count->nodes_counted == 3);
  CHECK(count->approximate_keys == live.size());
}

TEST_CASE("a scan carries on with its cursor after a node is killed: nothing missed, nothing twice") {
  auto cluster = StartCluster(FastCluster());
  auto client = ConnectTo(*cluster);
  constexpr int kKeys = 2000;
  Load(*client, "default", kKeys);
  ScanOptions options;
  options.page_size = 100;
  auto first = ScanPages(*client, "default", &options, 5);
  REQUIRE_FALSE(options.cursor.empty());
  REQUIRE(cluster->Kill(2).ok());
  auto rest = ScanPages(*client, "default", &options);
  first.insert(first.end(), rest.begin(), rest.end());
  CHECK(ExactlyOnceInOrder(first) == KeysUpTo(kKeys));
  for (const ScanItem& item : rest) CHECK(item.value.replies == 2);

  // Two of three down: no range has R=2 live replicas, and the page says so.
  REQUIRE(cluster->Kill(1).ok());
  ScanOptions again;
  auto failed = client->Scan("default", again);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().IsQuorumNotReached());
  CHECK_THAT(failed.status().message(), Catch::Contains("live replicas"));
}

TEST_CASE("a scan carries on with its cursor across a node joining the ring") {
  auto cluster = StartCluster(FastCluster());
  auto client = ConnectTo(*cluster);
  constexpr int kKeys = 2000;
  Load(*client, "default", kKeys);
  ScanOptions options;
  options.page_size = 100;
  auto first = ScanPages(*client, "default", &options, 4);
  uint64_t ring_before = client->RingVersion();
  auto joined = cluster->AddJoiningNode();
  REQUIRE(joined.ok());
  std::string newcomer = cluster->id(*joined);
  auto normal = [&] {
    (void)client->RefreshRing();
    for (const RingMember& m : client->Members()) {
      if (m.id == newcomer) return m.state == "normal";
    }
    return false;
  };
  INFO(cluster->kvnode_log(*joined));
  REQUIRE(Eventually(120s, normal));
  REQUIRE(client->RingVersion() > ring_before);
  auto rest = ScanPages(*client, "default", &options);
  first.insert(first.end(), rest.begin(), rest.end());
  CHECK(ExactlyOnceInOrder(first) == KeysUpTo(kKeys));
}

TEST_CASE("scans refuse bad input clearly: unknown namespace, page size, malformed, foreign and stale cursors") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  REQUIRE(client->CreateNamespace("a", {}).ok());
  REQUIRE(client->CreateNamespace("b", {}).ok());
  Load(*client, "a", 50);
  ScanOptions options;
  options.page_size = 10;
  auto page = client->Scan("a", options);
  REQUIRE(page.ok());
  REQUIRE_FALSE(page->cursor.empty());
  std::string cursor = page->cursor;

  auto refused = [&](const std::string& ns, ScanOptions o, const std::string& says) {
    auto r = client->Scan(ns, o);
    INFO(ns << ": " << r.status().ToString());
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsInvalidArgument());
    CHECK_THAT(r.status().message(), Catch::Contains(says));
  };
  refused("nothing-here", {}, "does not exist");
  ScanOptions zero;
  zero.page_size = 0;
  refused("a", zero, "page_size");
  ScanOptions huge;
  huge.page_size = kMaxScanPageSize + 1;
  refused("a", huge, "page_size");
  ScanOptions garbage;
  garbage.cursor = "definitely-not-a-cursor";
  refused("a", garbage, "malformed scan cursor");
  ScanOptions foreign;
  foreign.cursor = cursor;
  refused("b", foreign, "namespace 'a'");
  ScanOptions other_prefix = foreign;
  other_prefix.prefix = "key:";
  refused("a", other_prefix, "another prefix");

  // Dropped and re-created: the old scan's cursor is stale.
  Status dropped = client->DropNamespace("a");
  INFO("drop: " << dropped.ToString());
  REQUIRE(dropped.ok());
  Status recreated = client->CreateNamespace("a", {});
  INFO("re-create: " << recreated.ToString());
  REQUIRE(recreated.ok());
  refused("a", foreign, "dropped and re-created");
  auto fresh = client->Scan("a", {});  // the new incarnation is empty
  REQUIRE(fresh.ok());
  CHECK(fresh->items.empty());
  CHECK(fresh->done());
}

TEST_CASE("a scan of one namespace never returns keys of another, nor of default") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  REQUIRE(client->CreateNamespace("left", {}).ok());
  REQUIRE(client->CreateNamespace("right", {}).ok());
  Load(*client, "left", 30, "L");
  Load(*client, "right", 20, "R");
  Load(*client, "default", 10, "D");
  for (auto [ns, count, tag] :
       {std::tuple{"left", 30, "L"}, std::tuple{"right", 20, "R"}, std::tuple{"default", 10, "D"}}) {
    ScanOptions options;
    options.page_size = 8;
    auto items = ScanPages(*client, ns, &options);
    INFO(ns);
    CHECK(ExactlyOnceInOrder(items) == KeysUpTo(count));
    for (const ScanItem& item : items) {
      REQUIRE(item.value.values.size() == 1);
      CHECK(item.value.values[0].starts_with(tag));
    }
  }
}
