#pragma once
// How namespaces (ringkv/namespace.h: names, settings) lay out their keys.
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

#include "ringkv/namespace.h"
#include "ringkv/status.h"

namespace ringkv {

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
