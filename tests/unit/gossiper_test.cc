// Gossiper on a ManualClock: failure detection follows the node's clock, so a test moves
// time past the suspect and down timeouts instead of sleeping through them.

#include <chrono>
#include <functional>
#include <thread>

#include <catch2/catch.hpp>

#include "node/cluster/gossip.h"
#include "temp_dir.h"

using namespace ringkv;

namespace {

MemberRecord Member(std::string id, uint64_t token) {
  MemberRecord r;
  r.id = std::move(id);
  r.address = "127.0.0.1:1";  // nothing answers: the peer stays silent
  r.tokens = {token};
  r.generation = 1;
  r.ring_epoch = 1;
  return r;
}

// Waits (bounded) for the gossip thread to make `cond` true.
bool WaitFor(const std::function<bool()>& cond) {
  for (int i = 0; i < 2000; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

}  // namespace

TEST_CASE("gossip marks a silent peer suspect, then down, when the node's clock passes each timeout") {
  ringkv::testing::TempDir dir;
  ManualClock clock;
  MembershipOptions options;
  options.cluster_name = "test";
  options.state_file = dir.file("MEMBERSHIP");
  options.gossip.suspect_after_ms = 5'000;
  options.gossip.down_after_ms = 30'000;
  auto membership = Membership::Open(options, Member("a", 1), {Member("b", uint64_t{1} << 63)}, clock.SteadyMs());
  REQUIRE(membership.ok());
  Gossiper gossiper(membership->get(), nullptr, std::chrono::milliseconds(10), wire::PoolOptions{}, {}, clock);
  gossiper.Start();

  // Waits until gossip has run a few more rounds at the clock's current reading.
  auto rounds_pass = [&] {
    uint64_t heartbeat = (*membership)->Self().heartbeat;
    return WaitFor([&] { return (*membership)->Self().heartbeat >= heartbeat + 3; });
  };
  auto b_is = [&](MemberStatus s) { return (*membership)->StatusOf("b") == s; };

  // Rounds run, but b's silence is not yet longer than a timeout: it stays up, then suspect.
  clock.Advance(std::chrono::milliseconds(5'000));
  REQUIRE(rounds_pass());
  CHECK(b_is(MemberStatus::kUp));
  clock.Advance(std::chrono::milliseconds(1));
  CHECK(WaitFor([&] { return b_is(MemberStatus::kSuspect); }));
  clock.Advance(std::chrono::milliseconds(24'999));
  REQUIRE(rounds_pass());
  CHECK(b_is(MemberStatus::kSuspect));
  clock.Advance(std::chrono::milliseconds(1));
  CHECK(WaitFor([&] { return b_is(MemberStatus::kDown); }));
  gossiper.Stop();
}
