#include "node/rpc_server.h"

#include <tuple>
#include <vector>

namespace ringkv {
namespace {

std::string CopyData(capnp::Data::Reader d) { return std::string(reinterpret_cast<const char*>(d.begin()), d.size()); }

}  // namespace

Status NodeServer::CheckHeader(wire::RequestHeader::Reader header) const {
  if (header.getProtocolVersion() > wire::PROTOCOL_VERSION) {
    return Status::NotSupported("this node speaks protocol " + std::to_string(wire::PROTOCOL_VERSION) +
                                ", the request uses " + std::to_string(header.getProtocolVersion()));
  }
  auto name = header.getClusterName();
  if (name.size() > 0 && std::string_view(name.cStr(), name.size()) != s_.cluster_name) {
    return Status::InvalidArgument("wrong cluster: node " + s_.node_id + " belongs to '" + s_.cluster_name +
                                   "', the request is for '" + std::string(name.cStr()) + "'");
  }
  return Status::OK();
}

// Each handler first tries to answer on the event loop without blocking (memtable and
// block-cache hits, no fsync wait, an uncontended key); only what would block goes to the
// worker pool. Busy from the non-blocking attempt means "nothing done, retry elsewhere".

namespace {
bool WouldBlock(const Status& s) { return s.code() == StatusCode::kBusy; }
using Mode = ReplicaStore::Mode;
}  // namespace

kj::Promise<void> NodeServer::coordinatePut(CoordinatePutContext context) {
  auto params = context.getParams();
  Status header = CheckHeader(params.getHeader());
  auto clock = wire::FromWire(params.getContext());
  if (!header.ok() || !clock.ok()) {
    wire::ToWire(header.ok() ? clock.status() : header, context.getResults().initError());
    return kj::READY_NOW;
  }
  std::string key = CopyData(params.getKey());
  Sibling write = wire::FromWire(params.getWrite());
  bool lww = params.getLastWriterWins();
  auto reply = [context](Result<SiblingSet> result) mutable {
    auto results = context.getResults();
    wire::ToWire(result.ok() ? Status::OK() : result.status(), results.initError());
    if (result.ok()) wire::ToWire(*result, results.initResult());
  };
  auto now = s_.store->CoordinatePut(key, *clock, write, lww, Mode::kNoBlock);
  if (!WouldBlock(now.status())) {
    reply(std::move(now));
    return kj::READY_NOW;
  }
  ReplicaStore* store = s_.store;
  return s_.workers
      ->Run<Result<SiblingSet>>([store, key = std::move(key), clock = std::move(clock).value(),
                                 write = std::move(write), lww]() mutable {
        return store->CoordinatePut(key, clock, std::move(write), lww);
      })
      .then(kj::mv(reply));
}

kj::Promise<void> NodeServer::coordinatePuts(CoordinatePutsContext context) {
  auto params = context.getParams();
  auto puts = params.getPuts();
  Status header = CheckHeader(params.getHeader());
  bool lww = params.getLastWriterWins();
  using Outcome = std::vector<Result<SiblingSet>>;
  Outcome outcomes;
  outcomes.reserve(puts.size());
  std::vector<std::tuple<size_t, std::string, VersionVector, Sibling>> deferred;
  for (auto item : puts) {
    auto clock = header.ok() ? wire::FromWire(item.getContext()) : Result<VersionVector>(header);
    if (!clock.ok()) {
      outcomes.emplace_back(clock.status());
      continue;
    }
    std::string key = CopyData(item.getKey());
    Sibling write = wire::FromWire(item.getWrite());
    outcomes.push_back(s_.store->CoordinatePut(key, *clock, write, lww, Mode::kNoBlock));
    if (WouldBlock(outcomes.back().status())) {
      deferred.emplace_back(outcomes.size() - 1, std::move(key), std::move(clock).value(), std::move(write));
    }
  }
  auto reply = [context](Outcome all) mutable {
    auto results = context.getResults().initResults(static_cast<unsigned>(all.size()));
    for (unsigned i = 0; i < all.size(); ++i) {
      wire::ToWire(all[i].ok() ? Status::OK() : all[i].status(), results[i].initError());
      if (all[i].ok()) wire::ToWire(*all[i], results[i].initResult());
    }
  };
  if (deferred.empty()) {
    reply(std::move(outcomes));
    return kj::READY_NOW;
  }
  ReplicaStore* store = s_.store;
  return s_.workers
      ->Run<Outcome>([store, deferred = std::move(deferred), outcomes = std::move(outcomes), lww]() mutable {
        for (auto& [i, key, clock, write] : deferred) outcomes[i] = store->CoordinatePut(key, clock, write, lww);
        return std::move(outcomes);
      })
      .then(kj::mv(reply));
}

kj::Promise<void> NodeServer::replicate(ReplicateContext context) {
  auto params = context.getParams();
  auto entries = params.getEntries();
  Status header = CheckHeader(params.getHeader());
  bool lww = params.getLastWriterWins();
  // Decode and try each entry on the loop; keep the ones that would block for the pool.
  std::vector<Status> statuses(entries.size());
  std::vector<std::tuple<size_t, std::string, SiblingSet>> deferred;
  for (unsigned i = 0; i < entries.size(); ++i) {
    Result<SiblingSet> set = header.ok() ? wire::FromWire(entries[i].getValue()) : Result<SiblingSet>(header);
    if (!set.ok()) {
      statuses[i] = set.status();
      continue;
    }
    std::string key = CopyData(entries[i].getKey());
    Status now = s_.store->Merge(key, *set, lww, Mode::kNoBlock).status();
    if (WouldBlock(now)) deferred.emplace_back(i, std::move(key), std::move(set).value());
    else statuses[i] = now;
  }
  auto reply = [context](std::vector<Status> all) mutable {
    auto errors = context.getResults().initErrors(static_cast<unsigned>(all.size()));
    for (unsigned i = 0; i < all.size(); ++i) wire::ToWire(all[i], errors[i]);
  };
  if (deferred.empty()) {
    reply(std::move(statuses));
    return kj::READY_NOW;
  }
  ReplicaStore* store = s_.store;
  return s_.workers
      ->Run<std::vector<Status>>([store, deferred = std::move(deferred), statuses = std::move(statuses), lww]() mutable {
        for (const auto& [i, key, set] : deferred) statuses[i] = store->Merge(key, set, lww).status();
        return std::move(statuses);
      })
      .then(kj::mv(reply));
}

kj::Promise<void> NodeServer::get(GetContext context) {
  auto params = context.getParams();
  Status header = CheckHeader(params.getHeader());
  using Found = std::vector<Result<std::optional<SiblingSet>>>;
  Found found;
  std::vector<std::pair<size_t, std::string>> deferred;
  for (auto k : params.getKeys()) {
    if (!header.ok()) {
      found.emplace_back(header);
      continue;
    }
    std::string key = CopyData(k);
    found.push_back(s_.store->Get(key, Mode::kNoBlock));
    if (WouldBlock(found.back().status())) deferred.emplace_back(found.size() - 1, std::move(key));
  }
  auto reply = [context](Found all) mutable {
    auto results = context.getResults().initResults(static_cast<unsigned>(all.size()));
    for (unsigned i = 0; i < all.size(); ++i) {
      if (!all[i].ok()) {
        wire::ToWire(all[i].status(), results[i].initError());
      } else if (!all[i]->has_value()) {
        wire::ToWire(Status::NotFound("no versions stored"), results[i].initError());
      } else {
        wire::ToWire(Status::OK(), results[i].initError());
        wire::ToWire(**all[i], results[i].initValue());
      }
    }
  };
  if (deferred.empty()) {
    reply(std::move(found));
    return kj::READY_NOW;
  }
  ReplicaStore* store = s_.store;
  return s_.workers
      ->Run<Found>([store, deferred = std::move(deferred), found = std::move(found)]() mutable {
        for (const auto& [i, key] : deferred) found[i] = store->Get(key);
        return std::move(found);
      })
      .then(kj::mv(reply));
}

kj::Promise<void> NodeServer::ring(RingContext context) {
  auto results = context.getResults();
  Status header = CheckHeader(context.getParams().getHeader());
  wire::ToWire(header, results.initError());
  if (header.ok()) wire::ToWire(*s_.ring, results.initRing());
  return kj::READY_NOW;
}

kj::Promise<void> NodeServer::ping(PingContext context) {
  auto results = context.getResults();
  wire::ToWire(CheckHeader(context.getParams().getHeader()), results.initError());
  results.setNodeId(s_.node_id);
  results.setProtocolVersion(wire::PROTOCOL_VERSION);
  return kj::READY_NOW;
}

}  // namespace ringkv
