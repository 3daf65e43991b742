#include "node/storage/sstable.h"

#include <algorithm>
#include <cstring>

#include "common/coding.h"
#include "common/limits.h"
#include "node/storage/block.h"
#include "node/storage/bloom.h"
#include "node/storage/table_format.h"

namespace ringkv::storage {

struct SSTable::Rep {
  struct IndexEntry {
    std::string last_key;  // internal key
    BlockHandle handle;
  };
  std::string path;
  uint64_t file_number = 0;
  std::unique_ptr<RandomAccessFile> file;
  BlockCache* cache = nullptr;
  StorageStats* stats = nullptr;
  TableProperties props;
  std::string bloom;
  std::vector<IndexEntry> index;
  std::atomic<bool> obsolete{false};

  // First block whose last key >= target.
  size_t FindBlock(std::string_view target) const {
    auto it = std::lower_bound(index.begin(), index.end(), target, [](const IndexEntry& e, std::string_view t) {
      return CompareInternalKeys(e.last_key, t) < 0;
    });
    return static_cast<size_t>(it - index.begin());
  }

  Result<std::shared_ptr<const std::string>> LoadBlock(size_t i, bool cache_only = false) const {
    const BlockHandle& h = index[i].handle;
    if (cache != nullptr) {
      if (auto hit = cache->Lookup(file_number, h.offset)) {
        if (stats) stats->block_cache_hits.fetch_add(1, std::memory_order_relaxed);
        return hit;
      }
    }
    if (cache_only) return Status::Busy("block not cached");
    if (stats) stats->block_cache_misses.fetch_add(1, std::memory_order_relaxed);
    RINGKV_ASSIGN(auto block, ReadBlock(*file, h, "data"));
    if (cache != nullptr) cache->Insert(file_number, h.offset, block);
    return block;
  }
};

SSTable::SSTable() : rep_(std::make_unique<Rep>()) {}

SSTable::~SSTable() {
  if (rep_->obsolete.load()) {
    rep_->file.reset();
    (void)RemoveFile(rep_->path);
    if (rep_->cache != nullptr) rep_->cache->EraseFile(rep_->file_number);
  }
}

Result<std::shared_ptr<SSTable>> SSTable::Open(const std::string& path, uint64_t file_number, BlockCache* cache,
                                               StorageStats* stats) {
  std::shared_ptr<SSTable> table(new SSTable());
  Rep& r = *table->rep_;
  r.path = path;
  r.file_number = file_number;
  r.cache = cache;
  r.stats = stats;
  RINGKV_ASSIGN(r.file, RandomAccessFile::Open(path));
  if (r.file->Size() < kFooterSize) {
    return Status::Corruption(path + ": file of " + std::to_string(r.file->Size()) + " bytes is too short for a table");
  }
  std::string footer_bytes;
  RINGKV_TRY(r.file->Read(r.file->Size() - kFooterSize, kFooterSize, &footer_bytes));
  RINGKV_ASSIGN(Footer footer, DecodeFooter(footer_bytes, path));

  RINGKV_ASSIGN(auto props, ReadBlock(*r.file, footer.properties, "properties"));
  if (!DecodeProperties(*props, &r.props)) return Status::Corruption(path + ": undecodable properties block");
  RINGKV_ASSIGN(auto bloom, ReadBlock(*r.file, footer.bloom, "bloom filter"));
  r.bloom = *bloom;
  RINGKV_ASSIGN(auto index, ReadBlock(*r.file, footer.index, "index"));
  Block index_block(index, &r.path, footer.index.offset);
  auto it = index_block.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view v = it->value();
    Rep::IndexEntry e{std::string(it->key()), {}};
    if (!DecodeHandle(&v, &e.handle) || !v.empty()) {
      return Status::Corruption(path + ": bad block handle in index block at offset " +
                                std::to_string(footer.index.offset));
    }
    r.index.push_back(std::move(e));
  }
  RINGKV_TRY(it->status());
  if (r.index.size() != r.props.num_data_blocks) {
    return Status::Corruption(path + ": index lists " + std::to_string(r.index.size()) + " blocks, properties " +
                              std::to_string(r.props.num_data_blocks));
  }
  return table;
}

