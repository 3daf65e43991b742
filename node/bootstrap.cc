#include "node/bootstrap.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "capnp/bounded.h"
#include "capnp/connection_pool.h"
#include "capnp/convert.h"
#include "capnp/request_header.h"
#include "node/cluster/gossip.h"

namespace ringkv {
namespace {

// How many replicas the tokens balance (Ring::AllocateTokens): N, unless per-DC placement
// picks the replicas (then primaries only: its replicas are not the first N clockwise).
size_t TokenReplicas(const NodeConfig& config) { return config.dc_replication.empty() ? config.replication_factor : 1; }

// The first ring epoch of a node started without a saved membership table. The ring version
// is the sum of every member's highest epoch; a node restarted with its data wiped must
// start above every epoch its id used before, or it would count its own epoch lower than
// its peers count it, and the versions would never agree again (Merkle repair waits for
// equal versions: it never ran, seen in a soak run). Milliseconds since 1970 are above any
// earlier incarnation's epoch, which grows by one per restart or ring change.
uint64_t FreshIncarnationEpoch(const Clock& clock) { return clock.WallMs(); }

MemberRecord FromRingNode(const RingNode& n, RingState state) {
  MemberRecord r;
  r.id = n.id;
  r.address = n.address;
  r.dc = n.dc;
  r.rack = n.rack;
  r.tokens = n.tokens;
  r.weight = n.weight;
  r.ring_state = state;
  r.ring_epoch = 1;
  return r;
}

// Every founder computes the same ring: members sorted by id, tokens allocated in turn.
Result<std::vector<MemberRecord>> Founders(const NodeConfig& config) {
  std::vector<RingNode> nodes;
  RingNode self;
  self.id = config.id;
  self.address = config.listen;
  self.dc = config.dc;
  self.rack = config.rack;
  nodes.push_back(self);
  for (const auto& spec : config.seeds) {
    RINGKV_ASSIGN(Member m, ParseMember(spec));
    if (m.id == config.id) continue;
    RingNode n;
    n.id = m.id;
    n.address = m.address;
    if (!m.dc.empty()) n.dc = m.dc;
    n.rack = m.rack;
    nodes.push_back(n);
  }
  std::sort(nodes.begin(), nodes.end(), [](const RingNode& a, const RingNode& b) { return a.id < b.id; });
  RINGKV_ASSIGN(Ring ring, Ring::Bootstrap(std::move(nodes), config.vnodes, TokenReplicas(config)));
  std::vector<MemberRecord> out;
  for (const RingNode& n : ring.nodes()) out.push_back(FromRingNode(n, RingState::kNormal));
  return out;
}

// The ring as the member at `address` sees it.
Result<RingView> FetchRing(const NodeConfig& config, kj::AsyncIoContext& io, const wire::PoolOptions& pool_options,
                           const std::string& address) {
  kj::Timer& timer = io.provider->getTimer();
  wire::ConnectionPool pool(*io.provider, *io.lowLevelProvider, timer, pool_options);
  auto req = pool.Get(address).ringRequest();
  wire::FillRequestHeader(req.initHeader(), config.cluster_name);
  auto call = req.send().then(
      [](capnp::Response<wire::Node::RingResults>&& resp) -> Result<RingView> {
        RINGKV_TRY(wire::FromWire(resp.getError()));
        return wire::FromWire(resp.getRing());
      },
      [address](kj::Exception&& e) -> Result<RingView> {
        return Status::Unavailable("cannot reach " + address + ": " + e.getDescription().cStr());
      });
  return wire::Bounded(timer, kj::mv(call), std::chrono::seconds(10),
                       [address]() -> Result<RingView> { return Status::TimedOut(address + " did not answer"); })
      .wait(io.waitScope);
}

}  // namespace

Result<std::unique_ptr<Membership>> OpenMembership(const NodeConfig& config, kj::AsyncIoContext& io,
                                                   const wire::PoolOptions& pool, const Clock& clock) {
  MembershipOptions options;
  options.cluster_name = config.cluster_name;
  options.replication_factor = config.replication_factor;
  auto per_dc = ParseDcReplication(config.dc_replication);
  if (per_dc.ok()) options.dc_replication = std::move(per_dc).value();  // validated with the config
  options.gossip.suspect_after_ms = config.suspect_after_ms;
  options.gossip.down_after_ms = config.down_after_ms;
  options.gossip.fanout = config.gossip_fanout;
  options.state_file = config.data_dir + "/MEMBERSHIP";

  MemberRecord self;
  self.id = config.id;
  self.address = config.listen;
  self.dc = config.dc;
  self.rack = config.rack;
  self.generation = clock.WallMs() / 1000;         // seconds since the epoch
  self.ring_epoch = FreshIncarnationEpoch(clock);  // a restart replaces it with the saved epoch + 1
  std::vector<MemberRecord> others;

  if (std::filesystem::exists(options.state_file)) {
    // Restart: Membership::Open restores tokens and state from the table.
  } else if (!config.join.empty()) {
    RINGKV_ASSIGN(RingView seed_view, FetchRing(config, io, pool, config.join));
    if (seed_view.future.Find(config.id) || seed_view.ring.Find(config.id)) {
      return Status::InvalidArgument("node id '" + config.id +
                                     "' is already a ring member; remove it first (kv node remove) or pick another id");
    }
    self.tokens = Ring::AllocateTokens(seed_view.future, config.id, config.vnodes,
                                       config.dc_replication.empty() ? seed_view.replication_factor : size_t{1});
    self.ring_state = RingState::kJoining;
    for (const RingNode& n : seed_view.ring.nodes()) {
      others.push_back(FromRingNode(n, seed_view.future.Find(n.id) ? RingState::kNormal : RingState::kLeaving));
    }
    for (const RingNode& n : seed_view.future.nodes()) {
      if (!seed_view.ring.Find(n.id)) others.push_back(FromRingNode(n, RingState::kJoining));
    }
    spdlog::info("joining through {}: claimed {} tokens of a {}-node ring", config.join, self.tokens.size(),
                 seed_view.ring.size());
  } else {
    RINGKV_ASSIGN(auto founders, Founders(config));
    for (MemberRecord& r : founders) {
      if (r.id == config.id)
        self.tokens = r.tokens;
      else
        others.push_back(std::move(r));
    }
  }
  return Membership::Open(options, self, others, clock.SteadyMs());
}

}  // namespace ringkv
