// HintedHandoff without peers: what a pass measures while gossip keeps changing the ring,
// and how it accounts for hints it drops or redirects. Under TSan or ASan the first case
// also checks that a pass never reads a ring view that gossip has already replaced and freed.

#include <atomic>
#include <thread>

#include <kj/async-io.h>
#include <catch2/catch.hpp>

#include "node/repair/hinted_handoff.h"
#include "temp_dir.h"

using namespace ringkv;

namespace {

MemberRecord Member(std::string id, std::string dc, uint64_t token) {
  MemberRecord r;
  r.id = std::move(id);
  r.address = "127.0.0.1:1";
  r.dc = std::move(dc);
  r.tokens = {token};
  r.generation = 1;
  r.ring_epoch = 1;
  return r;
}

// A write of `value` coordinated by `node`, knowing of no earlier one.
SiblingSet Written(const std::string& value, const std::string& node = "w1") {
  Sibling s;
  s.value = value;
  s.timestamp_ms = 1;
  s.write_id = std::hash<std::string>{}(node + value);
  SiblingSet set;
  set.Update({}, node, s);
  return set;
}

// One handoff pass, with a connection pool of its own.
uint64_t Pass(HintedHandoff& handoff) {
  auto io = kj::setupAsyncIo();
  wire::ConnectionPool pool(*io.provider, *io.lowLevelProvider, io.provider->getTimer(), wire::PoolOptions{});
  std::atomic<bool> stopping{false};
  BackgroundLoop::Context ctx{io.waitScope, io.provider->getTimer(), pool, stopping};
  return handoff.DeliverOnce(ctx);
}

uint64_t Dropped(const HintStats& s, HintDrop why) { return s.counters.dropped[static_cast<size_t>(why)]; }

}  // namespace

TEST_CASE("a handoff pass measures cross-DC lag while gossip replaces the ring view") {
  ringkv::testing::TempDir dir;
  MembershipOptions options;
  options.cluster_name = "test";
  options.dc_replication = {{"west", 1}, {"east", 1}};
  options.state_file = dir.file("MEMBERSHIP");
  auto membership = Membership::Open(options, Member("w1", "west", 1), {Member("e1", "east", uint64_t{1} << 63)}, 0);
  REQUIRE(membership.ok());
  auto hints = HintStore::Open(dir.file("hints"), "w1", StorageOptions{});
  REQUIRE(hints.ok());
  HintedHandoff handoff(hints->get(), nullptr, membership->get(), std::chrono::seconds(60));

  // As the gossip thread does: every tick builds a new view and frees the one before.
  std::atomic<bool> done{false};
  std::thread gossip([&] {
    for (uint64_t now = 1; !done.load(); ++now) (*membership)->Tick(now);
  });
  auto io = kj::setupAsyncIo();
  {
    wire::ConnectionPool pool(*io.provider, *io.lowLevelProvider, io.provider->getTimer(), wire::PoolOptions{});
    std::atomic<bool> stopping{false};
    BackgroundLoop::Context ctx{io.waitScope, io.provider->getTimer(), pool, stopping};
    for (int i = 0; i < 2000; ++i) CHECK(handoff.DeliverOnce(ctx) == 0);  // no hints: only the lag pass
  }
  done = true;
  gossip.join();

  auto lag = handoff.CrossDcLagSeconds();
  REQUIRE(lag.size() == 1);    // the remote DC only
  CHECK(lag.at("east") == 0);  // nothing queued for it
  REQUIRE((*hints)->Close().ok());
}

