#pragma once
// Namespaces (buckets): named parts of the keyspace, each with its own settings. Created,
// altered, listed and dropped with Client::CreateNamespace and friends (ringkv/client.h) or
// `kv ns`. Data written before namespaces existed lives in "default".

#include <cstdint>
#include <string_view>

#include "ringkv/limits.h"
#include "ringkv/status.h"

namespace ringkv {

inline constexpr std::string_view kDefaultNamespace = "default";
inline constexpr size_t kMaxNamespaceNameBytes = 64;

// How a namespace resolves concurrent writes.
enum class ConflictMode : uint8_t {
  kSiblings = 0,        // keep concurrent writes as siblings for the reader to resolve
  kLastWriterWins = 1,  // the newest stamp wins (may drop a concurrent write)
};
std::string_view ConflictModeName(ConflictMode mode);  // "siblings", "lww"
Result<ConflictMode> ParseConflictMode(std::string_view text);

struct NamespaceSettings {
  int n = 3;         // replicas per key; fixed when the namespace is created
  int w = 2, r = 2;  // default write and read quorums (a request may override them)
  ConflictMode conflict = ConflictMode::kSiblings;
  uint64_t default_ttl_s = 0;                 // 0: values never expire unless a write says so
  uint64_t max_value_bytes = kMaxValueBytes;  // per value, ≤ kMaxValueBytes
  // The least time a tombstone (or an expired value) is kept. It is purged only after this
  // AND once its node knows every replica holds it (a repair session with each): never by
  // age alone, so a replica away longer than this cannot bring the value back
  // (docs/storage.md, "Deletes that stay deleted").
  uint64_t tombstone_grace_s = 10 * 24 * 3600;
};
inline bool operator==(const NamespaceSettings& a, const NamespaceSettings& b) {
  return a.n == b.n && a.w == b.w && a.r == b.r && a.conflict == b.conflict && a.default_ttl_s == b.default_ttl_s &&
         a.max_value_bytes == b.max_value_bytes && a.tombstone_grace_s == b.tombstone_grace_s;
}
inline bool operator!=(const NamespaceSettings& a, const NamespaceSettings& b) { return !(a == b); }

// InvalidArgument naming the rule broken, or OK. A name is 1..64 of [a-z0-9_-], starting
// with a letter or digit.
Status ValidateNamespaceName(std::string_view name);
// 1 ≤ n ≤ 9, 1 ≤ w, r ≤ n, 1 ≤ max_value_bytes ≤ kMaxValueBytes, default_ttl_s ≤ 10 years,
// 1 h ≤ tombstone_grace_s ≤ 1 year.
Status ValidateSettings(const NamespaceSettings& settings);

}  // namespace ringkv
