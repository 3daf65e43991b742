#pragma once
// Backups: this node's parts of cluster backups, under <data>/backups/NAME/:
//
//   engine/     hard links of the data engine's live tables and blob files + a MANIFEST
//   hints/      the same for the hint store (writes held for other nodes)
//   MEMBERSHIP, NAMESPACES, USERS   copies of the node's state files (as last saved)
//   BACKUP      the part's manifest (backup_manifest.h), written last
//
// Guarantees:
//  - A part holds every write this node acknowledged before Create was called (its
//    memtable is flushed first), and none that it never acknowledged.
//  - No write stall: writes go on while the files are linked (StorageEngine::Checkpoint).
//    Hard links cost no space until compaction deletes the live copies.
//  - BACKUP is written atomically and fsynced after everything else is durable, so a part
//    is complete or says it is not (List). A Create that fails removes what it made.
//  - Bad input changes nothing: an invalid name, or one this node holds already (even an
//    incomplete part), is refused before any file is made; deleting an unknown name is
//    NotFound.
// Every call does file I/O and may wait for a flush: run them on a worker thread, never
// on the RPC event loop. Thread-safe; one call at a time runs (a mutex).

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "node/cluster/membership.h"
#include "node/cluster/namespaces.h"
#include "node/repair/backup_manifest.h"
#include "node/replica/hint_store.h"
#include "node/storage/engine.h"

namespace ringkv {

struct BackupPart {
  BackupManifest manifest;  // name only, when incomplete
  bool complete = false;
};

struct BackupSources {
  std::string data_dir;  // <data>: the state files are read from here, parts go to <data>/backups
  std::string cluster_name;
  std::string node_id;
  storage::StorageEngine* engine = nullptr;
  HintStore* hints = nullptr;
  const Membership* membership = nullptr;
  // Its pending saves are flushed before NAMESPACES is copied: a namespace created just
  // before the backup is in it (the file is otherwise saved in the background).
  Namespaces* namespaces = nullptr;
  const Clock* clock = &Clock::System();
};

class Backups {
 public:
  explicit Backups(BackupSources sources) : s_(std::move(sources)) {}

  Result<BackupPart> Create(const std::string& name);
  // Every part this node holds, by name.
  Result<std::vector<BackupPart>> List();
  Status Delete(const std::string& name);

  std::string DirOf(const std::string& name) const { return Root() + "/" + name; }

 private:
  std::string Root() const { return s_.data_dir + "/backups"; }
  // Writes the part into `dir` (made by the caller); fills the manifest's counts.
  Status WritePart(const std::string& dir, BackupManifest* manifest);
  // Copies <data>/FILE into `dir` when it exists.
  Status CopyStateFile(const std::string& file, const std::string& dir);

  const BackupSources s_;
  std::mutex mu_;  // one call at a time
};

// The part in `dir` (a <data>/backups/NAME directory, wherever it was copied): its manifest,
// or NotFound when `dir` has no BACKUP (missing, or incomplete), Corruption when damaged.
Result<BackupManifest> ReadBackupPart(const std::string& dir);

}  // namespace ringkv
