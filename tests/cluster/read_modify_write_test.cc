// Client::Update, Client::PutIfAbsent and the retry policy against real nodes: racing
// updates keep both edits (siblings, never a lost one), a throwing update function writes
// nothing, PutIfAbsent reports Exists and its racing creators all survive, and a put
// retried after a quorum failure leaves one version, not one per attempt.

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "ringkv/limits.h"
#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/local_cluster.h"

using namespace ringkv;
using ringkv::testing::ConnectTo;
using ringkv::testing::StartCluster;

namespace {

// Lets `parties` threads go on only once all have arrived (bounded: false after 10 s).
class Rendezvous {
 public:
  explicit Rendezvous(int parties) : parties_(parties) {}
  bool ArriveAndWait() {
    std::unique_lock lock(mu_);
    ++arrived_;
    cv_.notify_all();
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return arrived_ >= parties_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int parties_;
  int arrived_ = 0;
};

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::string Joined(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : Sorted(values)) out += (out.empty() ? "" : "|") + v;
  return out;
}

}  // namespace

TEST_CASE("two clients' racing Updates both survive as siblings, and the next Update merges them") {
  auto cluster = StartCluster();
  auto alice = ConnectTo(*cluster);
  auto bob = ConnectTo(*cluster);
  REQUIRE(alice->Put("cart", "milk").ok());

  // Both functions run before either put: each read sees only "milk".
  Rendezvous both_read(2);
  auto add = [&](Client& client, std::string item) {
    return client.Update("cart", [&both_read, item](const GetResult& current) -> std::optional<std::string> {
      if (!both_read.ArriveAndWait()) throw std::runtime_error("the other update never read");
      return current.values.at(0) + "," + item;
    });
  };
  Result<UpdateResult> by_alice = Status::Aborted("not run"), by_bob = Status::Aborted("not run");
  std::thread t([&] { by_bob = add(*bob, "eggs"); });
  by_alice = add(*alice, "bread");
  t.join();
  INFO(by_alice.status().ToString() << " / " << by_bob.status().ToString());
  REQUIRE(by_alice.ok());
  REQUIRE(by_bob.ok());
  CHECK(by_alice->written);
  CHECK(by_alice->read.values == std::vector<std::string>{"milk"});

  auto got = alice->Get("cart");
  REQUIRE(got.ok());
  CHECK(Sorted(got->values) == std::vector<std::string>{"milk,bread", "milk,eggs"});

  // An Update that merges the siblings replaces both.
  auto merged = bob->Update(
      "cart", [](const GetResult& current) -> std::optional<std::string> { return Joined(current.values); });
  REQUIRE(merged.ok());
  got = alice->Get("cart");
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"milk,bread|milk,eggs"});
}

TEST_CASE("an Update whose function throws writes nothing and returns InvalidArgument with its message") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  REQUIRE(client->Put("account", "100").ok());
  auto before = client->Get("account");
  REQUIRE(before.ok());

  auto failed = client->Update("account", [](const GetResult&) -> std::optional<std::string> {
    throw std::runtime_error("balance would go negative");
  });
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().IsInvalidArgument());
  CHECK_THAT(failed.status().message(), Catch::Contains("balance would go negative"));
  CHECK_THAT(failed.status().message(), Catch::Contains("nothing was written"));

  auto after = client->Get("account");
  REQUIRE(after.ok());
  REQUIRE(after->siblings.size() == 1);
  CHECK(after->siblings[0].id == before->siblings[0].id);  // the same write: nothing new landed
  CHECK(after->values == std::vector<std::string>{"100"});

  // On a key that does not exist the function sees found == false; throwing still creates nothing.
  auto on_missing = client->Update("nobody", [](const GetResult& current) -> std::optional<std::string> {
    if (!current.found) throw std::invalid_argument("no such account");
    return "0";
  });
  CHECK(on_missing.status().IsInvalidArgument());
  auto missing = client->Get("nobody");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->found);
  CHECK(missing->siblings.empty());

  // Something that is not a std::exception is an error value too, not an escape.
  auto odd = client->Update("account", [](const GetResult&) -> std::optional<std::string> { throw 42; });
  CHECK(odd.status().IsInvalidArgument());
  CHECK_THAT(odd.status().message(), Catch::Contains("not a std::exception"));
  auto still = client->Get("account");
  REQUIRE(still.ok());
  CHECK(still->siblings.size() == 1);
  CHECK(still->values == std::vector<std::string>{"100"});
}

