#pragma once
// Gossiper: the node's side of membership gossip. Every interval it bumps our heartbeat,
// re-evaluates who is suspect or down, and does a push-pull exchange (`gossip` RPC) with
// `fanout` random peers; the `gossip` RPC handler merges what peers push. A joining node
// that knows nobody yet gossips with its seed.
//
// Runs on a BackgroundLoop of its own, so slow peers delay nothing but gossip, and gossip
// is never delayed by handoff, streaming or repair.

#include <memory>
#include <string>
#include <vector>

#include "capnp/kv.capnp.h"
#include "common/clock.h"
#include "node/cluster/membership.h"
#include "node/cluster/namespaces.h"
#include "node/cluster/users.h"
#include "node/runtime/background_loop.h"

namespace ringkv {

void ToWire(const MemberRecord& r, wire::MemberRecord::Builder out);
Result<MemberRecord> FromWire(wire::MemberRecord::Reader in);
void ToWire(const std::vector<MemberRecord>& records, capnp::List<wire::MemberRecord>::Builder out);
Result<std::vector<MemberRecord>> FromWire(capnp::List<wire::MemberRecord>::Reader in);

class Gossiper {
 public:
  // `clock` (the node's) times failure detection: its SteadyMs is what Membership::Tick and
  // Merge age heartbeats by. It must outlive the gossiper.
  Gossiper(Membership* membership, Namespaces* namespaces, std::chrono::milliseconds interval, wire::PoolOptions pool,
           std::vector<std::string> seed_addresses, const Clock& clock = Clock::System());
  // The user catalog to exchange too (null: none). Before Start().
  void SetUsers(Users* users) { users_ = users; }
  void Start();
  void Stop() { loop_.Stop(); }

  // One push-pull exchange with `address` from a BackgroundLoop; what comes back is merged
  // at `clock`'s SteadyMs. `namespaces` may be null: then only membership is exchanged.
  // `users` may be null too.
  static Status ExchangeWith(BackgroundLoop::Context& ctx, Membership& membership, Namespaces* namespaces,
                             const std::string& address, std::chrono::milliseconds limit, const Clock& clock,
                             Users* users = nullptr);

 private:
  void Round(BackgroundLoop::Context& ctx);

  Membership* membership_;
  Namespaces* namespaces_;
  Users* users_ = nullptr;
  std::chrono::milliseconds interval_;
  std::vector<std::string> seeds_;
  const Clock& clock_;
  std::chrono::steady_clock::time_point refused_logged_{};  // gossip thread only
  BackgroundLoop loop_;
};

}  // namespace ringkv
