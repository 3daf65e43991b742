#pragma once
// Writes one immutable, sorted table file. Layout:
//
//   [data block 0] ... [data block n]   ~block_bytes each before compression; entries
//                                       prefix-compressed with restart points
//   [bloom block]                       BloomFilterBuilder over user keys
//   [properties block]                  TableProperties
//   [index block]                       sparse: one entry per data block, keyed by a key
//                                       >= its last key and < the next block's first key
//   [footer]                            fixed size: handles of bloom/properties/index,
//                                       format version, magic; its own checksum
//
// Every block is followed by a 5-byte trailer [compression type : 1][masked checksum32 of
// block bytes + type : 4]. Data blocks are LZ4/zstd-compressed when that saves >= 12.5%.
// Finish() fsyncs and closes the file; the caller makes it live via the manifest.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "node/storage/file.h"
#include "node/storage/record.h"
#include "ringkv/status.h"

namespace ringkv::storage {

inline constexpr uint64_t kTableMagic = 0x72696e676b767462ull;  // "ringkvtb"
inline constexpr uint32_t kTableFormatVersion = 1;

struct TableProperties {
  uint64_t num_entries = 0;
  uint64_t num_tombstones = 0;
  uint64_t num_data_blocks = 0;
  uint64_t raw_key_bytes = 0;
  uint64_t raw_value_bytes = 0;
  SequenceNumber min_seq = kMaxSequence;
  SequenceNumber max_seq = 0;
  uint64_t newest_tombstone_ms = 0;  // max timestamp over tombstones (0 if none)
  uint64_t num_expiring = 0;         // records with an expiry (Record::expires_at_ms)
  uint64_t newest_expiry_ms = 0;     // max expiry over them (0 if none): all expired from then on
  std::string smallest_key;          // internal keys
  std::string largest_key;
  std::vector<uint64_t> blob_files;  // blob files its records refer to, ascending
};

class SSTableBuilder {
 public:
  SSTableBuilder(const StorageOptions& options, std::unique_ptr<WritableFile> file);
  ~SSTableBuilder();
  SSTableBuilder(const SSTableBuilder&) = delete;
  SSTableBuilder& operator=(const SSTableBuilder&) = delete;

  // Keys must be strictly increasing in CompareInternalKeys order and hold a user key of at
  // most kMaxKeyBytes (InvalidArgument otherwise; the builder stays usable). `value` is an
  // encoded Record.
  Status Add(std::string_view internal_key, std::string_view value);
  Status Finish();
  // Stops without finishing; the caller removes the file.
  void Abandon();

  uint64_t NumEntries() const;
  uint64_t FileSize() const;  // bytes written so far (final size after Finish)
  const TableProperties& properties() const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace ringkv::storage
