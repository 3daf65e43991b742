#pragma once
// A node's part of a cluster backup, as its BACKUP file records it (node/repair/backups.h),
// and the rule for backup names. Pure: no I/O, so it is unit-tested without a node.
//
// The BACKUP file is written last, atomically and fsynced, once every file of the part is
// durable: a part directory without a BACKUP that decodes is incomplete, never restored.
// Encode/Decode round-trip; Decode of damaged or truncated text is Corruption (a checksum
// covers every line), never a partial manifest.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ringkv/status.h"

namespace ringkv {

struct BackupManifest {
  std::string name;
  std::string cluster;  // the backed-up cluster's name
  std::string node_id;  // whose part this is
  uint64_t created_ms = 0;
  // The ring's members when the part was taken: a restore needs a part of each of them.
  std::vector<std::string> members;
  uint64_t tables = 0;  // table and blob files linked (data and hints)
  uint64_t bytes = 0;
  uint64_t last_sequence = 0;  // of the data engine's copy

  bool operator==(const BackupManifest&) const = default;
};

// OK for 1 to 64 characters of [A-Za-z0-9._-] that do not start with '.' (so never "." or
// "..", and never a path); InvalidArgument saying why otherwise.
Status ValidateBackupName(std::string_view name);

// OK when `parts` are one whole backup: at least one, all of one backup name and cluster,
// no node twice, and a part of every node any of them lists as a member. InvalidArgument
// naming what is wrong otherwise (a restore then writes nothing).
Status CheckBackupParts(const std::vector<BackupManifest>& parts);

std::string EncodeBackupManifest(const BackupManifest& manifest);
Result<BackupManifest> DecodeBackupManifest(std::string_view text);

}  // namespace ringkv
