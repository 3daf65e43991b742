#include "node/rpc_server.h"

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
  ReplicaStore* store = s_.store;
  return s_.workers
      ->Run<Result<SiblingSet>>([store, key = std::move(key), clock = std::move(clock).value(),
                                 write = std::move(write), lww]() mutable {
        return store->CoordinatePut(key, clock, std::move(write), lww);
      })
      .then([context](Result<SiblingSet> result) mutable {
        auto results = context.getResults();
        if (!result.ok()) {
          wire::ToWire(result.status(), results.initError());
          return;
        }
        wire::ToWire(Status::OK(), results.initError());
        wire::ToWire(*result, results.initResult());
      });
}

kj::Promise<void> NodeServer::replicate(ReplicateContext context) {
  auto params = context.getParams();
  auto entries = params.getEntries();
  Status header = CheckHeader(params.getHeader());
  // Decode everything on the loop; bad entries get their error without touching storage.
  std::vector<std::pair<std::string, Result<SiblingSet>>> work;
  work.reserve(entries.size());
  for (auto e : entries) {
    Result<SiblingSet> set = header.ok() ? wire::FromWire(e.getValue()) : Result<SiblingSet>(header);
    work.emplace_back(CopyData(e.getKey()), std::move(set));
  }
  bool lww = params.getLastWriterWins();
  ReplicaStore* store = s_.store;
  return s_.workers
      ->Run<std::vector<Status>>([store, work = std::move(work), lww]() {
        std::vector<Status> statuses;
        statuses.reserve(work.size());
        for (const auto& [key, set] : work) {
          statuses.push_back(set.ok() ? store->Merge(key, *set, lww).status() : set.status());
        }
        return statuses;
      })
      .then([context](std::vector<Status> statuses) mutable {
        auto errors = context.getResults().initErrors(static_cast<unsigned>(statuses.size()));
        for (unsigned i = 0; i < statuses.size(); ++i) wire::ToWire(statuses[i], errors[i]);
      });
}

kj::Promise<void> NodeServer::get(GetContext context) {
  auto params = context.getParams();
  Status header = CheckHeader(params.getHeader());
  std::vector<std::string> keys;
  for (auto k : params.getKeys()) keys.push_back(CopyData(k));
  if (!header.ok()) {
    auto results = context.getResults().initResults(static_cast<unsigned>(keys.size()));
    for (auto r : results) wire::ToWire(header, r.initError());
    return kj::READY_NOW;
  }
  ReplicaStore* store = s_.store;
  using Found = std::vector<Result<std::optional<SiblingSet>>>;
  return s_.workers
      ->Run<Found>([store, keys = std::move(keys)]() {
        Found found;
        found.reserve(keys.size());
        for (const auto& k : keys) found.push_back(store->Get(k));
        return found;
      })
      .then([context](Found found) mutable {
        auto results = context.getResults().initResults(static_cast<unsigned>(found.size()));
        for (unsigned i = 0; i < found.size(); ++i) {
          if (!found[i].ok()) {
            wire::ToWire(found[i].status(), results[i].initError());
          } else if (!found[i]->has_value()) {
            wire::ToWire(Status::NotFound("no versions stored"), results[i].initError());
          } else {
            wire::ToWire(Status::OK(), results[i].initError());
            wire::ToWire(**found[i], results[i].initValue());
          }
        }
      });
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
