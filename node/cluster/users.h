#pragma once
// Users: this node's copy of the cluster's user catalog (node/cluster/user_catalog.h)
// behind a lock, persisted in the data directory's USERS file and spread by gossip along
// with the namespace catalog. Built like Namespaces (node/cluster/namespaces.h): Open()
// writes the file before it returns; afterwards a change only marks it dirty and a
// StateFileWriter thread saves it (atomically, fsynced), so nothing here does file I/O
// or holds the lock during I/O. FlushSaves() (on a worker) acknowledges an admin change
// once it is on disk.
//
// Snapshot() is what the RPC gate reads on every call of a user's connection: an immutable
// copy, replaced on every change, so a revoke or a removal applies to the next call of
// every open connection. Adding a user hashes its password (PBKDF2, slow on purpose): call
// Add on a worker, never on the event loop.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "capnp/kv.capnp.h"
#include "common/mutex.h"
#include "node/cluster/state_file_writer.h"
#include "node/cluster/user_catalog.h"
#include "ringkv/status.h"

namespace ringkv {

class Users {
 public:
  // Restores the catalog from `state_file` if it exists (Corruption if it is damaged),
  // else starts empty. `self_id` authors the changes made through this node.
  static Result<std::unique_ptr<Users>> Open(std::string state_file, std::string self_id);

  // Changes made through this node (each is saved and spreads by gossip).
  Result<UserRecord> Add(std::string_view name, std::string_view password, uint64_t now_ms);
  Result<UserRecord> Grant(std::string_view name, std::string_view ns, Role role, uint64_t now_ms);
  Result<UserRecord> Revoke(std::string_view name, std::string_view ns, uint64_t now_ms);
  Result<UserRecord> Remove(std::string_view name, uint64_t now_ms);

  // Gossip.
  void Merge(std::span<const UserRecord> records);
  std::vector<UserRecord> Records() const;

  std::shared_ptr<const UserCatalog> Snapshot() const;

  Status FlushSaves() { return saver_.Flush(); }

 private:
  Users(std::string state_file, std::string self_id, UserCatalog catalog);
  std::string Render() const;
  Result<UserRecord> Saved(Result<UserRecord> change) REQUIRES(mu_);

  const std::string self_id_;
  mutable Mutex mu_;
  UserCatalog catalog_ GUARDED_BY(mu_);
  std::shared_ptr<const UserCatalog> snapshot_ GUARDED_BY(mu_);
  StateFileWriter saver_;  // last: its thread renders the catalog, so it stops first
};

// Gossip's form of the records (capnp/kv.capnp UserRecord), and back; records that do not
// parse (a bad name or role) are skipped.
void ToWire(const std::vector<UserRecord>& records, capnp::List<wire::UserRecord>::Builder out);
std::vector<UserRecord> UsersFromWire(capnp::List<wire::UserRecord>::Reader in);
wire::Role ToWireRole(Role role);
Role FromWireRole(wire::Role role);

}  // namespace ringkv