bool SSTable::MayContain(std::string_view user_key) const { return BloomMayContain(rep_->bloom, user_key); }

Result<std::optional<SSTable::Entry>> SSTable::Get(std::string_view user_key, SequenceNumber snapshot,
                                                   bool cache_only) const {
  const Rep& r = *rep_;
  if (r.stats) r.stats->bloom_checks.fetch_add(1, std::memory_order_relaxed);
  if (!BloomMayContain(r.bloom, user_key)) {
    if (r.stats) r.stats->bloom_skips.fetch_add(1, std::memory_order_relaxed);
    return std::optional<Entry>();
  }
  char target_buf[kMaxKeyBytes + kInternalKeyTrailer];
  if (user_key.size() > kMaxKeyBytes) return std::optional<Entry>();
  std::memcpy(target_buf, user_key.data(), user_key.size());
  EncodeSequenceTrailer(target_buf + user_key.size(), snapshot);
  std::string_view target(target_buf, user_key.size() + kInternalKeyTrailer);
  std::string key;
  for (size_t i = r.FindBlock(target); i < r.index.size(); ++i) {
    RINGKV_ASSIGN(auto contents, r.LoadBlock(i, cache_only));
    Block block(std::move(contents), &r.path, r.index[i].handle.offset);
    std::string_view value;
    bool found = false;
    RINGKV_TRY(block.SeekFirst(target, &key, &value, &found));
    if (!found) continue;  // all of this block is before the target
    if (ExtractUserKey(key) != user_key) return std::optional<Entry>();
    return std::optional<Entry>(Entry{std::string(value), ExtractSequence(key)});
  }
  return std::optional<Entry>();
}

// Walks the index, one data block at a time.
class TableIterator : public InternalIterator {
 public:
  TableIterator(std::shared_ptr<const SSTable> table, const SSTable::Rep* rep) : table_(std::move(table)), rep_(rep) {}

  bool Valid() const override { return block_iter_ && block_iter_->Valid(); }
  std::string_view key() const override { return block_iter_->key(); }
  std::string_view value() const override { return block_iter_->value(); }
  Status status() const override {
    if (!status_.ok()) return status_;
    return block_iter_ ? block_iter_->status() : Status::OK();
  }
  void SeekToFirst() override {
    if (!OpenBlock(0)) return;
    block_iter_->SeekToFirst();
    SkipEmptyBlocks();
  }
  void Seek(std::string_view target) override {
    if (!OpenBlock(rep_->FindBlock(target))) return;
    block_iter_->Seek(target);
    SkipEmptyBlocks();
  }
  void Next() override {
    block_iter_->Next();
    SkipEmptyBlocks();
  }

 private:
  bool OpenBlock(size_t i) {
    block_iter_.reset();
    block_ = i;
    if (i >= rep_->index.size() || !status_.ok()) return false;
    auto contents = rep_->LoadBlock(i);
    if (!contents.ok()) {
      status_ = contents.status();
      return false;
    }
    Block block(std::move(contents).value(), &rep_->path, rep_->index[i].handle.offset);
    block_iter_ = block.NewIterator();
    return true;
  }
  void SkipEmptyBlocks() {
    while (block_iter_ && !block_iter_->Valid() && block_iter_->status().ok()) {
      if (!OpenBlock(block_ + 1)) return;
      block_iter_->SeekToFirst();
    }
  }

  std::shared_ptr<const SSTable> table_;
  const SSTable::Rep* rep_;
  size_t block_ = 0;
  std::unique_ptr<InternalIterator> block_iter_;
  Status status_;
};

std::unique_ptr<InternalIterator> SSTable::NewIterator() const {
  return std::make_unique<TableIterator>(shared_from_this(), rep_.get());
}

const TableProperties& SSTable::properties() const { return rep_->props; }
uint64_t SSTable::file_number() const { return rep_->file_number; }
uint64_t SSTable::file_size() const { return rep_->file->Size(); }
const std::string& SSTable::path() const { return rep_->path; }
void SSTable::MarkObsolete() { rep_->obsolete.store(true); }

}  // namespace ringkv::storage
