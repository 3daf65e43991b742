#include "common/namespace.h"

#include <algorithm>

namespace ringkv {
namespace {

constexpr std::string_view kReservedPrefix{"\x00\xFF", 2};
constexpr uint64_t kMaxTtlS = 10ull * 365 * 24 * 3600;
// The grace is a lower bound on a tombstone's age at purge (docs/storage.md): it must exceed
// --max-write-age-s (at most 300) plus clock skew between clients and nodes, so that no
// refused-late write could otherwise meet an emptied key. 1 h leaves a wide margin.
constexpr uint64_t kMinGraceS = 3600;
constexpr uint64_t kMaxGraceS = 365ull * 24 * 3600;

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; }

void PutBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xFF));
}

uint64_t GetBigEndian64(std::string_view in) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

Status OutOfRange(std::string_view what, uint64_t given, uint64_t low, uint64_t high) {
  return Status::InvalidArgument(std::string(what) + " is " + std::to_string(given) + "; it must be between " +
                                 std::to_string(low) + " and " + std::to_string(high));
}

}  // namespace

std::string_view ConflictModeName(ConflictMode mode) {
  return mode == ConflictMode::kLastWriterWins ? "lww" : "siblings";
}

Result<ConflictMode> ParseConflictMode(std::string_view text) {
  if (text == "siblings") return ConflictMode::kSiblings;
  if (text == "lww") return ConflictMode::kLastWriterWins;
  return Status::InvalidArgument("conflict mode '" + std::string(text) + "' is unknown; use siblings or lww");
}

Status ValidateNamespaceName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNamespaceNameBytes) {
    return Status::InvalidArgument("a namespace name has 1 to " + std::to_string(kMaxNamespaceNameBytes) +
                                   " characters; got " + std::to_string(name.size()));
  }
  for (char c : name) {
    if (!IsNameChar(c)) {
      return Status::InvalidArgument("namespace name '" + std::string(name) + "' may hold only a-z, 0-9, '_' and '-'");
    }
  }
  if (name.front() == '_' || name.front() == '-') {
    return Status::InvalidArgument("namespace name '" + std::string(name) + "' must start with a letter or digit");
  }
  return Status::OK();
}

Status ValidateSettings(const NamespaceSettings& s) {
  if (s.n < 1 || s.n > 9) return OutOfRange("n", static_cast<uint64_t>(std::max(s.n, 0)), 1, 9);
  if (s.w < 1 || s.w > s.n) return OutOfRange("w", static_cast<uint64_t>(std::max(s.w, 0)), 1, s.n);
  if (s.r < 1 || s.r > s.n) return OutOfRange("r", static_cast<uint64_t>(std::max(s.r, 0)), 1, s.n);
  if (s.max_value_bytes < 1 || s.max_value_bytes > kMaxValueBytes) {
    return OutOfRange("max value bytes", s.max_value_bytes, 1, kMaxValueBytes);
  }
  if (s.default_ttl_s > kMaxTtlS) return OutOfRange("default ttl (s)", s.default_ttl_s, 0, kMaxTtlS);
  if (s.tombstone_grace_s < kMinGraceS || s.tombstone_grace_s > kMaxGraceS) {
    return OutOfRange("tombstone grace (s)", s.tombstone_grace_s, kMinGraceS, kMaxGraceS);
  }
  return Status::OK();
}

std::string StoredKeyPrefix(std::string_view name, uint64_t incarnation) {
  if (name == kDefaultNamespace) return {};
  std::string prefix(kReservedPrefix);
  prefix.append(name);
  prefix.push_back('\0');
  PutBigEndian64(&prefix, incarnation);
  return prefix;
}

std::string StoredKey(std::string_view name, uint64_t incarnation, std::string_view key) {
  std::string stored = StoredKeyPrefix(name, incarnation);
  stored.append(key);
  return stored;
}

Result<ParsedStoredKey> ParseStoredKey(std::string_view stored) {
  if (!stored.starts_with(kReservedPrefix)) return ParsedStoredKey{kDefaultNamespace, 0, stored};
  std::string_view rest = stored.substr(kReservedPrefix.size());
  size_t end = rest.find('\0');
  if (end == std::string_view::npos || rest.size() < end + 1 + 8) {
    return Status::Corruption("stored key in the reserved namespace prefix is truncated");
  }
  ParsedStoredKey parsed;
  parsed.name = rest.substr(0, end);
  if (!ValidateNamespaceName(parsed.name).ok()) {
    return Status::Corruption("stored key names an invalid namespace");
  }
  parsed.incarnation = GetBigEndian64(rest.substr(end + 1, 8));
  parsed.key = rest.substr(end + 1 + 8);
  return parsed;
}

Status ValidateKeyIn(std::string_view name, std::string_view key) {
  if (Status s = ValidateKey(key); !s.ok()) return s;
  if (name == kDefaultNamespace && key.starts_with(kReservedPrefix)) {
    return Status::InvalidArgument(
        "a key of the default namespace may not start with the bytes 0x00 0xFF (reserved for namespaces)");
  }
  return Status::OK();
}

}  // namespace ringkv
