#pragma once
// The versioned record the engine stores for a key, and the internal key it is filed under.
//
// The replication layer owns the meaning of `clock` (an encoded vector clock or sibling
// set); the engine only needs the tombstone flag and the timestamp, to reap tombstones
// after their grace period, and the expiry, to drop the value of a record whose every
// live value has expired (it then counts as a tombstone deleted at its expiry time). Internal keys order entries by
// user key ascending, then by sequence number descending, so the newest version of a key is met first.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "ringkv/status.h"

namespace ringkv::storage {

using SequenceNumber = uint64_t;
inline constexpr SequenceNumber kMaxSequence = ~SequenceNumber{0};
inline constexpr size_t kInternalKeyTrailer = 8;
// Opaque version metadata above this size is refused (a clock has at most a few dozen entries).
inline constexpr size_t kMaxClockBytes = 16 * 1024;

struct Record {
  Record() = default;
  // The fields every record has (an expiry is set apart, by the few writers that use one).
  Record(std::string v, std::string c, uint64_t ts_ms, bool is_tombstone)
      : value(std::move(v)), clock(std::move(c)), timestamp_ms(ts_ms), tombstone(is_tombstone) {}

  std::string value;
  std::string clock;          // opaque version metadata (vector clock blob)
  uint64_t timestamp_ms = 0;  // wall clock of the write; tombstones age from it
  bool tombstone = false;     // a deletion; `value` may still hold the replication layer's metadata
  // When every live value in `value` will have expired (ms since the epoch); 0: never. From
  // then on the record reads, for compaction, as a tombstone deleted at max(timestamp_ms,
  // expires_at_ms) whose value is `expired_value` (what the replication layer keeps of an
  // expired write: its versions without the values). Compaction makes that substitution,
  // so the expired bytes (inline or in a blob file) go; nothing else in the engine reads
  // the expiry (the replication layer hides expired values itself, by its own clock).
  uint64_t expires_at_ms = 0;
  std::string expired_value;  // only with expires_at_ms; at most kMaxClockBytes

  bool operator==(const Record&) const = default;
};

// Where a value kept out of line lives: a byte range of a blob file and the checksum of
// its bytes (blob_file.h). A table then stores the record with this in place of the value.
struct BlobRef {
  uint64_t file_number = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint32_t checksum = 0;  // masked Checksum32 of the value

  bool operator==(const BlobRef&) const = default;
};

// Encoding: [flags:1][timestamp varint64][clock length-prefixed][value: rest]. With the
// blob flag, the rest is a BlobRef: [file varint64][offset varint64][size varint64][checksum fixed32].
// With the expiry flag (0x04), [expires_at varint64][expired_value length-prefixed] come
// between the timestamp and the clock; records without it encode as before.
void EncodeRecord(const Record& r, std::string* out);
// A record whose value is in a blob file sets *blob (and leaves out->value empty); without
// `blob` such a record is Corruption (the caller cannot resolve it).
Status DecodeRecord(std::string_view in, Record* out, std::optional<BlobRef>* blob = nullptr);
// The encoded record's value bytes (empty for a blob reference): *header gets the rest.
bool SplitRecord(std::string_view encoded, std::string_view* header, std::string_view* value);
// True when the encoded record's value is a blob reference; *ref gets it.
bool PeekBlobRef(std::string_view encoded, BlobRef* ref);
// The encoded record `header` (as SplitRecord gives it, blob flag clear) pointing at `ref`.
void EncodeBlobRecord(std::string_view header, const BlobRef& ref, std::string* out);
// Reads only the flags and timestamp (compaction's tombstone check).
bool PeekTombstone(std::string_view encoded, bool* tombstone, uint64_t* timestamp_ms);
// The record's expiry (0: none, or unparsable).
uint64_t PeekExpiry(std::string_view encoded);
// If the encoded record has expired by `now_ms`, *out gets the record it is from then on —
// a tombstone at max(timestamp, expiry) holding expired_value inline, without expiry — and
// true is returned. Its old value (inline, or a blob reference) is not in *out.
bool ExpireRecord(std::string_view encoded, uint64_t now_ms, std::string* out);

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
