#pragma once
// Namespaces: this node's copy of the cluster's namespace catalog (common/namespace_catalog.h)
// behind a lock, persisted in the data directory's NAMESPACES file and spread by gossip.
//
// Every thread reads it: the RPC loop (ring snapshots, gossip merges, admin changes) and
// the gossip thread. Saving works as Membership's does: Open() writes the file before it
// returns; afterwards a change only marks it dirty and a StateFileWriter thread writes the
// latest catalog atomically (fsync of the file and the directory), so no call here does
// file I/O or holds the lock during I/O. WhenSaved() (FlushSaves on a worker) is how an
// admin change is acknowledged only once it is on disk.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "common/namespace_catalog.h"
#include "common/published_catalog.h"
#include "node/cluster/state_file_writer.h"
#include "ringkv/status.h"

namespace ringkv {

struct NamespacesOptions {
  std::string state_file;              // <data>/NAMESPACES
  std::string self_id;                 // the author of changes made through this node
  NamespaceSettings default_settings;  // of the default namespace, on a node with no file yet
  // Where every change is published for lock-free readers (the node's, which outlives this);
  // null: a copy of its own.
  PublishedCatalog* published = nullptr;
};

class Namespaces {
 public:
  // Restores the catalog from `state_file` if it exists (Corruption if it is damaged: the
  // node must not start with a catalog it cannot read), else starts with the default one.
  static Result<std::unique_ptr<Namespaces>> Open(NamespacesOptions options);

  // Changes made through this node (each is saved and spreads by gossip).
  Result<NamespaceRecord> Create(std::string_view name, const NamespaceSettings& settings, uint64_t now_ms);
  Result<NamespaceRecord> Alter(std::string_view name, const NamespaceSettings& settings, uint64_t now_ms);
  Result<NamespaceRecord> Drop(std::string_view name, uint64_t now_ms);

  // Gossip.
  void Merge(std::span<const NamespaceRecord> records);
  std::vector<NamespaceRecord> Records() const;

  std::optional<NamespaceRecord> Find(std::string_view name) const;  // live ones only
  // The catalog as of the last change, without copying it: what the data path reads.
  std::shared_ptr<const NamespaceCatalog> Snapshot() const { return published_->Get(); }
  const PublishedCatalog& published() const { return *published_; }
  uint64_t Digest() const;

  // Waits until every change made before the call is saved (or a save failed: its error).
  Status FlushSaves() { return saver_.Flush(); }

 private:
  Namespaces(NamespacesOptions options, NamespaceCatalog catalog);
  std::string Render() const;  // takes mu_ for the copy only
  // Marks the catalog dirty for the saver and publishes it, after a change.
  Result<NamespaceRecord> Saved(Result<NamespaceRecord> change) REQUIRES(mu_);
  void PublishLocked() REQUIRES(mu_);

  const NamespacesOptions options_;
  mutable Mutex mu_;
  NamespaceCatalog catalog_ GUARDED_BY(mu_);
  std::unique_ptr<PublishedCatalog> own_published_;  // when options.published is null
  PublishedCatalog* const published_;
  StateFileWriter saver_;  // last: its thread renders the catalog, so it stops first
};

}  // namespace ringkv
