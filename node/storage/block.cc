#include "node/storage/block.h"

#include <cstring>
#include <limits>

#include "common/coding.h"

namespace ringkv::storage {

Status BlockCorruption(const std::string& file, std::string_view problem, std::string_view kind, uint64_t offset) {
  std::string msg = "sstable ";
  msg.append(file).append(": ").append(problem).append(" in ").append(kind);
  msg.append(" block at offset ").append(std::to_string(offset));
  return Status::Corruption(std::move(msg));
}

// ---- Block ------------------------------------------------------------------------------

Block::Block(std::shared_ptr<const std::string> contents, const std::string* file, const char* kind, uint64_t offset)
    : contents_(std::move(contents)), file_(file), kind_(kind), offset_(offset) {
  size_t size = contents_->size();
  if (size < 4 || size > std::numeric_limits<uint32_t>::max()) {
    malformed_ = true;
    return;
  }
  num_restarts_ = DecodeFixed32(contents_->data() + size - 4);
  size_t max_restarts = (size - 4) / 4;
  if (num_restarts_ == 0 || num_restarts_ > max_restarts) {
    malformed_ = true;
    num_restarts_ = 0;
    return;
  }
  restarts_offset_ = static_cast<uint32_t>(size - 4 - 4 * size_t{num_restarts_});
}

uint32_t Block::RestartOffset(uint32_t i) const {
  return DecodeFixed32(contents_->data() + restarts_offset_ + 4 * size_t{i});
}

// A restart points at an entry, so strictly before the restart array; the one exception
// is the single restart (offset 0) of a block with no entries.
bool Block::RestartInRange(uint32_t offset) const {
  return offset < restarts_offset_ || (offset == 0 && restarts_offset_ == 0);
}

Status Block::Corruption(std::string_view problem) const { return BlockCorruption(*file_, problem, kind_, offset_); }

// ---- BlockCursor ------------------------------------------------------------------------

BlockCursor::BlockCursor(const Block& block) : block_(block), data_(block.contents_->data()) {
  if (block.malformed_) Fail("malformed restart array");
}

void BlockCursor::SeekToFirst() {
  if (SeekToRestart(0)) ParseNextEntry();
}

void BlockCursor::Next() {
  if (valid_) ParseNextEntry();
}

void BlockCursor::Seek(std::string_view target) {
  if (!status_.ok()) return;
  // The last restart point whose key is < target; the answer is at or after it.
  uint32_t left = 0;
  uint32_t right = block_.num_restarts_ - 1;
  while (left < right) {
    uint32_t mid = left + (right - left + 1) / 2;
    std::string_view mid_key;
    if (!RestartKey(mid, &mid_key)) return;
    if (CompareInternalKeys(mid_key, target) < 0) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  if (!SeekToRestart(left)) return;
  for (ParseNextEntry(); valid_; ParseNextEntry()) {
    if (CompareInternalKeys(key(), target) >= 0) return;
  }
}

bool BlockCursor::SeekToRestart(uint32_t i) {
  valid_ = false;
  if (!status_.ok()) return false;
  uint32_t offset = block_.RestartOffset(i);
  if (!block_.RestartInRange(offset)) {
    Fail("restart point out of range");
    return false;
  }
  key_size_ = 0;
  next_ = offset;
  return true;
}

// The full key stored at restart point i (restart entries share nothing), without moving.
bool BlockCursor::RestartKey(uint32_t i, std::string_view* key) {
  uint32_t offset = block_.RestartOffset(i);
  uint32_t shared = 0, non_shared = 0, value_len = 0;
  const char* p = block_.RestartInRange(offset) ? DecodeEntryHeader(offset, &shared, &non_shared, &value_len) : nullptr;
  if (p == nullptr || shared != 0 || non_shared < kInternalKeyTrailer || non_shared > kMaxBlockKeyBytes) {
    Fail("bad restart point");
    return false;
  }
  *key = std::string_view(p, non_shared);
  return true;
}

// Decodes the three varints of the entry at `offset` and checks that its key delta and
// value lie before the restart array; returns where the key delta starts, or nullptr.
const char* BlockCursor::DecodeEntryHeader(uint32_t offset, uint32_t* shared, uint32_t* non_shared,
                                           uint32_t* value_len) const {
  const char* limit = data_ + block_.restarts_offset_;
  const char* p = data_ + offset;
  if (p >= limit) return nullptr;
  if ((p = GetVarint32Ptr(p, limit, shared)) == nullptr) return nullptr;
  if ((p = GetVarint32Ptr(p, limit, non_shared)) == nullptr) return nullptr;
  if ((p = GetVarint32Ptr(p, limit, value_len)) == nullptr) return nullptr;
  if (static_cast<size_t>(limit - p) < size_t{*non_shared} + *value_len) return nullptr;
  return p;
}

void BlockCursor::ParseNextEntry() {
  valid_ = false;
  if (next_ >= block_.restarts_offset_) return;  // past the last entry
  uint32_t shared = 0, non_shared = 0, value_len = 0;
  const char* p = DecodeEntryHeader(next_, &shared, &non_shared, &value_len);
  if (p == nullptr) return Fail("bad entry");
  if (shared > key_size_) return Fail("entry shares more bytes than the previous key has");
  size_t key_size = size_t{shared} + non_shared;
  if (key_size < kInternalKeyTrailer) return Fail("key shorter than its trailer");
  if (key_size > kMaxBlockKeyBytes) return Fail("key longer than the limit");
  std::memcpy(key_ + shared, p, non_shared);
  key_size_ = key_size;
  value_ = std::string_view(p + non_shared, value_len);
  next_ = static_cast<uint32_t>(p + non_shared + value_len - data_);
  valid_ = true;
}

void BlockCursor::Fail(std::string_view problem) {
  valid_ = false;
  if (status_.ok()) status_ = block_.Corruption(problem);
}

// ---- Block::NewIterator -----------------------------------------------------------------

namespace {

// An InternalIterator over one block: a cursor plus a share of the block it walks.
class BlockIterator final : public InternalIterator {
 public:
  explicit BlockIterator(const Block& block) : block_(block), cursor_(block_) {}

  bool Valid() const override { return cursor_.Valid(); }
  Status status() const override { return cursor_.status(); }
  std::string_view key() const override { return cursor_.key(); }
  std::string_view value() const override { return cursor_.value(); }
  void SeekToFirst() override { cursor_.SeekToFirst(); }
  void Seek(std::string_view target) override { cursor_.Seek(target); }
  void Next() override { cursor_.Next(); }

 private:
  const Block block_;  // declared before cursor_, which refers to it
  BlockCursor cursor_;
};

}  // namespace

std::unique_ptr<InternalIterator> Block::NewIterator() const { return std::make_unique<BlockIterator>(*this); }

}  // namespace ringkv::storage
