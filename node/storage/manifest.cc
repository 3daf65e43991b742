#include "node/storage/manifest.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "common/coding.h"
#include "common/hash.h"
#include "node/storage/file.h"

namespace ringkv::storage {
namespace {

constexpr char kMagicV1[] = "RKVMANI1";  // no blob files (read only)
constexpr char kMagicV2[] = "RKVMANI2";  // no levels (read only): every table in level 0
constexpr char kMagic[] = "RKVMANI3";
constexpr size_t kMagicLen = 8;
constexpr uint64_t kMaxLevels = 64;

std::string Numbered(const std::string& dir, uint64_t number, const char* suffix) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "/%06" PRIu64 ".%s", number, suffix);
  return dir + buf;
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string ManifestPath(const std::string& dir) { return dir + "/MANIFEST"; }
std::string WalPath(const std::string& dir, uint64_t number) { return Numbered(dir, number, "log"); }
std::string TablePath(const std::string& dir, uint64_t number) { return Numbered(dir, number, "sst"); }
std::string BlobPath(const std::string& dir, uint64_t number) { return Numbered(dir, number, "blob"); }

FileKind ParseFileName(const std::string& name, uint64_t* number) {
  if (name == "MANIFEST") return FileKind::kManifest;
  if (name == "LOCK") return FileKind::kLock;
  if (EndsWith(name, ".tmp")) return FileKind::kTemp;
  FileKind kind;
  size_t suffix = 4;
  if (EndsWith(name, ".log")) {
    kind = FileKind::kWal;
  } else if (EndsWith(name, ".sst")) {
    kind = FileKind::kTable;
  } else if (EndsWith(name, ".blob")) {
    kind = FileKind::kBlob;
    suffix = 5;
  } else {
    return FileKind::kOther;
  }
  std::string digits = name.substr(0, name.size() - suffix);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return FileKind::kOther;
  *number = std::strtoull(digits.c_str(), nullptr, 10);
  return kind;
}

Status WriteManifest(const std::string& dir, const ManifestState& state) {
  std::string body;
  PutVarint64(&body, state.next_file_number);
  PutVarint64(&body, state.last_sequence);
  PutVarint64(&body, state.log_number);
  PutVarint64(&body, state.table_numbers.size());
  for (size_t i = 0; i < state.table_numbers.size(); ++i) {
    PutVarint64(&body, state.table_numbers[i]);
    PutVarint64(&body, i < state.table_levels.size() ? static_cast<uint64_t>(state.table_levels[i]) : 0);
  }
  PutVarint64(&body, state.blob_files.size());
  for (const BlobFileMeta& b : state.blob_files) {
    for (uint64_t v : {b.number, b.value_count, b.value_bytes, b.garbage_bytes}) PutVarint64(&body, v);
  }

  std::string out(kMagic, kMagicLen);
  PutFixed32(&out, MaskChecksum(Checksum32(body)));
  out += body;
  return WriteFileAtomically(ManifestPath(dir), out);
}

Result<std::optional<ManifestState>> ReadManifest(const std::string& dir) {
  std::string path = ManifestPath(dir);
  if (!FileExists(path)) return std::optional<ManifestState>();
  RINGKV_ASSIGN(std::string data, ReadFileToString(path));
  auto corrupt = [&](const char* what) { return Status::Corruption("manifest " + path + ": " + what); };
  bool v1 = data.size() >= kMagicLen && std::memcmp(data.data(), kMagicV1, kMagicLen) == 0;
  bool v2 = data.size() >= kMagicLen && std::memcmp(data.data(), kMagicV2, kMagicLen) == 0;
  if (data.size() < kMagicLen + 4 || (!v1 && !v2 && std::memcmp(data.data(), kMagic, kMagicLen) != 0)) {
    return corrupt("bad magic (not a ringkv manifest or truncated)");
  }
  std::string_view in(data);
  in.remove_prefix(kMagicLen);
  uint32_t stored = 0;
  GetFixed32(&in, &stored);
  if (UnmaskChecksum(stored) != Checksum32(in)) return corrupt("checksum mismatch");

  ManifestState state;
  uint64_t count = 0;
  if (!GetVarint64(&in, &state.next_file_number) || !GetVarint64(&in, &state.last_sequence) ||
      !GetVarint64(&in, &state.log_number) || !GetVarint64(&in, &count) || count > in.size()) {
    return corrupt("truncated header");
  }
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t n = 0, level = 0;
    if (!GetVarint64(&in, &n)) return corrupt("truncated table list");
    if (!v1 && !v2 && (!GetVarint64(&in, &level) || level > kMaxLevels)) return corrupt("bad table level");
    state.table_numbers.push_back(n);
    state.table_levels.push_back(static_cast<int>(level));
  }
  if (!v1) {
    if (!GetVarint64(&in, &count) || count > in.size()) return corrupt("truncated blob file list");
    for (uint64_t i = 0; i < count; ++i) {
      BlobFileMeta b;
      if (!GetVarint64(&in, &b.number) || !GetVarint64(&in, &b.value_count) || !GetVarint64(&in, &b.value_bytes) ||
          !GetVarint64(&in, &b.garbage_bytes)) {
        return corrupt("truncated blob file list");
      }
      state.blob_files.push_back(b);
    }
  }
  if (!in.empty()) return corrupt("trailing bytes");
  return std::optional<ManifestState>(std::move(state));
}

}  // namespace ringkv::storage
