#pragma once
// Reads a block written by BlockBuilder. The contents are untrusted: every offset and
// varint is bounds-checked, and a malformed block yields an iterator whose status() is
// Corruption — never an out-of-bounds read.

#include <memory>
#include <string>
#include <string_view>

#include "node/storage/iterator.h"

namespace ringkv::storage {

class Block {
 public:
  // `contents` is the uncompressed, checksum-verified block. `file` (which must outlive the
  // block and its iterators) and `offset` name it in error messages.
  Block(std::shared_ptr<const std::string> contents, const std::string* file, uint64_t offset);
  bool ok() const { return !malformed_; }
  // Iterates (key, value) entries; keys are internal keys (CompareInternalKeys order).
  // The iterator shares ownership of the contents.
  std::unique_ptr<InternalIterator> NewIterator() const;
  size_t size() const { return contents_->size(); }

  // The first entry >= target, without a heap-allocated iterator (the point-read path):
  // *found is false when every entry is smaller. *value points into the block's contents.
  Status SeekFirst(std::string_view target, std::string* key, std::string_view* value, bool* found) const;

 private:
  class Iter;
  std::shared_ptr<const std::string> contents_;
  const std::string* file_;
  uint64_t offset_;
  uint32_t restarts_offset_ = 0;  // where the restart array begins
  uint32_t num_restarts_ = 0;
  bool malformed_ = false;
};

}  // namespace ringkv::storage
