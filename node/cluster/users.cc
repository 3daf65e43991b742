#include "node/cluster/users.h"

#include <filesystem>

#include "capnp/convert.h"
#include "node/storage/file.h"

namespace ringkv {

Users::Users(std::string state_file, std::string self_id, UserCatalog catalog)
    : self_id_(std::move(self_id)),
      catalog_(std::move(catalog)),
      snapshot_(std::make_shared<const UserCatalog>(catalog_)),
      saver_(std::move(state_file), [this] { return Render(); }) {}

Result<std::unique_ptr<Users>> Users::Open(std::string state_file, std::string self_id) {
  UserCatalog catalog;
  std::error_code ec;
  if (std::filesystem::exists(state_file, ec)) {
    RINGKV_ASSIGN(std::string bytes, storage::ReadFileToString(state_file));
    auto saved = UserCatalog::Decode(bytes);
    if (!saved.ok()) return Status::Corruption(state_file + ": " + saved.status().message());
    catalog = std::move(saved).value();
  }
  std::string path = state_file;
  std::unique_ptr<Users> users(new Users(std::move(state_file), std::move(self_id), std::move(catalog)));
  if (Status s = storage::WriteFileAtomically(path, users->Render()); !s.ok()) {
    return Status::IOError("cannot save the user catalog: " + s.ToString());
  }
  return users;
}

std::string Users::Render() const {
  std::shared_ptr<const UserCatalog> copy = Snapshot();
  return copy->Encode();
}

Result<UserRecord> Users::Saved(Result<UserRecord> change) {
  if (change.ok()) {
    snapshot_ = std::make_shared<const UserCatalog>(catalog_);
    saver_.MarkDirty();
  }
  return change;
}

Result<UserRecord> Users::Add(std::string_view name, std::string_view password, uint64_t now_ms) {
  // The slow hash outside the lock: a user record of its own, then merged in.
  UserCatalog scratch;
  RINGKV_ASSIGN(UserRecord fresh, scratch.Add(name, password, self_id_, now_ms));
  MutexLock lock(&mu_);
  if (catalog_.Find(name) != nullptr) return Status::InvalidArgument("user '" + std::string(name) + "' exists");
  for (const UserRecord& r : catalog_.Records()) {
    if (r.name == fresh.name) fresh.version = std::max(fresh.version, r.version + 1);  // past its tombstone
  }
  catalog_.Merge(std::span<const UserRecord>(&fresh, 1));
  return Saved(fresh);
}

Result<UserRecord> Users::Grant(std::string_view name, std::string_view ns, Role role, uint64_t now_ms) {
  MutexLock lock(&mu_);
  return Saved(catalog_.Grant(name, ns, role, self_id_, now_ms));
}

Result<UserRecord> Users::Revoke(std::string_view name, std::string_view ns, uint64_t now_ms) {
  MutexLock lock(&mu_);
  return Saved(catalog_.Revoke(name, ns, self_id_, now_ms));
}

Result<UserRecord> Users::Remove(std::string_view name, uint64_t now_ms) {
  MutexLock lock(&mu_);
  return Saved(catalog_.Remove(name, self_id_, now_ms));
}

void Users::Merge(std::span<const UserRecord> records) {
  MutexLock lock(&mu_);
  if (catalog_.Merge(records)) {
    snapshot_ = std::make_shared<const UserCatalog>(catalog_);
    saver_.MarkDirty();
  }
}

std::vector<UserRecord> Users::Records() const {
  MutexLock lock(&mu_);
  return catalog_.Records();
}

std::shared_ptr<const UserCatalog> Users::Snapshot() const {
  MutexLock lock(&mu_);
  return snapshot_;
}

wire::Role ToWireRole(Role role) { return static_cast<wire::Role>(static_cast<uint16_t>(role)); }

Role FromWireRole(wire::Role role) {
  auto value = static_cast<uint16_t>(role);
  return value <= static_cast<uint16_t>(Role::kAdmin) ? static_cast<Role>(value) : Role::kNone;
}

void ToWire(const std::vector<UserRecord>& records, capnp::List<wire::UserRecord>::Builder out) {
  auto bytes = [](const std::string& s) {
    return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(s.data()), s.size());
  };
  for (unsigned i = 0; i < records.size(); ++i) {
    const UserRecord& r = records[i];
    auto w = out[i];
    w.setName(r.name);
    w.setSalt(bytes(r.salt));
    w.setHash(bytes(r.hash));
    w.setIterations(r.iterations);
    auto grants = w.initGrants(static_cast<unsigned>(r.grants.size()));
    unsigned g = 0;
    for (const auto& [ns, role] : r.grants) {
      grants[g].setNamespace(ns);
      grants[g].setRole(ToWireRole(role));
      ++g;
    }
    w.setVersion(r.version);
    w.setAuthor(r.author);
    w.setRemoved(r.removed);
  }
}

std::vector<UserRecord> UsersFromWire(capnp::List<wire::UserRecord>::Reader in) {
  std::vector<UserRecord> out;
  for (auto w : in) {
    UserRecord r;
    r.name = wire::ToText(w.getName());
    if (!ValidateUserName(r.name).ok()) continue;
    r.salt = wire::ToBytes(w.getSalt());
    r.hash = wire::ToBytes(w.getHash());
    r.iterations = w.getIterations();
    for (auto g : w.getGrants()) r.grants[wire::ToText(g.getNamespace())] = FromWireRole(g.getRole());
    r.version = w.getVersion();
    r.author = wire::ToText(w.getAuthor());
    r.removed = w.getRemoved();
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace ringkv
