#include "node/storage/sstable_builder.h"

#include <set>

#include "node/storage/block.h"
#include "node/storage/block_builder.h"
#include "node/storage/bloom.h"
#include "node/storage/table_format.h"

namespace ringkv::storage {

struct SSTableBuilder::Rep {
  Rep(const StorageOptions& o, std::unique_ptr<WritableFile> f)
      : options(o),
        file(std::move(f)),
        data_block(o.block_restart_interval),
        index_block(1),
        bloom(o.bloom_bits_per_key) {}

  const StorageOptions options;
  std::unique_ptr<WritableFile> file;
  BlockBuilder data_block;
  BlockBuilder index_block;
  BloomFilterBuilder bloom;
  TableProperties props;
  std::string last_key;
  std::string scratch;
  std::set<uint64_t> blob_files;
  bool finished = false;
  Status status;  // first failure; every later call returns it

  Status FlushDataBlock() {
    if (data_block.empty()) return Status::OK();
    RINGKV_ASSIGN(BlockHandle handle, WriteBlock(file.get(), data_block.Finish(), options.compression, &scratch));
    std::string encoded;
    EncodeHandle(handle, &encoded);
    index_block.Add(last_key, encoded);  // the block's last key: >= its keys, < the next block's
    data_block.Reset();
    ++props.num_data_blocks;
    return Status::OK();
  }
};

SSTableBuilder::SSTableBuilder(const StorageOptions& options, std::unique_ptr<WritableFile> file)
    : rep_(std::make_unique<Rep>(options, std::move(file))) {}

SSTableBuilder::~SSTableBuilder() = default;

Status SSTableBuilder::Add(std::string_view internal_key, std::string_view value) {
  Rep& r = *rep_;
  if (!r.status.ok()) return r.status;
  if (r.finished) return Status::InvalidArgument("Add after Finish");
  if (internal_key.size() < kInternalKeyTrailer) return Status::InvalidArgument("key shorter than its trailer");
  if (internal_key.size() > kMaxBlockKeyBytes) {
    return Status::InvalidArgument("table key of " + std::to_string(internal_key.size() - kInternalKeyTrailer) +
                                   " bytes: limit is " + std::to_string(kMaxKeyBytes));
  }
  bool first = r.props.num_entries == 0;
  if (!first && CompareInternalKeys(internal_key, r.last_key) <= 0) {
    return Status::InvalidArgument("table keys must be strictly increasing");
  }
  std::string_view user_key = ExtractUserKey(internal_key);
  if (first || user_key != ExtractUserKey(r.last_key)) r.bloom.AddKey(user_key);

  r.data_block.Add(internal_key, value);
  r.last_key.assign(internal_key);
  TableProperties& p = r.props;
  if (first) p.smallest_key.assign(internal_key);
  ++p.num_entries;
  p.raw_key_bytes += internal_key.size();
  p.raw_value_bytes += value.size();
  SequenceNumber seq = ExtractSequence(internal_key);
  p.min_seq = std::min(p.min_seq, seq);
  p.max_seq = std::max(p.max_seq, seq);
  bool tombstone = false;
  uint64_t ts = 0;
  if (PeekTombstone(value, &tombstone, &ts) && tombstone) {
    ++p.num_tombstones;
    p.newest_tombstone_ms = std::max(p.newest_tombstone_ms, ts);
  }
  if (uint64_t expiry = PeekExpiry(value); expiry != 0) {
    ++p.num_expiring;
    p.newest_expiry_ms = std::max(p.newest_expiry_ms, expiry);
  }
  BlobRef ref;
  if (PeekBlobRef(value, &ref)) r.blob_files.insert(ref.file_number);
  if (r.data_block.CurrentSizeEstimate() >= r.options.block_bytes) r.status = r.FlushDataBlock();
  return r.status;
}

Status SSTableBuilder::Finish() {
  Rep& r = *rep_;
  if (!r.status.ok()) return r.status;
  if (r.finished) return Status::InvalidArgument("Finish called twice");
  r.finished = true;
  r.props.largest_key = r.last_key;
  r.props.blob_files.assign(r.blob_files.begin(), r.blob_files.end());
  auto write_all = [&]() -> Status {
    RINGKV_TRY(r.FlushDataBlock());
    Footer footer;
    RINGKV_ASSIGN(footer.bloom, WriteBlock(r.file.get(), r.bloom.Finish(), Compression::kNone, &r.scratch));
    RINGKV_ASSIGN(footer.properties,
                  WriteBlock(r.file.get(), EncodeProperties(r.props), Compression::kNone, &r.scratch));
    RINGKV_ASSIGN(footer.index, WriteBlock(r.file.get(), r.index_block.Finish(), Compression::kNone, &r.scratch));
    RINGKV_TRY(r.file->Append(EncodeFooter(footer)));
    RINGKV_TRY(r.file->Sync());
    return r.file->Close();
  };
  r.status = write_all();
  return r.status;
}

void SSTableBuilder::Abandon() {
  rep_->finished = true;
  (void)rep_->file->Close();
}

uint64_t SSTableBuilder::NumEntries() const { return rep_->props.num_entries; }
uint64_t SSTableBuilder::FileSize() const { return rep_->file->Size(); }
const TableProperties& SSTableBuilder::properties() const { return rep_->props; }

}  // namespace ringkv::storage
