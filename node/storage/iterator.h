#pragma once
// The iterator every sorted source implements (memtable, block, table, merge):
// positions over (internal key, encoded record) pairs in CompareInternalKeys order.
// key()/value() stay valid until the iterator moves. status() reports corruption met.

#include <string_view>

#include "ringkv/status.h"

namespace ringkv::storage {

class InternalIterator {
 public:
  virtual ~InternalIterator() = default;
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  // First entry whose internal key is >= target.
  virtual void Seek(std::string_view internal_key) = 0;
  virtual void Next() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
};

}  // namespace ringkv::storage
