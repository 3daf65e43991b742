#pragma once
// Namespaces (buckets): named parts of the keyspace, each with its own settings.
//
// A user key lives in one namespace. Below the SDK a (namespace, key) pair is one opaque
// string, the *stored key*, that the ring hashes and replicas, hints, Merkle repair and
// streaming carry like any other key:
//
//   default namespace:  the user key itself (so data written before namespaces is in it)
//   any other:          "\x00\xFF" name "\x00" incarnation (8 bytes, big-endian) user key
//
// The reserved prefix "\x00\xFF" cannot start a key of the default namespace
// (ValidateKeyIn refuses it), so the two forms never collide. A namespace's keys are
// contiguous in each node's engine (a scan of one reads only its range), and the
// incarnation (the catalog version that created it) keeps a namespace re-created under a
// dropped one's name apart from the old data while that is still being removed.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/limits.h"
#include "common/status.h"

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
  // The longest a tombstone (or an expired value) is kept when its node cannot learn that
  // every replica has it: the upper safety bound on purging (docs/architecture.md).
  uint64_t tombstone_grace_s = 10 * 24 * 3600;
  bool operator==(const NamespaceSettings&) const = default;
};

// InvalidArgument naming the rule broken, or OK. A name is 1..64 of [a-z0-9_-], starting
// with a letter or digit.
Status ValidateNamespaceName(std::string_view name);
// 1 ≤ n ≤ 9, 1 ≤ w, r ≤ n, 1 ≤ max_value_bytes ≤ kMaxValueBytes, default_ttl_s ≤ 10 years,
// 1 h ≤ tombstone_grace_s ≤ 1 year.
Status ValidateSettings(const NamespaceSettings& settings);

// A user key as the namespace `name` (incarnation `incarnation`) stores it.
// REQUIRES: ValidateNamespaceName(name) and ValidateKeyIn(name, key) are OK.
std::string StoredKey(std::string_view name, uint64_t incarnation, std::string_view key);
// The prefix every stored key of that namespace incarnation starts with ("" for default,
// which is everything outside the reserved prefix).
std::string StoredKeyPrefix(std::string_view name, uint64_t incarnation);

struct ParsedStoredKey {
  std::string_view name;  // kDefaultNamespace for a key outside the reserved prefix
  uint64_t incarnation = 0;
  std::string_view key;  // the user key
};
// Corruption if `stored` starts with the reserved prefix but is not a well-formed key.
Result<ParsedStoredKey> ParseStoredKey(std::string_view stored);

// ValidateKey, plus: a key of the default namespace must not start with the reserved prefix.
Status ValidateKeyIn(std::string_view name, std::string_view key);

}  // namespace ringkv
