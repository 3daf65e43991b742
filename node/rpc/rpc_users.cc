// NodeServer's user calls (capnp/kv.capnp changeUser, listUsers): admin only. A change is
// made in this node's user catalog (node/cluster/users.h), answered once saved on this
// node's disk, and spread by gossip.

#include "node/rpc/rpc_server.h"

namespace ringkv {
namespace {

void ToWire(const UserRecord& user, wire::UserInfo::Builder out) {
  out.setName(user.name);
  auto grants = out.initGrants(static_cast<unsigned>(user.grants.size()));
  unsigned i = 0;
  for (const auto& [ns, role] : user.grants) {
    grants[i].setNamespace(ns);
    grants[i].setRole(ToWireRole(role));
    ++i;
  }
}

// One change, run on a worker (an add hashes the password, slowly on purpose).
Result<UserRecord> ApplyUserChange(Users& users, wire::UserOp op, const std::string& name, const std::string& password,
                                   Role role, const std::string& ns, uint64_t now_ms) {
  switch (op) {
    case wire::UserOp::ADD: {
      if (role == Role::kAdmin && !ns.empty() && ns != kAllNamespaces) {  // checked before anything is added
        return Status::InvalidArgument("the admin role is cluster-wide: grant it on * (all namespaces)");
      }
      RINGKV_ASSIGN(UserRecord added, users.Add(name, password, now_ms));
      if (role == Role::kNone) return added;
      return users.Grant(name, ns.empty() ? std::string(kAllNamespaces) : ns, role, now_ms);
    }
    case wire::UserOp::GRANT:
      if (role == Role::kNone) return Status::InvalidArgument("grant which role: read, write or admin");
      return users.Grant(name, ns, role, now_ms);
    case wire::UserOp::REVOKE:
      return users.Revoke(name, ns, now_ms);
    case wire::UserOp::REMOVE:
      return users.Remove(name, now_ms);
  }
  return Status::InvalidArgument("unknown user operation");
}

}  // namespace

kj::Promise<void> NodeServer::changeUser(ChangeUserContext context) {
  auto params = context.getParams();
  Status header = CheckAdmin(params.getHeader());
  if (header.ok() && s_.users == nullptr) header = Status::NotSupported("this node keeps no users");
  if (!header.ok()) {
    wire::ToWire(header, context.getResults().initError());
    return kj::READY_NOW;
  }
  Users* users = s_.users;
  return s_.workers
      ->Run<Result<UserRecord>>([users, op = params.getOp(), name = wire::ToText(params.getName()),
                                 password = wire::ToBytes(params.getPassword()), role = FromWireRole(params.getRole()),
                                 ns = wire::ToText(params.getNamespace()),
                                 now = s_.clock->WallMs()]() -> Result<UserRecord> {
        RINGKV_ASSIGN(UserRecord changed, ApplyUserChange(*users, op, name, password, role, ns, now));
        RINGKV_TRY(users->FlushSaves());
        return changed;
      })
      .then([context](Result<UserRecord> changed) mutable {
        auto results = context.getResults();
        wire::ToWire(changed.status(), results.initError());
        if (changed.ok()) ToWire(*changed, results.initUser());
      });
}

kj::Promise<void> NodeServer::listUsers(ListUsersContext context) {
  auto results = context.getResults();
  Status header = CheckAdmin(context.getParams().getHeader());
  wire::ToWire(header, results.initError());
  if (!header.ok() || s_.users == nullptr) return kj::READY_NOW;
  std::vector<UserRecord> live = s_.users->Snapshot()->Live();
  auto out = results.initUsers(static_cast<unsigned>(live.size()));
  for (unsigned i = 0; i < live.size(); ++i) ToWire(live[i], out[i]);
  return kj::READY_NOW;
}

}  // namespace ringkv
