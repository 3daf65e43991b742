#pragma once
// The versioned record the engine stores for a key, and the internal key it is filed under.
//
// The replication layer owns the meaning of `clock` (an encoded vector clock or sibling
// set); the engine only needs the tombstone flag and the timestamp, to reap tombstones
// after their grace period. Internal keys order entries by user key ascending, then by
// sequence number descending, so the newest version of a key is met first.

#include <cstdint>
#include <string>
#include <string_view>

#include "ringkv/status.h"

namespace ringkv::storage {

using SequenceNumber = uint64_t;
inline constexpr SequenceNumber kMaxSequence = ~SequenceNumber{0};
inline constexpr size_t kInternalKeyTrailer = 8;
// Opaque version metadata above this size is refused (a clock has at most a few dozen entries).
inline constexpr size_t kMaxClockBytes = 16 * 1024;

struct Record {
  std::string value;
  std::string clock;          // opaque version metadata (vector clock blob)
  uint64_t timestamp_ms = 0;  // wall clock of the write; tombstones age from it
  bool tombstone = false;     // a deletion; `value` may still hold the replication layer's metadata

  bool operator==(const Record&) const = default;
};

// Encoding: [flags:1][timestamp varint64][clock length-prefixed][value: rest].
void EncodeRecord(const Record& r, std::string* out);
Status DecodeRecord(std::string_view in, Record* out);
// Reads only the flags and timestamp (compaction's tombstone check).
bool PeekTombstone(std::string_view encoded, bool* tombstone, uint64_t* timestamp_ms);

// Internal key: user key followed by the sequence number stored as ~seq big-endian,
// so plain bytewise comparison of (user key, trailer) gives newest-first per key
// only once user keys are separated; use CompareInternalKeys for ordering.
// Writes the 8-byte trailer for `seq` at dst.
void EncodeSequenceTrailer(char* dst, SequenceNumber seq);
void AppendInternalKey(std::string* out, std::string_view user_key, SequenceNumber seq);
std::string MakeInternalKey(std::string_view user_key, SequenceNumber seq);
inline std::string_view ExtractUserKey(std::string_view ikey) {
  return ikey.substr(0, ikey.size() - kInternalKeyTrailer);
}
SequenceNumber ExtractSequence(std::string_view ikey);
// <0, 0, >0: user key ascending, then sequence descending.
int CompareInternalKeys(std::string_view a, std::string_view b);

struct InternalKeyLess {
  bool operator()(std::string_view a, std::string_view b) const { return CompareInternalKeys(a, b) < 0; }
};

}  // namespace ringkv::storage
