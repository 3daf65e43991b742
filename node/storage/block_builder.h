#pragma once
// Builds one sorted block (after LevelDB's table/block_builder.cc): each key is stored as
// the bytes it does not share with the previous key; every `restart_interval` keys a full
// key is stored and its offset recorded, so a reader can binary-search the restarts.
//
//   entry:  [shared varint][non_shared varint][value_len varint][key delta][value]
//   tail:   [restart offset fixed32]... [restart count fixed32]

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringkv::storage {

class BlockBuilder {
 public:
  explicit BlockBuilder(int restart_interval);
  // Keys must be added in increasing order (the caller checks).
  void Add(std::string_view key, std::string_view value);
  std::string_view Finish();  // valid until Reset
  void Reset();
  size_t CurrentSizeEstimate() const;
  bool empty() const { return buffer_.empty(); }
  std::string_view last_key() const { return last_key_; }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int counter_ = 0;
  std::string last_key_;
  bool finished_ = false;
};

}  // namespace ringkv::storage
