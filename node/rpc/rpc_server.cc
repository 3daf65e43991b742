#include "node/rpc/rpc_server.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <vector>

#include "common/namespace.h"
#include "node/repair/hinted_handoff.h"
#include "node/replica/cross_dc.h"

namespace ringkv {
namespace {

bool WouldBlock(const Status& s) { return s.code() == StatusCode::kBusy; }

std::string_view View(capnp::Data::Reader bytes) {
  return {reinterpret_cast<const char*>(bytes.begin()), bytes.size()};
}
using Mode = ReplicaStore::Mode;

// One stored key of a request, parsed once: its namespace (for metrics) and whether a
// write to it resolves last-writer-wins. The conflict mode is the namespace's, as this
// node's catalog holds it — never the request's (the wire's old lastWriterWins flag is
// ignored). A key of an incarnation this node has not heard of yet (gossip is on its way)
// or of a dropped one resolves as siblings, which loses nothing; the versions written in
// LWW mode remember it, so the next merge here resolves them.
struct KeyRules {
  std::string_view ns = "_other";  // a malformed key's
  bool lww = false;
};
KeyRules RulesFor(const NamespaceCatalog* catalog, std::string_view stored_key) {
  KeyRules rules;
  auto parsed = ParseStoredKey(stored_key);
  if (!parsed.ok()) return rules;
  rules.ns = parsed->name;
  const NamespaceRecord* ns = catalog ? catalog->FindIncarnation(*parsed) : nullptr;
  rules.lww = ns != nullptr && ns->settings.conflict == ConflictMode::kLastWriterWins;
  return rules;
}

}  // namespace

Status NodeServer::CheckAccess(Access need) {
  const bool user = !principal_.user.empty();
  std::string why;
  if (access_ >= need) {
    if (!user || s_.users == nullptr) return Status::OK();
    // A user's login holds as long as the user exists with the password it logged in with.
    std::shared_ptr<const UserCatalog> users = s_.users->Snapshot();  // holds what `record` points into
    const UserRecord* record = users->Find(principal_.user);
    if (record != nullptr && record->salt == principal_.salt) return Status::OK();
    why = "user '" + principal_.user + "' was removed or its password changed: connect again";
  } else if (need == Access::kPeer) {
    why = "node-to-node calls need this cluster's secret (--cluster-secret-file)";
  } else if (user) {
    why = "node " + s_.node_id + ": user '" + principal_.user + "' is unknown or the password is wrong";
  } else {
    why = "node " + s_.node_id + " requires a client token (ClientOptions::token, kv --token-file) or a user";
  }
  if (s_.connections) s_.connections->unauthenticated.fetch_add(1, std::memory_order_relaxed);
  if (!refusal_logged_) {
    refusal_logged_ = true;
    spdlog::warn("refused an unauthenticated connection: {}", why);
  }
  return Status::Unauthenticated(why);
}

Status NodeServer::CheckRole(Role need, std::string_view ns) {
  if (principal_.user.empty() || s_.users == nullptr) return Status::OK();
  std::shared_ptr<const UserCatalog> users = s_.users->Snapshot();  // holds what `record` points into
  const UserRecord* record = users->Find(principal_.user);
  Role has = record != nullptr ? record->RoleOn(ns) : Role::kNone;
  if (has >= need) return Status::OK();
  if (s_.connections) s_.connections->permission_denied.fetch_add(1, std::memory_order_relaxed);
  const std::string where = ns == kAllNamespaces ? std::string("this cluster") : "namespace '" + std::string(ns) + "'";
  return Status::PermissionDenied("user '" + principal_.user + "' needs the " + RoleName(need) + " role on " + where +
                                  " (has: " + RoleName(has) + "; kv user grant " + principal_.user + " " +
                                  RoleName(need) + " " + std::string(ns) + ")");
}

Status NodeServer::CheckKeyRole(Role need, std::string_view stored_key) {
  if (principal_.user.empty()) return Status::OK();
  auto parsed = ParseStoredKey(stored_key);
  if (!parsed.ok()) return parsed.status();
  return CheckRole(need, parsed->name);
}

Status NodeServer::CheckAdmin(wire::RequestHeader::Reader header) {
  RINGKV_TRY(CheckHeader(header));
  return CheckRole(Role::kAdmin, kAllNamespaces);
}

Status NodeServer::CheckHeader(wire::RequestHeader::Reader header, Access need, bool routed) {
  RINGKV_TRY(CheckAccess(need));
  if (header.getProtocolVersion() > wire::PROTOCOL_VERSION) {
    return Status::NotSupported("this node speaks protocol " + std::to_string(wire::PROTOCOL_VERSION) +
                                ", the request uses " + std::to_string(header.getProtocolVersion()));
  }
  auto name = header.getClusterName();
  if (name.size() > 0 && std::string_view(name.cStr(), name.size()) != s_.cluster_name) {
    return Status::InvalidArgument("wrong cluster: node " + s_.node_id + " belongs to '" + s_.cluster_name +
                                   "', the request is for '" + std::string(name.cStr()) + "'");
  }
  if (routed && header.getRingVersion() != 0) {
    uint64_t ours = s_.membership->RingVersion();
    if (header.getRingVersion() < ours) {
      return Status::StaleRing("routed with ring version " + std::to_string(header.getRingVersion()) + ", node " +
                               s_.node_id + " has " + std::to_string(ours));
    }
  }
  return Status::OK();
}

template <typename T>
kj::Promise<void> NodeServer::RunOps(RpcOp rpc, std::vector<Op<T>> ops,
                                     std::function<void(std::vector<Result<T>>)> reply) {
  auto started = std::chrono::steady_clock::now();
  // Counts the call, then answers it.
  auto finish = [metrics = s_.metrics, rpc, started, reply = std::move(reply)](std::vector<Result<T>> all) {
    if (metrics) {
      uint64_t failed = 0;
      for (const auto& r : all) failed += r.ok() ? 0 : 1;
      metrics->Record(rpc, std::chrono::steady_clock::now() - started, all.size(), failed);
    }
    reply(std::move(all));
  };
  std::vector<Result<T>> results;
  results.reserve(ops.size());
  std::vector<size_t> deferred;
  for (size_t i = 0; i < ops.size(); ++i) {
    results.push_back(ops[i](Mode::kNoBlock));
    if (WouldBlock(results.back().status())) deferred.push_back(i);
  }
  if (deferred.empty()) {
    finish(std::move(results));  // fills the reply; it goes out when the returned promise resolves
    return TestReplyDelay();
  }
  using All = std::vector<Result<T>>;
  return s_.workers
      ->Run<All>([ops = std::move(ops), deferred = std::move(deferred), results = std::move(results)]() mutable {
        for (size_t i : deferred) results[i] = ops[i](Mode::kMayBlock);
        return std::move(results);
      })
      .then([finish = std::move(finish)](All all) mutable { finish(std::move(all)); })
      .then([this] { return TestReplyDelay(); });
}

kj::Promise<void> NodeServer::TestReplyDelay() const {
  uint32_t ms = s_.test_reply_delay_ms ? s_.test_reply_delay_ms->load(std::memory_order_relaxed) : 0;
  if (ms == 0 || s_.timer == nullptr) return kj::READY_NOW;
  return s_.timer->afterDelay(ms * kj::MILLISECONDS);
}

std::shared_ptr<const NamespaceCatalog> NodeServer::Catalog() const {
  return s_.namespaces ? s_.namespaces->Snapshot() : nullptr;
}

kj::Promise<void> NodeServer::coordinatePuts(CoordinatePutsContext context) {
  auto params = context.getParams();
  Status header = CheckHeader(params.getHeader(), Access::kClient, true);
  auto catalog = Catalog();
  ReplicaStore* store = s_.store;
  HintStore* hints = s_.hints;
  const Clock* node_clock = s_.clock;
  std::vector<Op<SiblingSet>> ops;
  uint64_t now = node_clock->WallMs();
  for (auto item : params.getPuts()) {
    auto clock = header.ok() ? wire::FromWire(item.getContext()) : Result<VersionVector>(header);
    Sibling write = wire::FromWire(item.getWrite());
    Status valid = clock.ok() ? CheckWriteAge(write, now, s_.max_write_age_ms) : clock.status();
    if (valid.ok()) valid = CheckKeyRole(Role::kWrite, View(item.getKey()));
    if (!valid.ok()) {
      ops.push_back([error = valid](Mode) { return Result<SiblingSet>(error); });
      continue;
    }
    CausalContext read{std::move(clock).value(), wire::FromWire(item.getSupersedes())};
    std::string key = wire::ToBytes(item.getKey());
    KeyRules rules = RulesFor(catalog.get(), key);
    bool lww = rules.lww;
    if (s_.metrics) s_.metrics->CountNamespaceKey(RpcOp::kPut, rules.ns);
    std::string hint_for = wire::ToText(item.getHintFor());
    std::vector<std::string> ship;
    for (auto dc : item.getShipToDcs()) ship.push_back(wire::ToText(dc));
    Op<SiblingSet> coordinate;
    if (hint_for.empty() || hint_for == s_.node_id) {
      coordinate = [store, key, read = std::move(read), write, lww](Mode mode) {
        return store->CoordinatePut(key, read, write, lww, mode);
      };
    } else {
      coordinate = [store, hints, node_clock, hint_for, key, read = std::move(read), write, lww](Mode mode) {
        return hints->CoordinatePut(hint_for, key, read, write, lww, store->DotCounterFloor(), node_clock->WallMs(),
                                    mode);
      };
    }
    if (ship.empty()) {
      ops.push_back(std::move(coordinate));
    } else {
      // Coordinating twice would mint a second version: everything runs on a worker, once.
      ops.push_back(
          [coordinate = std::move(coordinate), hints, node_clock, key, ship, lww](Mode mode) -> Result<SiblingSet> {
            if (mode == Mode::kNoBlock) return Status::Busy("cross-DC queueing runs on a worker");
            RINGKV_ASSIGN(SiblingSet set, coordinate(mode));
            RINGKV_TRY(QueueForDcs(*hints, key, set, ship, lww, node_clock->WallMs(), mode));
            return set;
          });
    }
  }
  return RunOps<SiblingSet>(RpcOp::kPut, std::move(ops), [context](std::vector<Result<SiblingSet>> all) mutable {
    auto results = context.getResults().initResults(static_cast<unsigned>(all.size()));
    for (unsigned i = 0; i < all.size(); ++i) {
      wire::ToWire(all[i].ok() ? Status::OK() : all[i].status(), results[i].initError());
      if (all[i].ok()) wire::ToWire(*all[i], results[i].initResult());
    }
  });
}

kj::Promise<void> NodeServer::replicate(ReplicateContext context) {
  auto params = context.getParams();
  Status header = CheckHeader(params.getHeader(), Access::kClient, true);
  auto catalog = Catalog();
  ReplicaStore* store = s_.store;
  HintStore* hints = s_.hints;
  const Clock* node_clock = s_.clock;
  std::vector<Op<bool>> ops;
  for (auto entry : params.getEntries()) {
    Result<SiblingSet> set = header.ok() ? wire::FromWire(entry.getValue()) : Result<SiblingSet>(header);
    if (set.ok()) {
      // Read repair by a read-only user is refused too (its reads just do not repair).
      if (Status role = CheckKeyRole(Role::kWrite, View(entry.getKey())); !role.ok()) set = role;
    }
    if (!set.ok()) {
      ops.push_back([error = set.status()](Mode) { return Result<bool>(error); });
      continue;
    }
    std::string key = wire::ToBytes(entry.getKey());
    KeyRules rules = RulesFor(catalog.get(), key);
    bool lww = rules.lww;
    if (s_.metrics) s_.metrics->CountNamespaceKey(RpcOp::kReplicate, rules.ns);
    std::string hint_for = wire::ToText(entry.getHintFor());
    if (IsDcTarget(hint_for)) {  // shipped from another DC: apply and fan out here
      ops.push_back([store, hints, node_clock, membership = s_.membership, self = s_.node_id, dc = s_.dc, hint_for, key,
                     set = std::move(set).value(), lww](Mode mode) -> Result<bool> {
        RINGKV_TRY(FanOutInDc(*store, *hints, *membership->View(), self, dc, DcOfTarget(hint_for), key, set, lww,
                              node_clock->WallMs(), mode));
        return true;
      });
    } else if (hint_for.empty() || hint_for == s_.node_id) {
      ops.push_back([store, key, set = std::move(set).value(), lww](Mode mode) -> Result<bool> {
        RINGKV_TRY(store->Merge(key, set, lww, mode).status());
        return true;
      });
    } else {
      ops.push_back([hints, node_clock, hint_for, key, set = std::move(set).value(), lww](Mode mode) -> Result<bool> {
        RINGKV_TRY(hints->Add(hint_for, key, set, lww, node_clock->WallMs(), mode));
        return true;
      });
    }
  }
  return RunOps<bool>(RpcOp::kReplicate, std::move(ops), [context](std::vector<Result<bool>> all) mutable {
    auto errors = context.getResults().initErrors(static_cast<unsigned>(all.size()));
    for (unsigned i = 0; i < all.size(); ++i) wire::ToWire(all[i].status(), errors[i]);
  });
}

kj::Promise<void> NodeServer::get(GetContext context) {
  auto params = context.getParams();
  Status header = CheckHeader(params.getHeader(), Access::kClient, true);
  ReplicaStore* store = s_.store;
  using Found = std::optional<SiblingSet>;
  std::vector<Op<Found>> ops;
  for (auto k : params.getKeys()) {
    Status role = header.ok() ? CheckKeyRole(Role::kRead, View(k)) : header;
    if (!role.ok())
      ops.push_back([role](Mode) { return Result<Found>(role); });
    else {
      std::string key = wire::ToBytes(k);
      if (s_.metrics) {
        auto parsed = ParseStoredKey(key);
        s_.metrics->CountNamespaceKey(RpcOp::kGet, parsed.ok() ? parsed->name : std::string_view("_other"));
      }
      ops.push_back([store, key = std::move(key)](Mode mode) { return store->Get(key, mode); });
    }
  }
  return RunOps<Found>(RpcOp::kGet, std::move(ops), [context](std::vector<Result<Found>> all) mutable {
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
  });
}

kj::Promise<void> NodeServer::ring(RingContext context) {
  auto results = context.getResults();
  Status header = CheckHeader(context.getParams().getHeader());
  wire::ToWire(header, results.initError());
  if (!header.ok()) return kj::READY_NOW;
  auto ring = results.initRing();
  wire::ToWire(*s_.membership->View(), ring);
  auto namespaces = s_.namespaces->Records();
  wire::ToWire(namespaces, ring.initNamespaces(static_cast<unsigned>(namespaces.size())));
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
