// NodeServer's cluster calls: gossip, join streaming, Merkle sessions, and admin.

#include <algorithm>

#include "common/clock.h"
#include "node/cluster/gossip.h"
#include "node/rpc/node_stats.h"
#include "node/rpc/rpc_server.h"

namespace ringkv {
namespace {

TokenRange FromWire(wire::TokenRange::Reader r) { return TokenRange{r.getStart(), r.getEnd()}; }

void ToWire(const RepairStats& s, uint32_t peers, wire::RepairStats::Builder out) {
  out.setPeers(peers);
  out.setNodesCompared(s.nodes_compared);
  out.setDigestsExchanged(s.digests_exchanged);
  out.setKeysPulled(s.keys_pulled);
  out.setKeysPushed(s.keys_pushed);
  out.setBytesSent(s.bytes_sent);
  out.setBytesReceived(s.bytes_received);
}

std::vector<uint32_t> Indices(capnp::List<uint32_t>::Reader in) {
  std::vector<uint32_t> out;
  out.reserve(in.size());
  for (uint32_t i : in) out.push_back(i);
  return out;
}

// Resolves once every membership change made so far is on disk: the write runs on the
// membership's saver thread, the wait on a worker, so the event loop never blocks. A call
// that changed the ring (decommission, remove) answers only then: what it acknowledged
// survives a crash.
kj::Promise<Status> WhenMembershipSaved(const NodeServices& s) {
  Membership* membership = s.membership;
  return s.workers->Run<Status>([membership] { return membership->FlushSaves(); });
}

}  // namespace

kj::Promise<void> NodeServer::gossip(GossipContext context) {
  auto params = context.getParams();
  auto results = context.getResults();
  Status s = CheckHeader(params.getHeader(), Access::kPeer);
  auto theirs = s.ok() ? FromWire(params.getRecords()) : Result<std::vector<MemberRecord>>(s);
  wire::ToWire(theirs.status(), results.initError());
  if (!theirs.ok()) return kj::READY_NOW;
  s_.membership->Merge(*theirs, s_.clock->SteadyMs());
  s_.namespaces->Merge(wire::FromWire(params.getNamespaces()));
  if (s_.users) s_.users->Merge(UsersFromWire(params.getUsers()));
  auto ours = s_.membership->Snapshot();
  ToWire(ours, results.initRecords(static_cast<unsigned>(ours.size())));
  auto namespaces = s_.namespaces->Records();
  wire::ToWire(namespaces, results.initNamespaces(static_cast<unsigned>(namespaces.size())));
  if (s_.users) {
    auto users = s_.users->Records();
    ToWire(users, results.initUsers(static_cast<unsigned>(users.size())));
  }
  return kj::READY_NOW;
}

kj::Promise<void> NodeServer::streamKeys(StreamKeysContext context) {
  auto params = context.getParams();
  Status header = CheckHeader(params.getHeader(), Access::kPeer);
  if (!header.ok()) {
    wire::ToWire(header, context.getResults().initError());
    return kj::READY_NOW;
  }
  std::vector<std::string> skip;
  for (auto s : params.getSkip()) skip.push_back(wire::ToText(s));
  Streamer* streamer = s_.streamer;
  size_t max_bytes = std::clamp<size_t>(params.getMaxBytes(), 4096, 16u << 20);
  return s_.workers
      ->Run<Result<StreamPage>>([streamer, for_node = wire::ToText(params.getForNode()), skip = std::move(skip),
                                 after = wire::ToBytes(params.getAfterKey()),
                                 max_bytes]() { return streamer->PageFor(for_node, skip, after, max_bytes); })
      .then([context](Result<StreamPage> page) mutable {
        auto results = context.getResults();
        wire::ToWire(page.status(), results.initError());
        if (!page.ok()) return;
        wire::ToWire(page->entries, results.initEntries(static_cast<unsigned>(page->entries.size())));
        results.setNextKey(wire::AsData(page->next_key));
        results.setDone(page->done);
      });
}

kj::Promise<void> NodeServer::merkleOpen(MerkleOpenContext context) {
  auto params = context.getParams();
  Status header = CheckHeader(params.getHeader(), Access::kPeer);
  // Two replicas compare the keys both hold by their rings: with different rings (a
  // change still spreading) they would compare different key sets and miss keys.
  uint64_t theirs = params.getHeader().getRingVersion(), ours = s_.membership->RingVersion();
  if (header.ok() && theirs != 0 && theirs != ours) {
    header = Status::Busy("ring versions differ (initiator " + std::to_string(theirs) + ", " + s_.node_id + " " +
                          std::to_string(ours) + "): repair again once gossip has spread the change");
  }
  if (!header.ok() || params.getDepth() > 24) {
    wire::ToWire(header.ok() ? Status::InvalidArgument("merkle depth over 24") : header,
                 context.getResults().initError());
    return kj::READY_NOW;
  }
  AntiEntropy* ae = s_.anti_entropy;
  uint64_t generation = s_.membership->Self().generation;
  using Opened = Result<std::pair<uint64_t, MerkleNode>>;
  return s_.workers
      ->Run<Opened>([ae, peer = wire::ToText(params.getPeer()), range = FromWire(params.getRange()),
                     depth = params.getDepth()]() { return ae->OpenSession(peer, range, depth); })
      .then([context, generation](Opened opened) mutable {
        auto results = context.getResults();
        wire::ToWire(opened.status(), results.initError());
        if (!opened.ok()) return;
        results.setSession(opened->first);
        results.setGeneration(generation);
        results.initRoot().setHash(opened->second.hash);
        results.getRoot().setCount(opened->second.count);
      });
}

kj::Promise<void> NodeServer::merkleNodes(MerkleNodesContext context) {
  auto params = context.getParams();
  auto results = context.getResults();
  Status header = CheckHeader(params.getHeader(), Access::kPeer);
  auto hashes = header.ok() ? s_.anti_entropy->SessionChildHashes(params.getSession(), params.getLevel(),
                                                                  Indices(params.getIndices()))
                            : Result<std::vector<uint64_t>>(header);
  wire::ToWire(hashes.status(), results.initError());
  if (!hashes.ok()) return kj::READY_NOW;
  auto out = results.initHashes(static_cast<unsigned>(hashes->size()));
  for (unsigned i = 0; i < hashes->size(); ++i) out.set(i, (*hashes)[i]);
  return kj::READY_NOW;
}

kj::Promise<void> NodeServer::merkleDigests(MerkleDigestsContext context) {
  auto params = context.getParams();
  auto results = context.getResults();
  Status header = CheckHeader(params.getHeader(), Access::kPeer);
  auto digests = header.ok() ? s_.anti_entropy->SessionDigests(params.getSession(), params.getLevel(),
                                                               Indices(params.getIndices()))
                             : Result<std::vector<KeyDigest>>(header);
  wire::ToWire(digests.status(), results.initError());
  if (!digests.ok()) return kj::READY_NOW;
  auto out = results.initDigests(static_cast<unsigned>(digests->size()));
  for (unsigned i = 0; i < digests->size(); ++i) {
    out[i].setKey(wire::AsData((*digests)[i].key));
    out[i].setVersionHash((*digests)[i].version_hash);
  }
  return kj::READY_NOW;
}

kj::Promise<void> NodeServer::repair(RepairContext context) {
  auto params = context.getParams();
  Status header = CheckAdmin(params.getHeader());
  if (!header.ok()) {
    wire::ToWire(header, context.getResults().initError());
    return kj::READY_NOW;
  }
  AntiEntropy* ae = s_.anti_entropy;
  std::string peer = wire::ToText(params.getPeer());
  TokenRange range = FromWire(params.getRange());
  return s_.maintenance
      ->Submit<Result<RepairStats>>([ae, peer, range](BackgroundLoop::Context& ctx) {
        AntiEntropy::Options options;
        options.try_peers_not_up = true;
        return ae->Repair(ctx, peer, range, options);
      })
      .then([context](Result<RepairStats> stats) mutable {
        auto results = context.getResults();
        wire::ToWire(stats.status(), results.initError());
        if (stats.ok()) ToWire(*stats, stats->peers, results.initStats());
      });
}

kj::Promise<void> NodeServer::decommission(DecommissionContext context) {
  Status s = CheckAdmin(context.getParams().getHeader());
  if (s.ok()) {
    RingState state = s_.membership->Self().ring_state;
    if (state == RingState::kJoining)
      s = Status::InvalidArgument(s_.node_id + " is still joining");
    else if (state != RingState::kNormal && state != RingState::kLeaving)
      s = Status::InvalidArgument(s_.node_id + " has left");
    else if (s_.membership->View()->ring.size() <= 1)
      s = Status::InvalidArgument("the last node cannot leave");
  }
  if (!s.ok()) {
    wire::ToWire(s, context.getResults().initError());
    return kj::READY_NOW;
  }
  // The maintenance thread notices the leaving state and streams our data away. Choosing
  // the heirs of our tokens takes CPU time: on a worker, not on this loop.
  Membership* membership = s_.membership;
  return s_.workers
      ->Run<Status>([membership] {
        membership->StartLeaving();
        return membership->FlushSaves();
      })
      .then([context](Status saved) mutable { wire::ToWire(saved, context.getResults().initError()); });
}

kj::Promise<void> NodeServer::removeNode(RemoveNodeContext context) {
  auto params = context.getParams();
  Status s = CheckAdmin(params.getHeader());
  std::string id = wire::ToText(params.getNodeId());
  if (s.ok() && s_.membership->StatusOf(id) == MemberStatus::kUp && id != s_.node_id) {
    s = Status::InvalidArgument(id + " is up: decommission it instead (kv node decommission " + id + ")");
  }
  if (s.ok()) s = s_.membership->Remove(id, s_.clock->SteadyMs());
  if (!s.ok()) {
    wire::ToWire(s, context.getResults().initError());
    return kj::READY_NOW;
  }
  return WhenMembershipSaved(s_).then(
      [context](Status saved) mutable { wire::ToWire(saved, context.getResults().initError()); });
}

namespace {

// Applies one namespace change to this node's catalog.
Result<NamespaceRecord> ApplyNamespaceChange(Namespaces& namespaces, wire::NamespaceOp op, const std::string& name,
                                             const NamespaceSettings& settings, uint64_t now_ms) {
  switch (op) {
    case wire::NamespaceOp::CREATE:
      return namespaces.Create(name, settings, now_ms);
    case wire::NamespaceOp::ALTER:
      return namespaces.Alter(name, settings, now_ms);
    case wire::NamespaceOp::DROP:
      return namespaces.Drop(name, now_ms);
  }
  return Status::InvalidArgument("unknown namespace operation");
}

}  // namespace

kj::Promise<void> NodeServer::changeNamespace(ChangeNamespaceContext context) {
  auto params = context.getParams();
  Status header = CheckAdmin(params.getHeader());
  Result<NamespaceRecord> change =
      header.ok() ? ApplyNamespaceChange(*s_.namespaces, params.getOp(), wire::ToText(params.getName()),
                                         wire::FromWire(params.getSettings()), s_.clock->WallMs())
                  : Result<NamespaceRecord>(header);
  if (!change.ok()) {
    wire::ToWire(change.status(), context.getResults().initError());
    return kj::READY_NOW;
  }
  // Acknowledged once it is on this node's disk; gossip spreads it from there.
  Namespaces* namespaces = s_.namespaces;
  return s_.workers->Run<Status>([namespaces] { return namespaces->FlushSaves(); })
      .then([context, record = std::move(change).value()](Status saved) mutable {
        auto results = context.getResults();
        wire::ToWire(saved, results.initError());
        if (saved.ok()) wire::ToWire(record, results.initRecord());
      });
}

kj::Promise<void> NodeServer::stats(StatsContext context) {
  auto results = context.getResults();
  Status s = CheckAdmin(context.getParams().getHeader());
  wire::ToWire(s, results.initError());
  if (!s.ok()) return kj::READY_NOW;
  std::vector<MetricSample> stats = CollectNodeSamples(s_);
  auto out = results.initStats(static_cast<unsigned>(stats.size()));
  for (unsigned i = 0; i < stats.size(); ++i) {
    out[i].setName(stats[i].Key());
    out[i].setValue(stats[i].value);
  }
  return kj::READY_NOW;
}

}  // namespace ringkv
