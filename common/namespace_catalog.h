#pragma once
// NamespaceCatalog: the cluster's namespaces and their settings, as pure state (no I/O, no
// threads, time comes in as `now_ms`), so nodes can gossip it and the SDK can cache it.
//
// Guarantees:
//  - One record per name ever used, dropped ones included (a drop is a tombstone record),
//    so a drop is never undone by a peer that has not heard of it yet.
//  - Merging is commutative, associative and idempotent: per name the record with the
//    larger (version, author) wins, so any gossip order converges.
//  - A change made through a catalog gets a version above every version that catalog has
//    seen for the name and at least `now_ms`: a later change supersedes an earlier one
//    whatever the nodes' clocks, and two concurrent changes resolve by (version, author).
//  - The default namespace always exists, cannot be dropped, and keeps n fixed like any.
//  - Encode/Decode round-trip; Decode of damaged bytes is Corruption, never a partial
//    catalog.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/namespace.h"
#include "ringkv/status.h"

namespace ringkv {

struct NamespaceRecord {
  std::string name;
  NamespaceSettings settings;
  uint64_t version = 0;      // of this record (see above)
  std::string author;        // node id that made the change; breaks version ties
  uint64_t incarnation = 0;  // the version that created it: part of its stored keys
  bool dropped = false;
  bool operator==(const NamespaceRecord&) const = default;
};

// a replaces b: larger (version, author).
bool Supersedes(const NamespaceRecord& a, const NamespaceRecord& b);

// The stored keys of a name's dropped incarnations: [start, end) in stored-key order
// (common/namespace.h). Every incarnation below `end`'s is dropped.
struct DroppedRange {
  std::string name;
  std::string start, end;
};

class NamespaceCatalog {
 public:
  // A catalog holding only the default namespace with `default_settings` at version 0.
  explicit NamespaceCatalog(NamespaceSettings default_settings = {});

  // Each returns the new record, to be spread by gossip, or InvalidArgument (bad name or
  // settings, a name in use, n changed) / NotFound (no such live namespace).
  Result<NamespaceRecord> Create(std::string_view name, const NamespaceSettings& settings, std::string_view author,
                                 uint64_t now_ms);
  Result<NamespaceRecord> Alter(std::string_view name, const NamespaceSettings& settings, std::string_view author,
                                uint64_t now_ms);
  Result<NamespaceRecord> Drop(std::string_view name, std::string_view author, uint64_t now_ms);

  // Folds records in (from gossip, a peer, or the state file); true if anything changed.
  // Records with an invalid name or settings are skipped (a newer peer's or a damaged one).
  bool Merge(std::span<const NamespaceRecord> records);

  // The live namespace `name`, or nullptr (unknown or dropped).
  const NamespaceRecord* Find(std::string_view name) const;
  // The live record a stored key belongs to: its name's, when the incarnation matches;
  // else nullptr (a dropped incarnation, or one this catalog has not heard of yet).
  const NamespaceRecord* FindIncarnation(const ParsedStoredKey& key) const;
  // True when the key's incarnation is dropped: its name was dropped at that incarnation or
  // has been re-created since. Final: a later catalog never revives it, so no write may
  // store such a key again and its deletions need no grace period. False for the default
  // namespace and for names or incarnations this catalog has not heard of.
  bool IsDropped(const ParsedStoredKey& key) const;
  bool IsDroppedKey(std::string_view stored_key) const;  // false for a malformed key
  // Per name with a dropped incarnation, the stored-key range holding all of them.
  std::vector<DroppedRange> DroppedRanges() const;
  // Every record, dropped ones included, sorted by name.
  const std::vector<NamespaceRecord>& Records() const { return records_; }
  // The live ones, sorted by name.
  std::vector<NamespaceRecord> Live() const;
  // Changes whenever a record does; equal digests mean (with overwhelming likelihood)
  // equal catalogs, so gossip sends the records only when digests differ.
  uint64_t Digest() const;

  std::string Encode() const;
  static Result<NamespaceCatalog> Decode(std::string_view bytes);

 private:
  NamespaceRecord* FindRecord(std::string_view name);
  uint64_t NextVersion(std::string_view name, uint64_t now_ms);
  Result<NamespaceRecord> Apply(NamespaceRecord record);

  std::vector<NamespaceRecord> records_;  // sorted by name; "default" always present
  uint64_t max_version_ = 0;              // the largest version seen in any record
};

}  // namespace ringkv