TEST_CASE("an Update whose function returns nullopt sends nothing, and one returning a value writes it") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  REQUIRE(client->Put("counter", "1").ok());
  auto before = client->Get("counter");
  REQUIRE(before.ok());
  auto kept = client->Update("counter", [](const GetResult&) -> std::optional<std::string> { return std::nullopt; });
  REQUIRE(kept.ok());
  CHECK_FALSE(kept->written);
  auto same = client->Get("counter");
  REQUIRE(same.ok());
  REQUIRE(same->siblings.size() == 1);
  CHECK(same->siblings[0].id == before->siblings[0].id);

  for (int i = 0; i < 5; ++i) {
    auto inc = client->Update("counter", [](const GetResult& current) -> std::optional<std::string> {
      return std::to_string(std::stoi(current.values.at(0)) + 1);
    });
    REQUIRE(inc.ok());
    CHECK(inc->written);
    CHECK(inc->put.acks >= 2);
  }
  auto got = client->Get("counter");
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"6"});

  // A value the function returns is checked like any put's: over the limit, nothing is written.
  auto too_big = client->Update(
      "counter", [](const GetResult&) -> std::optional<std::string> { return std::string(kMaxValueBytes + 1, 'x'); });
  CHECK(too_big.status().IsInvalidArgument());
  CHECK(client->Get("counter")->values == std::vector<std::string>{"6"});
}

TEST_CASE("PutIfAbsent creates a missing or deleted key and reports Exists, writing nothing, for a live one") {
  auto cluster = StartCluster();
  auto client = ConnectTo(*cluster);
  auto created = client->PutIfAbsent("user:1", "ada");
  REQUIRE(created.ok());
  CHECK(created->acks >= 2);

  auto again = client->PutIfAbsent("user:1", "grace");
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().IsExists());
  CHECK_THAT(again.status().message(), Catch::Contains("nothing was written"));
  auto got = client->Get("user:1");
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"ada"});
  REQUIRE(got->siblings.size() == 1);

  // A delete leaves the key absent: the next creator replaces the tombstone it read.
  REQUIRE(client->Delete("user:1", got->context).ok());
  REQUIRE(client->PutIfAbsent("user:1", "grace").ok());
  got = client->Get("user:1");
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"grace"});
  CHECK(got->siblings.size() == 1);

  // Bad input is refused before anything is read or written.
  CHECK(client->PutIfAbsent("", "x").status().IsInvalidArgument());
  RequestOptions bad_ttl;
  bad_ttl.ttl = std::chrono::milliseconds(-5);
  CHECK(client->PutIfAbsent("user:2", "x", bad_ttl).status().IsInvalidArgument());
  CHECK_FALSE(client->Get("user:2")->found);
}

TEST_CASE("racing PutIfAbsent creators never lose an acknowledged value: each success is in the final read") {
  auto cluster = StartCluster();
  constexpr int kCreators = 4;
  constexpr int kKeys = 15;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kCreators; ++i) clients.push_back(ConnectTo(*cluster));
  // outcome[key][creator]: the creator's status.
  std::vector<std::vector<Status>> outcome(kKeys, std::vector<Status>(kCreators));
  Rendezvous start(kCreators);
  std::vector<std::thread> threads;
  for (int c = 0; c < kCreators; ++c) {
    threads.emplace_back([&, c] {
      if (!start.ArriveAndWait()) return;
      for (int k = 0; k < kKeys; ++k) {
        auto r = clients[c]->PutIfAbsent("slot" + std::to_string(k), "creator" + std::to_string(c));
        outcome[k][c] = r.ok() ? Status::OK() : r.status();
      }
    });
  }
  for (auto& t : threads) t.join();

  int siblings_seen = 0;
  for (int k = 0; k < kKeys; ++k) {
    auto got = clients[0]->Get("slot" + std::to_string(k));
    REQUIRE(got.ok());
    int succeeded = 0;
    for (int c = 0; c < kCreators; ++c) {
      const Status& s = outcome[k][c];
      INFO("slot" << k << " creator" << c << ": " << s.ToString());
      REQUIRE((s.ok() || s.IsExists()));
      bool present = std::count(got->values.begin(), got->values.end(), "creator" + std::to_string(c)) == 1;
      CHECK(present == s.ok());  // an acknowledged creation is never lost; a refused one never lands
      succeeded += s.ok();
    }
    CHECK(succeeded >= 1);
    CHECK(got->values.size() == static_cast<size_t>(succeeded));
    siblings_seen += got->has_siblings();
  }
  UNSCOPED_INFO("keys where creators raced into siblings: " << siblings_seen << " of " << kKeys);
}

