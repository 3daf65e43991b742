#pragma once
// BackupRestore: writes a backup (every node's part, backups.h) into this cluster through
// the replica path, so this cluster's ring places each key, whatever its size.
//
// Run(dirs) first checks the parts (CheckBackupParts: all there, complete, one backup) and
// writes nothing if any is wrong. Then it merges the backup's namespace catalog into this
// node's (gossip spreads it), and for each part reads a copy of its data engine and hint
// store (hard links, or copies across filesystems, in a scratch directory under this
// node's data; the backup itself is never changed) and sends every key's sibling set —
// versions, tombstones, history — to each of the key's replicas on the current ring (and
// those a join or leave will add) with `replicate`, in pages. A replica merges what it
// gets, so the parts' overlapping replicas converge to the set the old cluster would have
// read, with no new siblings, and running a restore again changes nothing. A replica that
// cannot be reached fails the run (Unavailable/TimedOut); run it again once it is back.
// Runs on the maintenance thread (it waits on remote calls).

#include <cstdint>
#include <string>
#include <vector>

#include "node/cluster/membership.h"
#include "node/cluster/namespaces.h"
#include "node/runtime/background_loop.h"

namespace ringkv {

struct RestoreReport {
  uint32_t parts = 0;
  uint64_t keys = 0;       // read from the parts' data
  uint64_t hints = 0;      // read from the parts' hint stores
  uint64_t sets_sent = 0;  // replicated: one per key and replica
};

class BackupRestore {
 public:
  // `scratch_root`: a directory this node owns (<data>/restore), emptied before and after.
  BackupRestore(Membership* membership, Namespaces* namespaces, std::string scratch_root)
      : membership_(membership), namespaces_(namespaces), scratch_root_(std::move(scratch_root)) {}

  Result<RestoreReport> Run(BackgroundLoop::Context& ctx, const std::vector<std::string>& dirs);

 private:
  class Sender;
  Status MergeNamespaces(const std::string& dir);
  // Sends the part in `dir` (its copy under `scratch`).
  Status RestorePart(BackgroundLoop::Context& ctx, const std::string& dir, const std::string& scratch,
                     RestoreReport* report);

  Membership* membership_;
  Namespaces* namespaces_;
  const std::string scratch_root_;
};

}  // namespace ringkv
