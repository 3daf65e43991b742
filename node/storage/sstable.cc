#include "node/storage/sstable.h"

#include <atomic>
#include <cstring>
#include <vector>

#include "common/coding.h"
#include "node/storage/block.h"
#include "node/storage/bloom.h"
#include "node/storage/table_format.h"
#include "ringkv/limits.h"

namespace ringkv::storage {

struct SSTable::Rep {
  // One per data block: the block's last internal key (in index_keys) and its handle.
  struct IndexEntry {
    size_t key_offset = 0;
    size_t key_size = 0;
    BlockHandle handle;
  };
  std::string path;
  uint64_t file_number = 0;
  std::unique_ptr<RandomAccessFile> file;
  BlockCache* cache = nullptr;
  StorageStats* stats = nullptr;
  TableProperties props;
  std::string bloom;
  std::string index_keys;  // every data block's last key, back to back
  std::vector<IndexEntry> index;
  std::atomic<bool> obsolete{false};

  std::string_view IndexKey(size_t i) const {
    return std::string_view(index_keys.data() + index[i].key_offset, index[i].key_size);
  }

  // First block whose last key >= target (index.size() if none): a binary search in memory.
  size_t FindBlock(std::string_view target) const {
    size_t left = 0, right = index.size();
    while (left < right) {
      size_t mid = left + (right - left) / 2;
      if (CompareInternalKeys(IndexKey(mid), target) < 0) {
        left = mid + 1;
      } else {
        right = mid;
      }
    }
    return left;
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

  Status Corruption(const std::string& problem) const { return Status::Corruption("sstable " + path + ": " + problem); }
  Status CheckLayout(const Footer& footer) const;
  Status LoadIndex(const BlockHandle& handle, uint64_t bloom_offset);
};

namespace {
uint64_t EndOf(const BlockHandle& h) { return h.offset + h.size + kBlockTrailerSize; }
}  // namespace

// The builder writes data blocks, bloom, properties, index and footer back to back; a
// footer whose handles say otherwise is corrupt (and would send reads anywhere).
Status SSTable::Rep::CheckLayout(const Footer& f) const {
  uint64_t size = file->Size();
  bool ok = f.bloom.offset <= size && f.bloom.size <= size && f.properties.size <= size && f.index.size <= size &&
            EndOf(f.bloom) == f.properties.offset && EndOf(f.properties) == f.index.offset &&
            EndOf(f.index) == size - kFooterSize;
  return ok ? Status::OK() : Corruption("footer handles do not match the file's layout");
}

// Decodes the index into memory: keys strictly increasing, data blocks back to back from
// offset 0 up to the bloom block.
Status SSTable::Rep::LoadIndex(const BlockHandle& handle, uint64_t bloom_offset) {
  RINGKV_ASSIGN(auto contents, ReadBlock(*file, handle, "index"));
  Block block(std::move(contents), &path, "index", handle.offset);
  BlockCursor cursor(block);
  uint64_t next_offset = 0;
  for (cursor.SeekToFirst(); cursor.Valid(); cursor.Next()) {
    auto bad = [&](std::string_view problem) { return BlockCorruption(path, problem, "index", handle.offset); };
    std::string_view v = cursor.value();
    IndexEntry e{index_keys.size(), cursor.key().size(), {}};
    if (!DecodeHandle(&v, &e.handle) || !v.empty()) return bad("undecodable block handle");
    if (e.handle.offset != next_offset || e.handle.size > bloom_offset) return bad("data blocks out of place");
    if (!index.empty() && CompareInternalKeys(IndexKey(index.size() - 1), cursor.key()) >= 0) {
      return bad("keys out of order");
    }
    next_offset = EndOf(e.handle);
    index_keys.append(cursor.key());
    index.push_back(e);
  }
  RINGKV_TRY(cursor.status());
  if (next_offset != bloom_offset) return BlockCorruption(path, "data blocks out of place", "index", handle.offset);
  return Status::OK();
}

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
    return r.Corruption("file of " + std::to_string(r.file->Size()) + " bytes is too short for a table");
  }
  std::string footer_bytes;
  RINGKV_TRY(r.file->Read(r.file->Size() - kFooterSize, kFooterSize, &footer_bytes));
  RINGKV_ASSIGN(Footer footer, DecodeFooter(footer_bytes, path));
  RINGKV_TRY(r.CheckLayout(footer));

  RINGKV_ASSIGN(auto props, ReadBlock(*r.file, footer.properties, "properties"));
  if (!DecodeProperties(*props, &r.props)) {
    return BlockCorruption(path, "undecodable properties", "properties", footer.properties.offset);
  }
  RINGKV_ASSIGN(auto bloom, ReadBlock(*r.file, footer.bloom, "bloom filter"));
  r.bloom = *bloom;
  RINGKV_TRY(r.LoadIndex(footer.index, footer.bloom.offset));
  if (r.index.size() != r.props.num_data_blocks) {
    return r.Corruption("index lists " + std::to_string(r.index.size()) + " data blocks, properties " +
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
  if (user_key.size() > kMaxKeyBytes) return std::optional<Entry>();  // the builder refuses such keys
  char target_buf[kMaxBlockKeyBytes];
  std::memcpy(target_buf, user_key.data(), user_key.size());
  EncodeSequenceTrailer(target_buf + user_key.size(), snapshot);
  std::string_view target(target_buf, user_key.size() + kInternalKeyTrailer);
  // Entries >= target begin in the first block whose last key is >= target; a block that
  // (against its index entry) holds nothing >= target sends the search on to the next.
  for (size_t i = r.FindBlock(target); i < r.index.size(); ++i) {
    RINGKV_ASSIGN(auto contents, r.LoadBlock(i, cache_only));
    Block block(std::move(contents), &r.path, "data", r.index[i].handle.offset);
    BlockCursor cursor(block);
    cursor.Seek(target);
    if (!cursor.status().ok()) return cursor.status();
    if (!cursor.Valid()) continue;
    // The first entry >= (user_key, snapshot) is the newest version at or below snapshot,
    // if it belongs to user_key at all.
    if (ExtractUserKey(cursor.key()) != user_key) return std::optional<Entry>();
    return std::optional<Entry>(Entry{std::string(cursor.value()), ExtractSequence(cursor.key())});
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
    if (!Valid()) return;
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
    Block block(std::move(contents).value(), &rep_->path, "data", rep_->index[i].handle.offset);
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