TEST_CASE("a handoff pass drops expired hints as expired, and gives a removed node's hints to the key's replicas") {
  ringkv::testing::TempDir dir;
  MembershipOptions options;
  options.cluster_name = "test";
  options.state_file = dir.file("MEMBERSHIP");
  auto membership = Membership::Open(options, Member("w1", "west", 1), {Member("n2", "west", uint64_t{1} << 63)}, 0);
  REQUIRE(membership.ok());
  auto hints = HintStore::Open(dir.file("hints"), "w1", StorageOptions{});
  REQUIRE(hints.ok());
  auto engine = storage::StorageEngine::Open(dir.file("data"), StorageOptions{});
  REQUIRE(engine.ok());
  ReplicaStore store(engine->get(), "w1");
  HintedHandoff handoff(hints->get(), &store, membership->get(), std::chrono::seconds(60));
  const uint64_t long_ago = 1, now = Clock::System().WallMs();

  // n2 is up, but every hint for it is past the window: all dropped, none sent.
  for (int i = 0; i < 5; ++i)
    REQUIRE((*hints)->Add("n2", "old" + std::to_string(i), Written("x"), false, long_ago).ok());
  CHECK(Pass(handoff) == 0);
  HintStats stats = (*hints)->Stats();
  CHECK(stats.counters.stored == 5);
  CHECK(Dropped(stats, HintDrop::kExpired) == 5);
  CHECK(Dropped(stats, HintDrop::kRefused) == 0);
  CHECK(stats.queued.empty());

  // n2 is removed: its fresh hints go to the key's replicas (here only w1), stale ones are dropped.
  for (int i = 0; i < 3; ++i) {
    std::string key = "fresh" + std::to_string(i);
    REQUIRE((*hints)->Add("n2", key, Written("a", "w1"), false, now).ok());
    REQUIRE((*hints)->Add("n2", key, Written("b", "n3"), false, now).ok());  // a concurrent write: merged
  }
  for (int i = 0; i < 2; ++i)
    REQUIRE((*hints)->Add("n2", "stale" + std::to_string(i), Written("x"), false, long_ago).ok());
  REQUIRE((*membership)->Remove("n2", now).ok());
  CHECK(Pass(handoff) == 3);
  stats = (*hints)->Stats();
  CHECK(stats.counters.stored == 5 + 3 + 2);
  CHECK(stats.counters.merged == 3);
  CHECK(stats.counters.delivered == 3);
  CHECK(stats.counters.redirected == 3);
  CHECK(Dropped(stats, HintDrop::kExpired) == 5 + 2);
  CHECK(stats.queued.empty());
  CHECK(stats.counters.stored == stats.counters.delivered + stats.counters.DroppedTotal() + stats.QueuedTotal());
  for (int i = 0; i < 3; ++i) {
    auto held = store.Get("fresh" + std::to_string(i));
    REQUIRE(held.ok());
    REQUIRE(held->has_value());
    CHECK((*held)->siblings().size() == 2);  // both concurrent writes reached the replica
  }
  auto stale = store.Get("stale0");
  REQUIRE(stale.ok());
  CHECK(!stale->has_value());
  REQUIRE((*hints)->Close().ok());
  REQUIRE((*engine)->Close().ok());
}

TEST_CASE("a hint is handed on until the node's clock is past its window after its stamp, then dropped as expired") {
  ringkv::testing::TempDir dir;
  MembershipOptions options;
  options.cluster_name = "test";
  options.state_file = dir.file("MEMBERSHIP");
  auto membership = Membership::Open(options, Member("w1", "west", 1), {Member("n2", "west", uint64_t{1} << 63)}, 0);
  REQUIRE(membership.ok());
  REQUIRE((*membership)->Remove("n2", 0).ok());  // its hints go to the keys' replicas: here w1 itself
  auto hints = HintStore::Open(dir.file("hints"), "w1", StorageOptions{});
  REQUIRE(hints.ok());
  auto engine = storage::StorageEngine::Open(dir.file("data"), StorageOptions{});
  REQUIRE(engine.ok());
  ManualClock clock;
  ReplicaStore store(engine->get(), "w1", clock);
  HintedHandoff handoff(hints->get(), &store, membership->get(), std::chrono::seconds(60), {}, clock);

  const uint64_t start = clock.WallMs();
  REQUIRE((*hints)->Add("n2", "older", Written("a"), false, start).ok());
  REQUIRE((*hints)->Add("n2", "younger", Written("b"), false, start + 1).ok());
  // 60 s after "younger" was stamped, 60.001 s after "older": only "older" is past the window.
  clock.Advance(std::chrono::milliseconds(60'001));
  CHECK(Pass(handoff) == 1);
  HintStats stats = (*hints)->Stats();
  CHECK(Dropped(stats, HintDrop::kExpired) == 1);
  CHECK(stats.counters.redirected == 1);
  auto younger = store.Get("younger");
  REQUIRE(younger.ok());
  CHECK(younger->has_value());
  auto older = store.Get("older");
  REQUIRE(older.ok());
  CHECK_FALSE(older->has_value());
  REQUIRE((*hints)->Close().ok());
  REQUIRE((*engine)->Close().ok());
}
