// HintedHandoff without peers: what a pass measures while gossip keeps changing the ring.
// Under TSan or ASan the first case also checks that a pass never reads a ring view that
// gossip has already replaced and freed.

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>
#include <kj/async-io.h>

#include "node/hinted_handoff.h"
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
  REQUIRE(lag.size() == 1);  // the remote DC only
  CHECK(lag.at("east") == 0);  // nothing queued for it
  REQUIRE((*hints)->Close().ok());
}
