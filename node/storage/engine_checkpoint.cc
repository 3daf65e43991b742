// StorageEngine::Checkpoint: a consistent copy of the engine made of hard links (backups).

#include <sys/stat.h>

#include <cerrno>

#include "node/storage/engine_rep.h"
#include "node/storage/file.h"

namespace ringkv::storage {
namespace {

// The live files of one moment: holding `version` keeps every file it names on disk.
struct Pinned {
  std::shared_ptr<const Version> version;
  ManifestState manifest;
};

Status CreateNewDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0) {
    if (errno == EEXIST) return Status::Exists(dir + " exists already");
    return Status::FromErrno("cannot create directory " + dir, errno);
  }
  return Status::OK();
}

}  // namespace

Result<CheckpointInfo> StorageEngine::Checkpoint(const std::string& dir) {
  RINGKV_TRY(CreateNewDir(dir));
  // Every acknowledged write is in the memtables; after the flush, in tables.
  RINGKV_TRY(Flush());
  Rep& r = *rep_;
  Pinned pinned;
  {
    MutexLock lock(&r.mu);
    // `version` and `blob_meta` change together under mu, so they describe one state.
    pinned.version = r.version;
    pinned.manifest.next_file_number = r.next_file_number;
    pinned.manifest.last_sequence = r.last_sequence;
    for (const auto& [number, meta] : r.blob_meta) pinned.manifest.blob_files.push_back(meta);
  }
  // The copy has no WAL: every write it holds is in its tables.
  pinned.manifest.log_number = pinned.manifest.next_file_number;
  CheckpointInfo info;
  info.last_sequence = pinned.manifest.last_sequence;
  for (const auto& t : pinned.version->tables) {
    RINGKV_TRY(LinkFile(TablePath(r.dir, t->file_number()), TablePath(dir, t->file_number())));
    pinned.manifest.table_numbers.push_back(t->file_number());
    pinned.manifest.table_levels.push_back(pinned.version->LevelOf(t->file_number()));
    ++info.tables;
    info.bytes += t->file_size();
  }
  for (const auto& [number, blob] : pinned.version->blobs) {
    RINGKV_TRY(LinkFile(BlobPath(r.dir, number), BlobPath(dir, number)));
    ++info.blob_files;
    info.bytes += blob->file_size();
  }
  RINGKV_TRY(WriteManifest(dir, pinned.manifest));
  RINGKV_TRY(SyncDir(dir));
  return info;
}

}  // namespace ringkv::storage
