// Batch calls (Client::MultiGet, MultiPut, MultiDelete) against real nodes: every key gets
// its own result in order, the calls to each node travel in one message per phase (counted
// with RequestBatcher::SetSendObserverForTesting), levels hold per key, and bad input is
// refused whole with nothing written.

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ringkv/limits.h"
#include "sdk/request_batcher.h"
#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/local_cluster.h"

using namespace ringkv;
using ringkv::testing::LocalCluster;
using ringkv::testing::ReadReplicaBatch;
using ringkv::testing::StartCluster;

namespace {

std::unique_ptr<Client> ConnectQuick(const LocalCluster& cluster) {
  ClientOptions options;
  options.timeout = std::chrono::milliseconds(1500);
  // These tests count messages per node and phase; a hedged put (docs/sdk.md) would add a
  // second coordinator's. A 100-key batch takes longer than a single put's p95, so with
  // hedging on every key of it is hedged (seen: 200 coordinations for 100 keys).
  options.hedging.enabled = false;
  return ringkv::testing::ConnectTo(cluster, options);
}

std::vector<std::string> Keys(const std::string& prefix, int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back(prefix + std::to_string(i));
  return keys;
}

std::vector<Client::PutEntry> Entries(const std::vector<std::string>& keys) {
  std::vector<Client::PutEntry> entries;
  for (const auto& k : keys) entries.push_back({k, "value of " + k, {}, {}});
  return entries;
}

// The messages the SDK's batcher sends, by kind and node, for its scope.
class SentMessages {
 public:
  struct Count {
    int messages = 0;
    size_t items = 0;
  };
  SentMessages() {
    sdk::RequestBatcher::SetSendObserverForTesting(
        [this](std::string_view kind, const std::string& address, size_t items) {
          std::lock_guard lock(mu_);
          Count& c = counts_[std::string(kind)][address];
          ++c.messages;
          c.items += items;
        });
  }
  ~SentMessages() { sdk::RequestBatcher::SetSendObserverForTesting(nullptr); }
  SentMessages(const SentMessages&) = delete;
  SentMessages& operator=(const SentMessages&) = delete;

