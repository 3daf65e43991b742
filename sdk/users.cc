// Client's user management (ringkv/client.h AddUser ... ListUsers): each call goes to one
// live node (capnp/kv.capnp changeUser, listUsers), which checks the caller's admin role.

#include "capnp/bounded.h"
#include "capnp/convert.h"
#include "capnp/request_header.h"
#include "ringkv/client.h"
#include "sdk/client_impl.h"

namespace ringkv {
namespace {

Result<wire::Role> RoleFromName(const std::string& role) {
  if (role.empty()) return wire::Role::NONE;
  if (role == "read") return wire::Role::READ;
  if (role == "write") return wire::Role::WRITE;
  if (role == "admin") return wire::Role::ADMIN;
  return Status::InvalidArgument("unknown role '" + role + "': read, write or admin");
}

const char* RoleName(wire::Role role) {
  switch (role) {
    case wire::Role::READ:
      return "read";
    case wire::Role::WRITE:
      return "write";
    case wire::Role::ADMIN:
      return "admin";
    case wire::Role::NONE:
      break;
  }
  return "none";
}

UserInfo FromWire(wire::UserInfo::Reader in) {
  UserInfo user{wire::ToText(in.getName()), {}};
  for (auto g : in.getGrants()) user.grants[wire::ToText(g.getNamespace())] = RoleName(g.getRole());
  return user;
}

bool Unreachable(const Status& s) { return s.IsUnavailable() || s.IsTimedOut(); }

template <typename T>
kj::Promise<Result<T>> Bounded(kj::Timer& timer, kj::Promise<Result<T>> call, std::chrono::milliseconds limit) {
  return wire::Bounded(timer, kj::mv(call), limit, [limit]() -> Result<T> {
    return Status::TimedOut("no answer in " + std::to_string(limit.count()) + " ms");
  });
}

}  // namespace

Status Client::ChangeUser(UserOp op, const std::string& name, const std::string& password, const std::string& role,
                          const std::string& ns) {
  Client::Impl& impl = *impl_;
  RINGKV_ASSIGN(wire::Role wire_role, RoleFromName(role));
  wire::UserOp wire_op = op == UserOp::kAdd      ? wire::UserOp::ADD
                         : op == UserOp::kGrant  ? wire::UserOp::GRANT
                         : op == UserOp::kRevoke ? wire::UserOp::REVOKE
                                                 : wire::UserOp::REMOVE;
  RINGKV_TRY(impl.SyncAllowed());
  auto ring = impl.Ring();
  std::string errors;
  for (const RingNode& n : ring->ring.nodes()) {
    if (!ring->IsUp(n.id)) continue;
    auto done = impl.RunSync<bool>([&]() {
      auto req = impl.pool().Get(n.address).changeUserRequest();
      wire::FillRequestHeader(req.initHeader(), impl.ClusterName());
      req.setOp(wire_op);
      req.setName(name);
      req.setPassword(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(password.data()), password.size()));
      req.setRole(wire_role);
      req.setNamespace(ns);
      auto call = req.send().then(
          [](capnp::Response<wire::Node::ChangeUserResults>&& resp) -> Result<bool> {
            RINGKV_TRY(wire::FromWire(resp.getError()));
            return true;
          },
          [address = n.address](kj::Exception&& e) -> Result<bool> {
            return Status::Unavailable(address + ": " + e.getDescription().cStr());
          });
      // An add hashes the password on the node (slow on purpose): a longer bound.
      return Bounded(impl.timer(), kj::mv(call), impl.options().timeout + std::chrono::seconds(5));
    });
    if (done.ok() || !Unreachable(done.status())) return done.status();
    errors += (errors.empty() ? "" : "; ") + done.status().ToString();
  }
  return Status::Unavailable("no live node took the user change: " + errors);
}

Status Client::AddUser(const std::string& name, const std::string& password, const std::string& role,
                       const std::string& ns) {
  return ChangeUser(UserOp::kAdd, name, password, role, ns);
}

Status Client::GrantUser(const std::string& name, const std::string& role, const std::string& ns) {
  if (role.empty()) return Status::InvalidArgument("grant which role: read, write or admin");
  return ChangeUser(UserOp::kGrant, name, {}, role, ns);
}

Status Client::RevokeUser(const std::string& name, const std::string& ns) {
  return ChangeUser(UserOp::kRevoke, name, {}, {}, ns);
}

Status Client::RemoveUser(const std::string& name) { return ChangeUser(UserOp::kRemove, name, {}, {}, {}); }

Result<std::vector<UserInfo>> Client::ListUsers() {
  Client::Impl& impl = *impl_;
  RINGKV_TRY(impl.SyncAllowed());
  auto ring = impl.Ring();
  std::string errors;
  for (const RingNode& n : ring->ring.nodes()) {
    if (!ring->IsUp(n.id)) continue;
    auto listed = impl.RunSync<std::vector<UserInfo>>([&]() {
      auto req = impl.pool().Get(n.address).listUsersRequest();
      wire::FillRequestHeader(req.initHeader(), impl.ClusterName());
      auto call = req.send().then(
          [](capnp::Response<wire::Node::ListUsersResults>&& resp) -> Result<std::vector<UserInfo>> {
            RINGKV_TRY(wire::FromWire(resp.getError()));
            std::vector<UserInfo> users;
            for (auto u : resp.getUsers()) users.push_back(FromWire(u));
            return users;
          },
          [address = n.address](kj::Exception&& e) -> Result<std::vector<UserInfo>> {
            return Status::Unavailable(address + ": " + e.getDescription().cStr());
          });
      return Bounded(impl.timer(), kj::mv(call), impl.options().timeout);
    });
    if (listed.ok() || !Unreachable(listed.status())) return listed;
    errors += (errors.empty() ? "" : "; ") + listed.status().ToString();
  }
  return Status::Unavailable("no live node listed the users: " + errors);
}

}  // namespace ringkv
