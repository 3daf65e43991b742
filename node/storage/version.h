#pragma once
// Version: the immutable set of live SSTables at one moment; Snapshot: a version plus the
// memtables (the active one and those waiting for their flush) and the sequence number
// that together give a consistent point-in-time view. Both are shared_ptr-held: whoever
// holds one keeps its files (tables and blob files) and memory alive.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "node/storage/blob_file.h"
#include "node/storage/memtable.h"
#include "node/storage/record.h"
#include "node/storage/sstable.h"

namespace ringkv::storage {

struct Version {
  // Newest first: ordered by properties().max_seq descending.
  std::vector<std::shared_ptr<SSTable>> tables;
  // Every blob file a table above refers to (and none other), by number.
  std::map<uint64_t, std::shared_ptr<BlobFile>> blobs;

  // The value `ref` points at: Corruption naming the file when it is damaged, or when the
  // version holds no such blob file (a dangling reference).
  Status ReadBlob(const BlobRef& ref, std::string* value) const {
    auto it = blobs.find(ref.file_number);
    if (it == blobs.end()) {
      return Status::Corruption("a record refers to blob file " + std::to_string(ref.file_number) +
                                ", which is not live");
    }
    return it->second->Read(ref, value);
  }
  uint64_t BlobBytes() const {
    uint64_t total = 0;
    for (const auto& [number, b] : blobs) total += b->file_size();
    return total;
  }

  uint64_t TotalBytes() const {
    uint64_t total = 0;
    for (const auto& t : tables) total += t->file_size();
    return total;
  }
};

class Snapshot {
 public:
  Snapshot(std::shared_ptr<Memtable> mem, std::shared_ptr<const MemtableList> imms,
           std::shared_ptr<const Version> version, SequenceNumber seq)
      : mem_(std::move(mem)), imms_(std::move(imms)), version_(std::move(version)), seq_(seq) {}

  const std::shared_ptr<Memtable>& mem() const { return mem_; }
  const MemtableList& imms() const { return *imms_; }  // newest first; may be empty
  const std::shared_ptr<const Version>& version() const { return version_; }
  SequenceNumber sequence() const { return seq_; }

 private:
  std::shared_ptr<Memtable> mem_;
  std::shared_ptr<const MemtableList> imms_;
  std::shared_ptr<const Version> version_;
  SequenceNumber seq_;
};

}  // namespace ringkv::storage
