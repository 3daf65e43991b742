#include "node/cluster/gossip.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "capnp/convert.h"
#include "capnp/request_header.h"

namespace ringkv {
namespace {

wire::RingState ToWire(RingState s) {
  switch (s) {
    case RingState::kNormal:
      return wire::RingState::NORMAL;
    case RingState::kJoining:
      return wire::RingState::JOINING;
    case RingState::kLeaving:
      return wire::RingState::LEAVING;
    case RingState::kLeft:
      return wire::RingState::LEFT;
    case RingState::kRemoved:
      return wire::RingState::REMOVED;
  }
  return wire::RingState::NORMAL;
}

Result<RingState> FromWire(wire::RingState s) {
  switch (s) {
    case wire::RingState::NORMAL:
      return RingState::kNormal;
    case wire::RingState::JOINING:
      return RingState::kJoining;
    case wire::RingState::LEAVING:
      return RingState::kLeaving;
    case wire::RingState::LEFT:
      return RingState::kLeft;
    case wire::RingState::REMOVED:
      return RingState::kRemoved;
  }
  return Status::InvalidArgument("unknown ring state " + std::to_string(static_cast<int>(s)));
}

}  // namespace

void ToWire(const MemberRecord& r, wire::MemberRecord::Builder out) {
  out.setId(r.id);
  out.setAddress(r.address);
  out.setDc(r.dc);
  out.setRack(r.rack);
  auto tokens = out.initTokens(static_cast<unsigned>(r.tokens.size()));
  for (unsigned i = 0; i < r.tokens.size(); ++i) tokens.set(i, r.tokens[i]);
  out.setGeneration(r.generation);
  out.setHeartbeat(r.heartbeat);
  out.setRingState(ToWire(r.ring_state));
  out.setRingEpoch(r.ring_epoch);
  auto hints = out.initPendingHints(static_cast<unsigned>(r.pending_hints.size()));
  unsigned i = 0;
  for (const auto& [target, oldest] : r.pending_hints) {
    hints[i].setTarget(target);
    hints[i].setOldestMs(oldest);
    ++i;
  }
  out.setWeight(r.weight);
  auto heirs = out.initHeirs(static_cast<unsigned>(r.heirs.size()));
  i = 0;
  for (const auto& [token, heir] : r.heirs) {
    heirs[i].setToken(token);
    heirs[i].setHeir(heir);
    ++i;
  }
}

Result<MemberRecord> FromWire(wire::MemberRecord::Reader in) {
  MemberRecord r;
  r.id = wire::ToText(in.getId());
  r.address = wire::ToText(in.getAddress());
  if (r.id.empty() || r.address.empty()) return Status::InvalidArgument("member record without id or address");
  r.dc = wire::ToText(in.getDc());
  r.rack = wire::ToText(in.getRack());
  for (uint64_t t : in.getTokens()) r.tokens.push_back(t);
  r.generation = in.getGeneration();
  r.heartbeat = in.getHeartbeat();
  RINGKV_ASSIGN(r.ring_state, FromWire(in.getRingState()));
  r.ring_epoch = in.getRingEpoch();
  for (auto h : in.getPendingHints()) r.pending_hints[wire::ToText(h.getTarget())] = h.getOldestMs();
  r.weight = in.getWeight();
  for (auto h : in.getHeirs()) r.heirs[h.getToken()] = wire::ToText(h.getHeir());
  return r;
}

void ToWire(const std::vector<MemberRecord>& records, capnp::List<wire::MemberRecord>::Builder out) {
  for (unsigned i = 0; i < records.size(); ++i) ToWire(records[i], out[i]);
}

Result<std::vector<MemberRecord>> FromWire(capnp::List<wire::MemberRecord>::Reader in) {
  std::vector<MemberRecord> out;
  out.reserve(in.size());
  for (auto r : in) {
    RINGKV_ASSIGN(MemberRecord record, FromWire(r));
    out.push_back(std::move(record));
  }
  return out;
}

Gossiper::Gossiper(Membership* membership, Namespaces* namespaces, std::chrono::milliseconds interval,
                   wire::PoolOptions pool, std::vector<std::string> seed_addresses, const Clock& clock)
    : membership_(membership),
      namespaces_(namespaces),
      interval_(interval),
      seeds_(std::move(seed_addresses)),
      clock_(clock),
      loop_("gossip", std::move(pool)) {}

void Gossiper::Start() {
  loop_.Start(interval_, [this](BackgroundLoop::Context& ctx) { Round(ctx); });
}

Status Gossiper::ExchangeWith(BackgroundLoop::Context& ctx, Membership& membership, Namespaces* namespaces,
                              const std::string& address, std::chrono::milliseconds limit, const Clock& clock,
                              Users* users) {
  auto req = ctx.pool.Get(address).gossipRequest();
  wire::FillRequestHeader(req.initHeader(), membership.options().cluster_name);
  auto records = membership.Snapshot();
  ToWire(records, req.initRecords(static_cast<unsigned>(records.size())));
  if (namespaces != nullptr) {
    auto catalog = namespaces->Records();
    wire::ToWire(catalog, req.initNamespaces(static_cast<unsigned>(catalog.size())));
  }
  if (users != nullptr) {
    auto user_records = users->Records();
    ToWire(user_records, req.initUsers(static_cast<unsigned>(user_records.size())));
  }
  auto reply = ctx.Await(address, req.send(), limit, "gossip with " + address);
  if (!reply.ok()) return reply.status();
  RINGKV_TRY(wire::FromWire(reply->getError()));
  RINGKV_ASSIGN(auto theirs, FromWire(reply->getRecords()));
  membership.Merge(theirs, clock.SteadyMs());
  if (namespaces != nullptr) namespaces->Merge(wire::FromWire(reply->getNamespaces()));
  if (users != nullptr) users->Merge(UsersFromWire(reply->getUsers()));
  return Status::OK();
}

void Gossiper::Round(BackgroundLoop::Context& ctx) {
  membership_->Tick(clock_.SteadyMs());
  auto peers = membership_->PickPeerAddresses();
  if (peers.empty()) peers = seeds_;  // a joiner that knows nobody yet
  // Exchanges run one after another, together bounded by the interval, so a round never
  // delays our next heartbeat by more than one interval however many peers are stuck.
  auto limit = std::max(interval_ / static_cast<int>(peers.size() + 1), std::chrono::milliseconds(50));
  for (const std::string& address : peers) {
    Status s = ExchangeWith(ctx, *membership_, namespaces_, address, limit, clock_, users_);
    if (s.IsUnauthenticated()) {
      // A wrong or missing --cluster-secret-file: the operator must hear of it, not every round.
      auto now = std::chrono::steady_clock::now();
      if (now - refused_logged_ > std::chrono::seconds(30)) {
        refused_logged_ = now;
        spdlog::error("gossip: {} refused us: {}", address, s.message());
      }
    } else if (!s.ok()) {
      spdlog::debug("gossip: {}", s.ToString());
    }
  }
}

}  // namespace ringkv
