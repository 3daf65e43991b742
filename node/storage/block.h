#pragma once
// Reads a block written by BlockBuilder. The contents are untrusted: the restart array,
// every restart offset, every varint and every length is bounds-checked, and a malformed
// block yields a cursor/iterator whose status() is Corruption naming the file, the kind of
// block and its offset — never an out-of-bounds read.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "node/storage/iterator.h"
#include "node/storage/record.h"
#include "ringkv/limits.h"
#include "ringkv/status.h"

namespace ringkv::storage {

// The longest key a block may hold: a user key at the product limit plus its trailer.
// SSTableBuilder refuses longer keys; a block that holds one is corrupt.
inline constexpr size_t kMaxBlockKeyBytes = kMaxKeyBytes + kInternalKeyTrailer;

// "sstable <file>: <problem> in <kind> block at offset <offset>": the one shape of every
// block-level error, so a log line always says where to look.
Status BlockCorruption(const std::string& file, std::string_view problem, std::string_view kind, uint64_t offset);

// An immutable, uncompressed, checksum-verified block plus where it came from. Cheap to
// copy (shares the contents).
class Block {
 public:
  // `file` (which must outlive the block and its iterators), `kind` (a string literal:
  // "data", "index") and `offset` only name the block in error messages.
  Block(std::shared_ptr<const std::string> contents, const std::string* file, const char* kind, uint64_t offset);
  bool ok() const { return !malformed_; }  // false if the restart array is unusable
  size_t size() const { return contents_->size(); }
  // Iterates (internal key, value) entries in CompareInternalKeys order. The iterator
  // shares ownership of the contents.
  std::unique_ptr<InternalIterator> NewIterator() const;

 private:
  friend class BlockCursor;
  uint32_t RestartOffset(uint32_t i) const;
  bool RestartInRange(uint32_t offset) const;
  Status Corruption(std::string_view problem) const;

  std::shared_ptr<const std::string> contents_;
  const std::string* file_;
  const char* kind_;
  uint64_t offset_;
  uint32_t restarts_offset_ = 0;  // where the restart array (and the end of the entries) is
  uint32_t num_restarts_ = 0;
  bool malformed_ = false;
};

// Walks one block's entries without touching the heap: the point-read path puts one on the
// stack, and Block::NewIterator wraps one. The Block must outlive the cursor. Errors are
// sticky: after Corruption the cursor stays invalid.
class BlockCursor {
 public:
  explicit BlockCursor(const Block& block);
  BlockCursor(const BlockCursor&) = delete;
  BlockCursor& operator=(const BlockCursor&) = delete;

  bool Valid() const { return valid_; }
  const Status& status() const { return status_; }
  std::string_view key() const { return std::string_view(key_, key_size_); }  // until the cursor moves
  std::string_view value() const { return value_; }                           // points into the block

  void SeekToFirst();
  // First entry whose key is >= target: binary search over the restart points, then a
  // linear scan. Invalid (with OK status) when every entry is smaller.
  void Seek(std::string_view target);
  void Next();

 private:
  bool SeekToRestart(uint32_t i);
  bool RestartKey(uint32_t i, std::string_view* key);
  const char* DecodeEntryHeader(uint32_t offset, uint32_t* shared, uint32_t* non_shared, uint32_t* value_len) const;
  void ParseNextEntry();
  void Fail(std::string_view problem);

  const Block& block_;
  const char* data_;
  uint32_t next_ = 0;  // offset of the entry after the current one
  size_t key_size_ = 0;
  std::string_view value_;
  bool valid_ = false;
  Status status_;
  char key_[kMaxBlockKeyBytes];
};

}  // namespace ringkv::storage
