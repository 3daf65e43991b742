#pragma once
// The MANIFEST: which files make up the engine's state. Rewritten whole and replaced
// atomically (WriteFileAtomically) on every flush and compaction, so after a crash it
// names either the old set of files or the new one, never a mix. Checksummed; a damaged
// manifest is Corruption (the engine refuses to open rather than guess).
//
// Also the file-naming scheme of a data directory: NNNNNN.log (WAL), NNNNNN.sst (table),
// NNNNNN.blob (blob file).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ringkv/status.h"

namespace ringkv::storage {

// A live blob file: how many value bytes it holds and how many of them no table refers to
// any more (dropped by compaction; blob_file.h). Its live ratio decides garbage collection.
struct BlobFileMeta {
  uint64_t number = 0;
  uint64_t value_count = 0;
  uint64_t value_bytes = 0;
  uint64_t garbage_bytes = 0;

  bool operator==(const BlobFileMeta&) const = default;
};

struct ManifestState {
  uint64_t next_file_number = 1;
  uint64_t last_sequence = 0;
  uint64_t log_number = 0;  // WALs numbered >= this hold writes not yet in a table
  std::vector<uint64_t> table_numbers;
  std::vector<int> table_levels;  // of each table above (compaction.h); all 0 in manifests before levels
  std::vector<BlobFileMeta> blob_files;
};

std::string ManifestPath(const std::string& dir);
std::string WalPath(const std::string& dir, uint64_t number);
std::string TablePath(const std::string& dir, uint64_t number);
std::string BlobPath(const std::string& dir, uint64_t number);

enum class FileKind { kWal, kTable, kBlob, kTemp, kManifest, kLock, kOther };
// Classifies a directory entry; *number is set for WAL, table and blob files.
FileKind ParseFileName(const std::string& name, uint64_t* number);

// nullopt when the directory has no manifest (a new engine).
Result<std::optional<ManifestState>> ReadManifest(const std::string& dir);
Status WriteManifest(const std::string& dir, const ManifestState& state);

}  // namespace ringkv::storage
