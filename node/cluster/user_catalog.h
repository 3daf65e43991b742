#pragma once
// UserCatalog: the cluster's users, their roles per namespace and their hashed passwords.
// Pure (no locks, no I/O): node/cluster/users.h keeps a node's copy, persists it in the
// data directory's USERS file and spreads it by gossip with the namespace catalog.
//
// Why in gossip (like namespaces) and not in a file every node reads: `kv user add` on any
// node reaches every node within a few gossip rounds and survives restarts, with no file
// to copy between hosts; a node that was down catches up from its first exchange.
//
// Each user is one record; gossip keeps the larger (version, author), so concurrent changes
// of one user through two nodes converge to the same record everywhere (the later wins).
// A removed user stays as a tombstone (removed = true), so it cannot come back by gossip.
//
// Passwords are stored as PBKDF2-HMAC-SHA256 (OpenSSL) of a random 16-byte salt, with the
// record's iteration count; Verify compares in constant time. Never the password itself.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringkv/status.h"

namespace ringkv {

// Ordered: each role includes the ones below it.
enum class Role : uint8_t {
  kNone = 0,
  kRead = 1,   // get, scan, count
  kWrite = 2,  // also put, delete (and replicate, which a coordinating client sends)
  kAdmin = 3,  // also every admin call (with the grant on "*": repair, nodes, namespaces, users)
};

const char* RoleName(Role role);
Result<Role> ParseRole(std::string_view name);  // "read", "write", "admin"

// The namespace a grant on every namespace names.
inline constexpr std::string_view kAllNamespaces = "*";

struct UserRecord {
  std::string name;
  std::string salt;  // random bytes; a new password gets a new salt
  std::string hash;  // PBKDF2-HMAC-SHA256(password, salt, iterations), 32 bytes
  uint32_t iterations = 0;
  std::map<std::string, Role> grants;  // namespace (or "*") -> role
  uint64_t version = 0;
  std::string author;
  bool removed = false;

  // The role on `ns`: the larger of its grant on `ns` and its grant on "*".
  Role RoleOn(std::string_view ns) const;
  // Whether `password` is this user's (constant time in the comparison).
  bool Verify(std::string_view password) const;
};

// The iteration count new passwords get (OWASP 2023 suggests 600,000 for PBKDF2-SHA256;
// a login costs one verification per connection, on a worker thread, never the event loop).
inline constexpr uint32_t kPasswordIterations = 200'000;

// A fresh salt and hash of `password` (InvalidArgument under 16 characters, as secret files).
Status SetPassword(UserRecord& user, std::string_view password, uint32_t iterations = kPasswordIterations);

// A user name: 1..64 characters of [A-Za-z0-9_.@-].
Status ValidateUserName(std::string_view name);

class UserCatalog {
 public:
  // Changes authored by `author` at `now_ms`; each bumps the user's version.
  Result<UserRecord> Add(std::string_view name, std::string_view password, const std::string& author, uint64_t now_ms,
                         uint32_t iterations = kPasswordIterations);
  Result<UserRecord> Grant(std::string_view name, std::string_view ns, Role role, const std::string& author,
                           uint64_t now_ms);
  Result<UserRecord> Revoke(std::string_view name, std::string_view ns, const std::string& author, uint64_t now_ms);
  Result<UserRecord> Remove(std::string_view name, const std::string& author, uint64_t now_ms);

  // Keeps, per user, the record with the larger (version, author). True if anything changed.
  bool Merge(std::span<const UserRecord> records);

  const UserRecord* Find(std::string_view name) const;  // live users only
  std::vector<UserRecord> Records() const;              // removed ones included (gossip)
  std::vector<UserRecord> Live() const;

  // The catalog as bytes (the USERS file) and back; Corruption if damaged.
  std::string Encode() const;
  static Result<UserCatalog> Decode(std::string_view bytes);

 private:
  Result<UserRecord> Changed(UserRecord record, const std::string& author, uint64_t now_ms);
  std::map<std::string, UserRecord, std::less<>> users_;
};

}  // namespace ringkv
