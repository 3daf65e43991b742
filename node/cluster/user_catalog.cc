#include "node/cluster/user_catalog.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <tuple>

#include "common/coding.h"
#include "common/hash.h"

namespace ringkv {
namespace {

constexpr char kFormat = 'U';
constexpr uint8_t kFormatVersion = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
constexpr size_t kMinPasswordChars = 16;  // as every secret file (common/security.h)

auto Order(const UserRecord& r) { return std::tie(r.version, r.author); }

Result<std::string> Pbkdf2(std::string_view password, std::string_view salt, uint32_t iterations) {
  std::string out(kHashBytes, '\0');
  if (iterations == 0 ||
      PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                        static_cast<int>(iterations), EVP_sha256(), static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    return Status::IOError("PBKDF2 failed (OpenSSL)");
  }
  return out;
}

void EncodeRecord(const UserRecord& r, std::string* out) {
  PutLengthPrefixed(out, r.name);
  PutLengthPrefixed(out, r.salt);
  PutLengthPrefixed(out, r.hash);
  PutVarint32(out, r.iterations);
  PutVarint32(out, static_cast<uint32_t>(r.grants.size()));
  for (const auto& [ns, role] : r.grants) {
    PutLengthPrefixed(out, ns);
    out->push_back(static_cast<char>(role));
  }
  PutVarint64(out, r.version);
  PutLengthPrefixed(out, r.author);
  out->push_back(r.removed ? 1 : 0);
}

bool DecodeRecord(std::string_view* in, UserRecord* r) {
  std::string_view name, salt, hash, author;
  uint32_t grants = 0;
  if (!GetLengthPrefixed(in, &name) || !GetLengthPrefixed(in, &salt) || !GetLengthPrefixed(in, &hash) ||
      !GetVarint32(in, &r->iterations) || !GetVarint32(in, &grants) || grants > 100'000) {
    return false;
  }
  r->name = std::string(name);
  r->salt = std::string(salt);
  r->hash = std::string(hash);
  for (uint32_t i = 0; i < grants; ++i) {
    std::string_view ns;
    if (!GetLengthPrefixed(in, &ns) || in->empty()) return false;
    auto role = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
    if (role > static_cast<uint8_t>(Role::kAdmin)) return false;
    r->grants[std::string(ns)] = static_cast<Role>(role);
  }
  if (!GetVarint64(in, &r->version) || !GetLengthPrefixed(in, &author) || in->empty()) return false;
  r->author = std::string(author);
  r->removed = (*in)[0] != 0;
  in->remove_prefix(1);
  return true;
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kNone:
      return "none";
    case Role::kRead:
      return "read";
    case Role::kWrite:
      return "write";
    case Role::kAdmin:
      return "admin";
  }
  return "none";
}

Result<Role> ParseRole(std::string_view name) {
  if (name == "read") return Role::kRead;
  if (name == "write") return Role::kWrite;
  if (name == "admin") return Role::kAdmin;
  return Status::InvalidArgument("unknown role '" + std::string(name) + "': read, write or admin");
}

Role UserRecord::RoleOn(std::string_view ns) const {
  Role role = Role::kNone;
  if (auto all = grants.find(std::string(kAllNamespaces)); all != grants.end()) role = all->second;
  if (auto one = grants.find(std::string(ns)); one != grants.end() && one->second > role) role = one->second;
  return role;
}

bool UserRecord::Verify(std::string_view password) const {
  auto computed = Pbkdf2(password, salt, iterations);
  if (!computed.ok() || computed->size() != hash.size()) return false;
  return CRYPTO_memcmp(computed->data(), hash.data(), hash.size()) == 0;
}

Status SetPassword(UserRecord& user, std::string_view password, uint32_t iterations) {
  if (password.size() < kMinPasswordChars) {
    return Status::InvalidArgument("a password needs at least " + std::to_string(kMinPasswordChars) + " characters");
  }
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1) {
    return Status::IOError("no random bytes for a salt (OpenSSL RAND_bytes)");
  }
  RINGKV_ASSIGN(std::string hash, Pbkdf2(password, salt, iterations));
  user.salt = std::move(salt);
  user.hash = std::move(hash);
  user.iterations = iterations;
  return Status::OK();
}

Status ValidateUserName(std::string_view name) {
  if (name.empty() || name.size() > 64) return Status::InvalidArgument("a user name has 1 to 64 characters");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '@' || c == '-';
    if (!ok) return Status::InvalidArgument("user name '" + std::string(name) + "': only [A-Za-z0-9_.@-]");
  }
  return Status::OK();
}

Result<UserRecord> UserCatalog::Changed(UserRecord record, const std::string& author, uint64_t now_ms) {
  record.version = std::max(record.version + 1, now_ms);
  record.author = author;
  users_[record.name] = record;
  return record;
}