  std::map<std::string, Count> Of(const std::string& kind) {
    std::lock_guard lock(mu_);
    return counts_[kind];
  }
  void Clear() {
    std::lock_guard lock(mu_);
    counts_.clear();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::map<std::string, Count>> counts_;
};

// True when no replica of the cluster holds any of `keys`.
bool NoReplicaHolds(const LocalCluster& cluster, const std::vector<std::string>& keys) {
  for (int i = 0; i < cluster.size(); ++i) {
    auto held = ReadReplicaBatch(cluster.address(i), keys);
    if (!held.ok()) return false;
    for (const auto& r : *held) {
      if (r.ok() ? !r->empty() : !r.status().IsNotFound()) return false;
    }
  }
  return true;
}

// Waits until a put goes through without a retry: the nodes have settled on one ring and
// the client holds it (a newer ring on a node answers StaleRing, and the client retries,
// which sends a second round of messages that the counts below would include).
bool RingSettled(Client& client, SentMessages& sent) {
  using namespace std::chrono_literals;
  return ringkv::testing::Eventually(20s, [&] {
    if (!ringkv::testing::AllMembersUp(client)) return false;
    sent.Clear();
    if (!client.Put("settle", "x").ok()) return false;
    size_t items = 0;
    for (const auto& [node, c] : sent.Of("put")) items += c.items;
    return items == 1;
  });
}

}  // namespace

TEST_CASE("a 100-key MultiPut and MultiGet send one message per node per phase and return every key in order") {
  auto cluster = StartCluster();
  SentMessages sent;  // outlives the client: its loop thread calls the observer
  auto client = ConnectQuick(*cluster);
  auto keys = Keys("batch:", 100);
  REQUIRE(RingSettled(*client, sent));
  sent.Clear();

  auto put = client->MultiPut(Entries(keys));
  REQUIRE(put.ok());
  REQUIRE(put->size() == keys.size());
  for (const auto& r : *put) {
    INFO((r.ok() ? "" : r.status().ToString()));
    REQUIRE(r.ok());
    REQUIRE(r->acks >= 2);
  }
  // Phase 1: each key is coordinated by its first replica; one coordinatePuts per node.
  size_t coordinated = 0;
  for (const auto& [node, c] : sent.Of("put")) {
    CHECK(c.messages == 1);
    coordinated += c.items;
  }
  REQUIRE(coordinated == keys.size());
  // Phase 2: a node hears one replicate per other coordinating node's reply (at most two
  // here), not one per key.
  for (const auto& [node, c] : sent.Of("replicate")) CHECK(c.messages <= 2);

  auto got = client->MultiGet(keys);
  REQUIRE(got.ok());
  REQUIRE(got->size() == keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    REQUIRE((*got)[i].ok());
    REQUIRE((*got)[i]->values == std::vector<std::string>{"value of " + keys[i]});
  }
  auto gets = sent.Of("get");
  REQUIRE(gets.size() == 3);  // every node holds every key (N=3 on 3 nodes)
  for (const auto& [node, c] : gets) {
    CHECK(c.messages == 1);
    CHECK(c.items == keys.size());
  }

  // The same keys read one call at a time: a message per key and node.
  sent.Clear();
  for (int i = 0; i < 10; ++i) REQUIRE(client->Get(keys[static_cast<size_t>(i)]).ok());
  for (const auto& [node, c] : sent.Of("get")) CHECK(c.messages == 10);

  // Over 128 keys (RequestBatcher::kMaxBatch) a node's part takes more messages, still few.
  sent.Clear();
  auto many = Keys("many:", 300);
  auto got_many = client->MultiGet(many);
  REQUIRE(got_many.ok());
  for (const auto& r : *got_many) REQUIRE((r.ok() && !r->found));
  for (const auto& [node, c] : sent.Of("get")) {
    CHECK(c.messages == 3);
    CHECK(c.items == many.size());
  }
}

TEST_CASE("each key of a batch has its own result: a key whose level cannot be met fails alone") {
  auto cluster = StartCluster();
  auto client = ConnectQuick(*cluster);
  REQUIRE(cluster->Kill(2).ok());
  auto keys = Keys("level:", 10);
  auto entries = Entries(keys);
  RequestOptions all;
  all.level = Consistency::kAll;  // W=3 with a node down: cannot be met
  entries[4].options = all;

  auto put = client->MultiPut(entries);
  REQUIRE(put.ok());
  for (size_t i = 0; i < keys.size(); ++i) {
    INFO("entry " << i << ": " << ((*put)[i].ok() ? "ok" : (*put)[i].status().ToString()));
    if (i == 4) {
      REQUIRE(!(*put)[i].ok());
      REQUIRE(((*put)[i].status().IsQuorumNotReached() || (*put)[i].status().IsTimedOut()));
    } else {
      REQUIRE((*put)[i].ok());
    }
  }
  // A batch-wide level applies to every key: R=3 fails each, R=2 reads each.
  auto strict = client->MultiGet(keys, all);
  REQUIRE(strict.ok());
  for (const auto& r : *strict) REQUIRE(!r.ok());
  auto quorum = client->MultiGet(keys);
  REQUIRE(quorum.ok());
  for (size_t i = 0; i < keys.size(); ++i) {
    REQUIRE((*quorum)[i].ok());
    REQUIRE((*quorum)[i]->found);  // entry 4 too: its write landed on the live replicas
  }
}

TEST_CASE("a batch with bad input is refused whole with InvalidArgument and writes nothing") {
  auto cluster = StartCluster();
  auto client = ConnectQuick(*cluster);
  auto keys = Keys("bad:", 5);

  SECTION("an empty batch") {
    auto put = client->MultiPut({});
    REQUIRE(put.status().IsInvalidArgument());
    REQUIRE(client->MultiGet({}).status().IsInvalidArgument());
    REQUIRE(client->MultiDelete({}).status().IsInvalidArgument());
    REQUIRE(client->MultiPutAsync({}).get().status().IsInvalidArgument());
  }
  SECTION("a key given twice") {
    auto entries = Entries(keys);
    entries.push_back({keys[1], "second value", {}, {}});
    auto put = client->MultiPut(entries);
    REQUIRE(put.status().IsInvalidArgument());
    REQUIRE_THAT(put.status().message(), Catch::Contains("entries 1 and 5"));
    REQUIRE(client->MultiGet({"x", "y", "x"}).status().IsInvalidArgument());
  }
  SECTION("a value over the limit in the last entry") {
    auto entries = Entries(keys);
    entries.push_back({"big", std::string(kMaxValueBytes + 1, 'v'), {}, {}});
    auto put = client->MultiPut(entries);
    REQUIRE(put.status().IsInvalidArgument());
    REQUIRE_THAT(put.status().message(), Catch::Contains("entry 5 (key 'big')"));
  }
  SECTION("an oversized key, a malformed context, a delete with a TTL") {
    auto entries = Entries(keys);
    entries[2].key = std::string(kMaxKeyBytes + 1, 'k');
    REQUIRE(client->MultiPut(entries).status().IsInvalidArgument());
    entries = Entries(keys);
    entries[3].context = Context("not a context");
    REQUIRE(client->MultiPut(entries).status().IsInvalidArgument());
    std::vector<Client::DeleteEntry> deletes{{keys[0], {}, {}}};
    RequestOptions ttl;
    ttl.ttl = std::chrono::seconds(5);
    REQUIRE(client->MultiDelete(deletes, ttl).status().IsInvalidArgument());
    REQUIRE(client->MultiGet({"fine", std::string(kMaxKeyBytes + 1, 'k')}).status().IsInvalidArgument());
  }
  SECTION("through the callback form, on the calling thread") {
    auto entries = Entries(keys);
    entries.push_back(entries[0]);
    std::optional<Status> seen;
    client->MultiPutAsync(entries, {}, [&](Result<Client::PutResults> r) { seen = r.status(); });
    REQUIRE(seen.has_value());  // called before MultiPutAsync returned
    REQUIRE(seen->IsInvalidArgument());
  }
  REQUIRE(NoReplicaHolds(*cluster, keys));
}

TEST_CASE("the future and callback forms give the same per-key results, and MultiDelete removes every key") {
  auto cluster = StartCluster();
  auto client = ConnectQuick(*cluster);
  auto keys = Keys("forms:", 20);

  auto put = client->MultiPutAsync(Entries(keys)).get();
  REQUIRE(put.ok());
  for (const auto& r : *put) REQUIRE(r.ok());

  std::promise<Result<Client::GetResults>> read;
  client->MultiGetAsync(keys, {}, [&](Result<Client::GetResults> r) { read.set_value(std::move(r)); });
  auto got = read.get_future().get();
  REQUIRE(got.ok());
  std::vector<Client::DeleteEntry> deletes;
  for (size_t i = 0; i < keys.size(); ++i) {
    REQUIRE((*got)[i].ok());
    REQUIRE((*got)[i]->values == std::vector<std::string>{"value of " + keys[i]});
    deletes.push_back({keys[i], (*got)[i]->context, {}});
  }

  std::promise<Result<Client::PutResults>> deleted;
  client->MultiDeleteAsync(deletes, {}, [&](Result<Client::PutResults> r) { deleted.set_value(std::move(r)); });
  auto del = deleted.get_future().get();
  REQUIRE(del.ok());
  for (const auto& r : *del) REQUIRE(r.ok());

  auto after = client->MultiGetAsync(keys).get();
  REQUIRE(after.ok());
  for (const auto& r : *after) {
    REQUIRE(r.ok());
    REQUIRE(!r->found);
    REQUIRE(r->siblings.size() == 1);  // the tombstone superseded the one value read
  }
}

TEST_CASE("a sync batch call inside a callback is refused, the callback form works there") {
  auto cluster = StartCluster();
  auto client = ConnectQuick(*cluster);
  std::promise<Status> inner_sync;
  std::promise<Result<Client::GetResults>> inner_async;
  client->GetAsync("anything", {}, [&](Result<GetResult>) {
    inner_sync.set_value(client->MultiGet({"a", "b"}).status());
    client->MultiGetAsync({"a", "b"}, {}, [&](Result<Client::GetResults> r) { inner_async.set_value(std::move(r)); });
  });
  REQUIRE(inner_sync.get_future().get().IsInvalidArgument());
  auto r = inner_async.get_future().get();
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
}

TEST_CASE("kv mput writes every KEY=VALUE and kv mget prints a line per key, and bad input writes none") {
  auto cluster = StartCluster();
  auto kv = [&](const std::string& args) {
    return ringkv::testing::RunCommand(std::string(RINGKV_KV_PATH) + " --cluster " + cluster->seeds() +
                                       " --cluster-name test-cluster " + args);
  };
  auto put = kv("mput fruit=apple veg=leek eq=a=b");
  INFO(put.output);
  REQUIRE(put.exit_code == 0);
  REQUIRE_THAT(put.output, Catch::Contains("fruit: OK") && Catch::Contains("eq: OK"));
  auto get = kv("mget fruit veg eq missing");
  INFO(get.output);
  REQUIRE(get.exit_code == 1);  // one key not found
  REQUIRE(get.output == "fruit: apple\nveg: leek\neq: a=b\nmissing: (not found)\n");
  // mput replaces what it reads, as put does: no siblings from writing a key again.
  REQUIRE(kv("mput fruit=pear").exit_code == 0);
  auto json = kv("--json mget fruit");
  REQUIRE(json.exit_code == 0);
  REQUIRE_THAT(json.output, Catch::Contains(R"("key":"fruit","found":true,"values":["pear"])"));

  auto bad = kv("mput a=1 noequals");
  REQUIRE(bad.exit_code == 2);
  auto dup = kv("mput b=1 b=2");
  REQUIRE(dup.exit_code == 2);
  REQUIRE_THAT(dup.output, Catch::Contains("entries 0 and 1"));
  REQUIRE(kv("mget a b").output == "a: (not found)\nb: (not found)\n");
}
