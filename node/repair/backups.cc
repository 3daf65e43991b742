#include "node/repair/backups.h"

#include <algorithm>
#include <filesystem>

#include "node/storage/file.h"

namespace ringkv {
namespace {

constexpr const char* kStateFiles[] = {"MEMBERSHIP", "NAMESPACES", "USERS"};

std::string ManifestPathIn(const std::string& dir) { return dir + "/BACKUP"; }

// Removes a part that could not be completed, saying why it was made.
Status Abandon(const std::string& dir, const Status& why) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) return Status::IOError(why.ToString() + "; and cannot remove " + dir + ": " + ec.message());
  return why;
}

}  // namespace

Result<BackupManifest> ReadBackupPart(const std::string& dir) {
  std::string path = ManifestPathIn(dir);
  if (!storage::FileExists(path)) {
    if (!storage::FileExists(dir)) return Status::NotFound("no backup directory " + dir);
    return Status::NotFound(dir + " holds no complete backup part (no BACKUP file)");
  }
  RINGKV_ASSIGN(std::string text, storage::ReadFileToString(path));
  auto manifest = DecodeBackupManifest(text);
  if (!manifest.ok()) return Status::Corruption(path + ": " + manifest.status().message());
  return manifest;
}

Status Backups::CopyStateFile(const std::string& file, const std::string& dir) {
  std::string from = s_.data_dir + "/" + file;
  if (!storage::FileExists(from)) return Status::OK();
  RINGKV_ASSIGN(std::string bytes, storage::ReadFileToString(from));
  return storage::WriteFileAtomically(dir + "/" + file, bytes);
}

Status Backups::WritePart(const std::string& dir, BackupManifest* manifest) {
  RINGKV_ASSIGN(storage::CheckpointInfo data, s_.engine->Checkpoint(dir + "/engine"));
  RINGKV_ASSIGN(storage::CheckpointInfo hints, s_.hints->Checkpoint(dir + "/hints"));
  if (s_.namespaces) RINGKV_TRY(s_.namespaces->FlushSaves());
  for (const char* file : kStateFiles) RINGKV_TRY(CopyStateFile(file, dir));
  manifest->tables = data.tables + data.blob_files + hints.tables + hints.blob_files;
  manifest->bytes = data.bytes + hints.bytes;
  manifest->last_sequence = data.last_sequence;
  RINGKV_TRY(storage::SyncDir(dir));
  // Last, once every file above is durable: the part is complete.
  return storage::WriteFileAtomically(ManifestPathIn(dir), EncodeBackupManifest(*manifest));
}

Result<BackupPart> Backups::Create(const std::string& name) {
  RINGKV_TRY(ValidateBackupName(name));
  std::lock_guard lock(mu_);
  RINGKV_TRY(storage::CreateDirIfMissing(Root()));
  std::string dir = DirOf(name);
  if (storage::FileExists(dir)) {
    return Status::InvalidArgument("backup '" + name + "' exists already on " + s_.node_id + " (kv backup delete " +
                                   name + " first)");
  }
  RINGKV_TRY(storage::CreateDirIfMissing(dir));
  BackupManifest manifest;
  manifest.name = name;
  manifest.cluster = s_.cluster_name;
  manifest.node_id = s_.node_id;
  manifest.created_ms = s_.clock->WallMs();
  for (const RingNode& n : s_.membership->View()->ring.nodes()) manifest.members.push_back(n.id);
  if (Status s = WritePart(dir, &manifest); !s.ok()) return Abandon(dir, s);
  RINGKV_TRY(storage::SyncDir(Root()));
  return BackupPart{std::move(manifest), true};
}

Result<std::vector<BackupPart>> Backups::List() {
  std::lock_guard lock(mu_);
  std::vector<BackupPart> parts;
  if (!storage::FileExists(Root())) return parts;
  RINGKV_ASSIGN(std::vector<std::string> names, storage::ListDir(Root()));
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    if (!ValidateBackupName(name).ok()) continue;  // not ours
    auto manifest = ReadBackupPart(DirOf(name));
    BackupPart part;
    part.complete = manifest.ok();
    if (manifest.ok()) part.manifest = std::move(manifest).value();
    part.manifest.name = name;
    part.manifest.node_id = s_.node_id;
    parts.push_back(std::move(part));
  }
  return parts;
}

Status Backups::Delete(const std::string& name) {
  RINGKV_TRY(ValidateBackupName(name));
  std::lock_guard lock(mu_);
  std::string dir = DirOf(name);
  if (!storage::FileExists(dir)) return Status::NotFound("no backup '" + name + "' on " + s_.node_id);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) return Status::IOError("cannot remove " + dir + ": " + ec.message());
  return storage::SyncDir(Root());
}

}  // namespace ringkv
