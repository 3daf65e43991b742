#include "node/storage/memtable.h"

#include <cstring>

#include "common/coding.h"
#include "ringkv/limits.h"

namespace ringkv::storage {
namespace {

// Reads the varint-prefixed slice at p (memtable memory is trusted: written by Add).
std::string_view SliceAt(const char* p, const char** next = nullptr) {
  uint32_t len = 0;
  const char* data = GetVarint32Ptr(p, p + 5, &len);
  if (next != nullptr) *next = data + len;
  return {data, len};
}

}  // namespace

int Memtable::EntryComparator::operator()(const char* a, const char* b) const {
  return CompareInternalKeys(SliceAt(a), SliceAt(b));
}

Memtable::Memtable() : table_(EntryComparator{}, &arena_) {}

void Memtable::Add(SequenceNumber seq, std::string_view user_key, std::string_view encoded_record) {
  size_t ikey_len = user_key.size() + kInternalKeyTrailer;
  size_t total = static_cast<size_t>(VarintLength(ikey_len)) + ikey_len +
                 static_cast<size_t>(VarintLength(encoded_record.size())) + encoded_record.size();
  char* buf = arena_.Allocate(total);
  char* p = EncodeVarint32(buf, static_cast<uint32_t>(ikey_len));
  std::memcpy(p, user_key.data(), user_key.size());
  p += user_key.size();
  EncodeSequenceTrailer(p, seq);
  p += kInternalKeyTrailer;
  p = EncodeVarint32(p, static_cast<uint32_t>(encoded_record.size()));
  std::memcpy(p, encoded_record.data(), encoded_record.size());
  table_.Insert(buf);
  entries_.fetch_add(1, std::memory_order_relaxed);
}

std::optional<Memtable::Entry> Memtable::Get(std::string_view user_key, SequenceNumber snapshot) const {
  // Build the lookup entry on the stack: keys are at most kMaxKeyBytes.
  char lookup[kMaxKeyBytes + kInternalKeyTrailer + 8];
  if (user_key.size() > kMaxKeyBytes) return std::nullopt;
  size_t ikey_len = user_key.size() + kInternalKeyTrailer;
  char* p = EncodeVarint32(lookup, static_cast<uint32_t>(ikey_len));
  std::memcpy(p, user_key.data(), user_key.size());
  EncodeSequenceTrailer(p + user_key.size(), snapshot);

  Table::Iterator it(&table_);
  it.Seek(lookup);
  if (!it.Valid()) return std::nullopt;
  const char* value_ptr = nullptr;
  std::string_view ikey = SliceAt(it.key(), &value_ptr);
  if (ExtractUserKey(ikey) != user_key) return std::nullopt;
  std::string_view value = SliceAt(value_ptr);
  return Entry{std::string(value), ExtractSequence(ikey)};
}

// Walks the skip list; holds a reference so the arena outlives the iterator.
class Memtable::Iter : public InternalIterator {
 public:
  explicit Iter(std::shared_ptr<const Memtable> mem) : mem_(std::move(mem)), it_(&mem_->table_) {}
  bool Valid() const override { return it_.Valid(); }
  void SeekToFirst() override { it_.SeekToFirst(); }
  void Seek(std::string_view internal_key) override {
    scratch_.clear();
    PutLengthPrefixed(&scratch_, internal_key);
    it_.Seek(scratch_.data());
  }
  void Next() override { it_.Next(); }
  std::string_view key() const override { return SliceAt(it_.key()); }
  std::string_view value() const override {
    const char* value_ptr = nullptr;
    SliceAt(it_.key(), &value_ptr);
    return SliceAt(value_ptr);
  }
  Status status() const override { return Status::OK(); }

 private:
  std::shared_ptr<const Memtable> mem_;
  Table::Iterator it_;
  std::string scratch_;
};

std::unique_ptr<InternalIterator> Memtable::NewIterator() const { return std::make_unique<Iter>(shared_from_this()); }

}  // namespace ringkv::storage