Result<UserRecord> UserCatalog::Add(std::string_view name, std::string_view password, const std::string& author,
                                    uint64_t now_ms, uint32_t iterations) {
  RINGKV_TRY(ValidateUserName(name));
  if (Find(name) != nullptr) return Status::InvalidArgument("user '" + std::string(name) + "' exists");
  UserRecord record;
  if (auto old = users_.find(name); old != users_.end()) record.version = old->second.version;  // a tombstone
  record.name = std::string(name);
  RINGKV_TRY(SetPassword(record, password, iterations));
  return Changed(std::move(record), author, now_ms);
}

Result<UserRecord> UserCatalog::Grant(std::string_view name, std::string_view ns, Role role, const std::string& author,
                                      uint64_t now_ms) {
  const UserRecord* user = Find(name);
  if (user == nullptr) return Status::NotFound("no user '" + std::string(name) + "'");
  if (ns.empty()) return Status::InvalidArgument("a grant names a namespace (or * for all)");
  if (role == Role::kAdmin && ns != kAllNamespaces) {
    return Status::InvalidArgument("the admin role is cluster-wide: grant it on * (all namespaces)");
  }
  UserRecord record = *user;
  record.grants[std::string(ns)] = role;
  return Changed(std::move(record), author, now_ms);
}

Result<UserRecord> UserCatalog::Revoke(std::string_view name, std::string_view ns, const std::string& author,
                                       uint64_t now_ms) {
  const UserRecord* user = Find(name);
  if (user == nullptr) return Status::NotFound("no user '" + std::string(name) + "'");
  UserRecord record = *user;
  if (record.grants.erase(std::string(ns)) == 0) {
    return Status::NotFound("user '" + std::string(name) + "' has no grant on '" + std::string(ns) + "'");
  }
  return Changed(std::move(record), author, now_ms);
}

Result<UserRecord> UserCatalog::Remove(std::string_view name, const std::string& author, uint64_t now_ms) {
  const UserRecord* user = Find(name);
  if (user == nullptr) return Status::NotFound("no user '" + std::string(name) + "'");
  UserRecord record;
  record.name = user->name;
  record.version = user->version;
  record.removed = true;
  return Changed(std::move(record), author, now_ms);
}

bool UserCatalog::Merge(std::span<const UserRecord> records) {
  bool changed = false;
  for (const UserRecord& r : records) {
    if (!ValidateUserName(r.name).ok()) continue;
    auto it = users_.find(r.name);
    if (it == users_.end() || Order(it->second) < Order(r)) {
      users_[r.name] = r;
      changed = true;
    }
  }
  return changed;
}

const UserRecord* UserCatalog::Find(std::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() || it->second.removed ? nullptr : &it->second;
}

std::vector<UserRecord> UserCatalog::Records() const {
  std::vector<UserRecord> out;
  for (const auto& [name, r] : users_) out.push_back(r);
  return out;
}

std::vector<UserRecord> UserCatalog::Live() const {
  std::vector<UserRecord> out;
  for (const auto& [name, r] : users_) {
    if (!r.removed) out.push_back(r);
  }
  return out;
}

std::string UserCatalog::Encode() const {
  std::string out;
  out.push_back(kFormat);
  out.push_back(static_cast<char>(kFormatVersion));
  PutVarint32(&out, static_cast<uint32_t>(users_.size()));
  for (const auto& [name, r] : users_) EncodeRecord(r, &out);
  PutFixed64(&out, Hash64(out));
  return out;
}

Result<UserCatalog> UserCatalog::Decode(std::string_view bytes) {
  if (bytes.size() < 2 + 1 + 8 || bytes[0] != kFormat) return Status::Corruption("not a user catalog");
  if (static_cast<uint8_t>(bytes[1]) != kFormatVersion) {
    return Status::NotSupported("user catalog format " + std::to_string(static_cast<uint8_t>(bytes[1])) +
                                " is newer than this build reads");
  }
  std::string_view body = bytes.substr(0, bytes.size() - 8);
  std::string_view tail = bytes.substr(bytes.size() - 8);
  uint64_t checksum = 0;
  if (!GetFixed64(&tail, &checksum) || checksum != Hash64(body)) {
    return Status::Corruption("user catalog checksum mismatch");
  }
  std::string_view in = body.substr(2);
  uint32_t count = 0;
  if (!GetVarint32(&in, &count)) return Status::Corruption("user catalog is truncated");
  std::vector<UserRecord> records;
  for (uint32_t i = 0; i < count; ++i) {
    UserRecord r;
    if (!DecodeRecord(&in, &r)) return Status::Corruption("user catalog record " + std::to_string(i) + " is damaged");
    records.push_back(std::move(r));
  }
  if (!in.empty()) return Status::Corruption("user catalog has trailing bytes");
  UserCatalog catalog;
  catalog.Merge(records);
  return catalog;
}

}  // namespace ringkv
