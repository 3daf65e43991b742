#include "node/storage/record_iterator.h"

#include "node/storage/merger.h"

namespace ringkv::storage {
namespace {

class SnapshotIterator : public RecordIterator {
 public:
  SnapshotIterator(std::shared_ptr<const Snapshot> snapshot, std::string start, std::string end)
      : snapshot_(std::move(snapshot)), end_(std::move(end)) {
    std::vector<std::unique_ptr<InternalIterator>> children;
    children.push_back(snapshot_->mem()->NewIterator());
    for (const auto& imm : snapshot_->imms()) children.push_back(imm->NewIterator());
    for (const auto& t : snapshot_->version()->tables) children.push_back(t->NewIterator());
    merged_ = NewMergingIterator(std::move(children));
    merged_->Seek(MakeInternalKey(start, kMaxSequence));
    Settle();
  }

  bool Valid() const override { return valid_; }
  void Next() override {
    merged_->Next();
    Settle();
  }
  std::string_view key() const override { return key_; }
  const Record& record() const override { return record_; }
  Status status() const override { return status_.ok() ? merged_->status() : status_; }

 private:
  // Moves to the newest visible version of the next user key not yet returned.
  void Settle() {
    valid_ = false;
    for (; merged_->Valid(); merged_->Next()) {
      std::string_view ikey = merged_->key();
      std::string_view user_key = ExtractUserKey(ikey);
      if (!end_.empty() && user_key >= end_) return;
      if (ExtractSequence(ikey) > snapshot_->sequence()) continue;  // written after the snapshot
      if (returned_any_ && user_key == key_) continue;              // older version of the last key
      std::optional<BlobRef> blob;
      Status s = DecodeRecord(merged_->value(), &record_, &blob);
      if (!s.ok()) {
        status_ = Status::Corruption("undecodable record for a key during iteration: " + s.message());
        return;
      }
      if (blob) {
        s = snapshot_->version()->ReadBlob(*blob, &record_.value);
        if (!s.ok()) {
          status_ = s;
          return;
        }
      }
      key_.assign(user_key);
      returned_any_ = true;
      valid_ = true;
      return;
    }
  }

  std::shared_ptr<const Snapshot> snapshot_;
  std::string end_;
  std::unique_ptr<InternalIterator> merged_;
  std::string key_;
  Record record_;
  bool returned_any_ = false;
  bool valid_ = false;
  Status status_;
};

}  // namespace

std::unique_ptr<RecordIterator> NewSnapshotIterator(std::shared_ptr<const Snapshot> snapshot, std::string start,
                                                    std::string end) {
  return std::make_unique<SnapshotIterator>(std::move(snapshot), std::move(start), std::move(end));
}

}  // namespace ringkv::storage
