#include "node/repair/backup_manifest.h"

#include <charconv>
#include <cstdio>
#include <set>

#include "common/hash.h"

namespace ringkv {
namespace {

constexpr std::string_view kHeader = "ringkv-backup 1";
constexpr size_t kMaxNameLength = 64;

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

std::string ChecksumLine(std::string_view body) {
  char hex[16];
  std::snprintf(hex, sizeof(hex), "%08x", Checksum32(body));
  return "checksum " + std::string(hex) + "\n";
}

bool ParseNumber(std::string_view text, uint64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// Applies one "key value" line to `m`; false when the key is unknown or the value bad.
bool ApplyLine(std::string_view key, std::string_view value, BackupManifest* m) {
  if (key == "name") return m->name = value, true;
  if (key == "cluster") return m->cluster = value, true;
  if (key == "node") return m->node_id = value, true;
  if (key == "member") return m->members.emplace_back(value), true;
  if (key == "created_ms") return ParseNumber(value, &m->created_ms);
  if (key == "tables") return ParseNumber(value, &m->tables);
  if (key == "bytes") return ParseNumber(value, &m->bytes);
  if (key == "last_sequence") return ParseNumber(value, &m->last_sequence);
  return false;
}

}  // namespace

Status ValidateBackupName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("a backup name cannot be empty");
  if (name.size() > kMaxNameLength) {
    return Status::InvalidArgument("backup name '" + std::string(name) + "' is longer than 64 characters");
  }
  if (name.front() == '.') {
    return Status::InvalidArgument("backup name '" + std::string(name) + "' may not start with '.'");
  }
  for (char c : name) {
    if (!NameChar(c)) {
      return Status::InvalidArgument("backup name '" + std::string(name) +
                                     "' may hold only letters, digits, '.', '_' and '-'");
    }
  }
  return Status::OK();
}

Status CheckBackupParts(const std::vector<BackupManifest>& parts) {
  if (parts.empty()) return Status::InvalidArgument("no backup part given");
  const BackupManifest& first = parts.front();
  std::set<std::string> have, members;
  for (const BackupManifest& p : parts) {
    if (p.name != first.name || p.cluster != first.cluster) {
      return Status::InvalidArgument("the parts are of different backups: '" + first.name + "' of cluster " +
                                     first.cluster + " and '" + p.name + "' of cluster " + p.cluster);
    }
    if (!have.insert(p.node_id).second) {
      return Status::InvalidArgument("two parts of node " + p.node_id + " given");
    }
    members.insert(p.members.begin(), p.members.end());
  }
  std::string missing;
  for (const std::string& m : members) {
    if (!have.count(m)) missing += (missing.empty() ? "" : ", ") + m;
  }
  if (!missing.empty()) {
    return Status::InvalidArgument("backup '" + first.name + "' lacks the part of node(s) " + missing +
                                   ": give the backup directory of every node of cluster " + first.cluster);
  }
  return Status::OK();
}

std::string EncodeBackupManifest(const BackupManifest& m) {
  std::string body = std::string(kHeader) + "\n";
  auto line = [&body](std::string_view key, std::string_view value) {
    body.append(key).append(" ").append(value).append("\n");
  };
  line("name", m.name);
  line("cluster", m.cluster);
  line("node", m.node_id);
  line("created_ms", std::to_string(m.created_ms));
  for (const std::string& member : m.members) line("member", member);
  line("tables", std::to_string(m.tables));
  line("bytes", std::to_string(m.bytes));
  line("last_sequence", std::to_string(m.last_sequence));
  return body + ChecksumLine(body);
}

Result<BackupManifest> DecodeBackupManifest(std::string_view text) {
  size_t checksum_at = text.rfind("checksum ");
  if (checksum_at == std::string_view::npos || (checksum_at > 0 && text[checksum_at - 1] != '\n')) {
    return Status::Corruption("backup manifest has no checksum line (truncated?)");
  }
  std::string_view body = text.substr(0, checksum_at);
  if (text.substr(checksum_at) != ChecksumLine(body)) {
    return Status::Corruption("backup manifest checksum mismatch (damaged)");
  }
  if (body.substr(0, kHeader.size() + 1) != std::string(kHeader) + "\n") {
    return Status::Corruption("not a ringkv backup manifest (or of a newer format)");
  }
  body.remove_prefix(kHeader.size() + 1);
  BackupManifest m;
  while (!body.empty()) {
    size_t end = body.find('\n');
    if (end == std::string_view::npos) return Status::Corruption("backup manifest line without an end");
    std::string_view line = body.substr(0, end);
    body.remove_prefix(end + 1);
    size_t space = line.find(' ');
    if (space == std::string_view::npos || !ApplyLine(line.substr(0, space), line.substr(space + 1), &m)) {
      return Status::Corruption("backup manifest has a bad line: '" + std::string(line) + "'");
    }
  }
  if (Status s = ValidateBackupName(m.name); !s.ok()) return Status::Corruption("backup manifest: " + s.message());
  if (m.node_id.empty()) return Status::Corruption("backup manifest names no node");
  return m;
}

}  // namespace ringkv
