#pragma once
// The stored-key ranges a scan of one namespace reads (common/namespace.h lays the keys out).
//
// A namespace other than `default` is one contiguous range of stored keys: its prefix
// "\x00\xFF" name "\x00" incarnation. `default` is everything *outside* the reserved block
// "\x00\xFF...", so it is two ranges: below the block and from "\x01" on. A user-key prefix
// narrows each range to the stored keys that start with it, and a scan position (the last
// user key returned) moves each start just past that key. Stored-key order within a
// namespace is user-key order, so a scan walks the user keys in byte order.
//
// Pure functions: the node uses them to decide what one scan call may read (and so never
// returns another namespace's key), the SDK to check what it was sent.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringkv {

// [start, end) over stored keys; an empty `end` means "to the last key".
struct StoredKeyRange {
  std::string start;
  std::string end;
  bool operator==(const StoredKeyRange&) const = default;
};

// The smallest string greater than every string that starts with `prefix`, or "" when
// there is none (the prefix is empty or all 0xFF bytes: the range is unbounded above).
std::string PrefixSuccessor(std::string_view prefix);

// The stored-key ranges, in key order, holding the keys of namespace `name` (incarnation
// `incarnation`) that start with `prefix` and come after `after` (a user key; empty: from
// the first). Empty when nothing can match (e.g. a default-namespace prefix that starts
// with the reserved bytes, or `after` past everything the prefix allows).
std::vector<StoredKeyRange> NamespaceScanRanges(std::string_view name, uint64_t incarnation, std::string_view prefix,
                                                std::string_view after);

// Whether `stored` lies in one of `ranges`.
bool InRanges(const std::vector<StoredKeyRange>& ranges, std::string_view stored);

}  // namespace ringkv
