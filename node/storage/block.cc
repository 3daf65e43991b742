#include "node/storage/block.h"

#include "common/coding.h"
#include "node/storage/record.h"

namespace ringkv::storage {

Block::Block(std::shared_ptr<const std::string> contents, const std::string* file, uint64_t offset)
    : contents_(std::move(contents)), file_(file), offset_(offset) {
  size_t size = contents_->size();
  if (size < 4) {
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

class Block::Iter final : public InternalIterator {
 public:
  explicit Iter(const Block* block)
      : contents_(block->contents_),
        file_(block->file_),
        offset_(block->offset_),
        data_(contents_->data()),
        restarts_(block->restarts_offset_),
        num_restarts_(block->num_restarts_) {
    if (block->malformed_) Corrupt("malformed block trailer");
  }

  bool Valid() const override { return valid_; }
  Status status() const override { return status_; }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }

  void SeekToFirst() override {
    if (!status_.ok()) return Invalidate();
    SeekToRestart(0);
    ParseNext();
  }

  void Next() override {
    if (valid_) ParseNext();
  }

  void Seek(std::string_view target) override {
    if (!status_.ok()) return Invalidate();
    // Last restart whose key < target, by binary search; then scan forward.
    uint32_t left = 0, right = num_restarts_ - 1;
    while (left < right) {
      uint32_t mid = (left + right + 1) / 2;
      std::string_view mid_key;
      if (!RestartKey(mid, &mid_key)) return;
      if (CompareInternalKeys(mid_key, target) < 0) left = mid;
      else right = mid - 1;
    }
    SeekToRestart(left);
    for (ParseNext(); valid_; ParseNext()) {
      if (CompareInternalKeys(key_, target) >= 0) return;
    }
  }

 private:
  void Invalidate() { valid_ = false; }
  void Corrupt(const char* what) {
    status_ = Status::Corruption(*file_ + ": " + what + " in block at offset " + std::to_string(offset_));
    valid_ = false;
  }
  uint32_t RestartPoint(uint32_t i) const { return DecodeFixed32(data_ + restarts_ + 4 * size_t{i}); }
  void SeekToRestart(uint32_t i) {
    key_.clear();
    next_ = RestartPoint(i);
  }

  // Decodes one entry header at p (bounded by `restarts_`); nullptr if malformed.
  const char* DecodeEntry(const char* p, uint32_t* shared, uint32_t* non_shared, uint32_t* value_len) const {
    const char* limit = data_ + restarts_;
    if (p >= limit) return nullptr;
    if ((p = GetVarint32Ptr(p, limit, shared)) == nullptr) return nullptr;
    if ((p = GetVarint32Ptr(p, limit, non_shared)) == nullptr) return nullptr;
    if ((p = GetVarint32Ptr(p, limit, value_len)) == nullptr) return nullptr;
    if (static_cast<size_t>(limit - p) < size_t{*non_shared} + *value_len) return nullptr;
    return p;
  }

  bool RestartKey(uint32_t i, std::string_view* key) {
    uint32_t offset = RestartPoint(i), shared = 0, non_shared = 0, value_len = 0;
    const char* p = offset < restarts_ ? DecodeEntry(data_ + offset, &shared, &non_shared, &value_len) : nullptr;
    if (p == nullptr || shared != 0) {
      Corrupt("bad restart point");
      return false;
    }
    *key = std::string_view(p, non_shared);
    return true;
  }

  void ParseNext() {
    if (next_ >= restarts_) {
      valid_ = false;  // end of the entries
      return;
    }
    uint32_t shared = 0, non_shared = 0, value_len = 0;
    const char* p = DecodeEntry(data_ + next_, &shared, &non_shared, &value_len);
    if (p == nullptr || shared > key_.size()) return Corrupt("bad entry");
    key_.resize(shared);
    key_.append(p, non_shared);
    value_ = std::string_view(p + non_shared, value_len);
    next_ = static_cast<uint32_t>(p + non_shared + value_len - data_);
    if (key_.size() < kInternalKeyTrailer) return Corrupt("key shorter than its trailer");
    valid_ = true;
  }

  std::shared_ptr<const std::string> contents_;
  const std::string* file_;
  uint64_t offset_;
  const char* data_;
  uint32_t restarts_;
  uint32_t num_restarts_;
  uint32_t next_ = 0;
  std::string key_;
  std::string_view value_;
  bool valid_ = false;
  Status status_;
};

std::unique_ptr<InternalIterator> Block::NewIterator() const { return std::make_unique<Iter>(this); }

Status Block::SeekFirst(std::string_view target, std::string* key, std::string_view* value, bool* found) const {
  Iter it(this);
  it.Seek(target);
  *found = it.Valid();
  if (*found) {
    key->assign(it.key());
    *value = it.value();
  }
  return it.status();
}

}  // namespace ringkv::storage