TEST_CASE("a put retried after a quorum failure keeps one version: every attempt carries one write id") {
  auto cluster = StartCluster();
  ClientOptions strict;
  strict.w = 3;  // all three replicas, no hints: with one node down every attempt falls short
  strict.sloppy_quorum = false;
  strict.retry.max_attempts = 4;
  strict.retry.initial_backoff = std::chrono::milliseconds(10);
  auto writer = ConnectTo(*cluster, strict);
  auto reader = ConnectTo(*cluster);
  REQUIRE(cluster->Kill(2).ok());

  auto put = writer->Put("ledger", "entry-1");
  REQUIRE_FALSE(put.ok());
  CHECK(put.status().IsQuorumNotReached());
  CHECK(put.status().acked() == 2);
  CHECK_THAT(put.status().message(), Catch::EndsWith("gave up after 4 attempts"));

  // Four attempts reached the two live replicas; they hold the write once.
  auto got = reader->Get("ledger");
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"entry-1"});
  CHECK(got->siblings.size() == 1);
}

TEST_CASE("a read that cannot reach R replicas is retried inside its timeout, then reports the attempts") {
  auto cluster = StartCluster();
  ClientOptions options;
  options.timeout = std::chrono::milliseconds(3000);
  options.retry.initial_backoff = std::chrono::milliseconds(10);
  auto retrying = ConnectTo(*cluster, options);
  options.retry.max_attempts = 1;
  auto once = ConnectTo(*cluster, options);
  REQUIRE(retrying->Put("k", "v").ok());
  REQUIRE(cluster->Kill(1).ok());

  RequestOptions all;
  all.level = Consistency::kAll;
  auto start = std::chrono::steady_clock::now();
  auto got = retrying->Get("k", all);
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(got.ok());
  CHECK(got.status().IsQuorumNotReached());
  CHECK_THAT(got.status().message(), Catch::EndsWith("gave up after 3 attempts"));
  CHECK(took < std::chrono::milliseconds(3000));

  auto single = once->Get("k", all);
  REQUIRE_FALSE(single.ok());
  CHECK(single.status().IsQuorumNotReached());
  CHECK_THAT(single.status().message(), !Catch::Contains("attempts"));
}

TEST_CASE("a read at ALL that starts while a replica is down succeeds by retrying once the replica is back") {
  auto cluster = StartCluster();
  ClientOptions patient;
  patient.timeout = std::chrono::seconds(20);
  patient.retry.max_attempts = 40;
  patient.retry.initial_backoff = std::chrono::milliseconds(50);
  patient.retry.max_backoff = std::chrono::milliseconds(400);
  auto client = ConnectTo(*cluster, patient);
  REQUIRE(client->Put("k", "v").ok());
  REQUIRE(cluster->Kill(2).ok());

  RequestOptions all;
  all.level = Consistency::kAll;
  Result<GetResult> got = Status::Aborted("not run");
  std::thread reader([&] { got = client->Get("k", all); });  // fails at first: node 2 is down
  Status restarted = cluster->Restart(2);                    // takes far longer than an attempt
  reader.join();
  REQUIRE(restarted.ok());
  INFO(got.status().ToString());
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"v"});
  CHECK(got->replies == 3);
}
