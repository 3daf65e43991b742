#pragma once
// Version: the immutable set of live SSTables at one moment; Snapshot: a version plus the
// memtables (the active one and those waiting for their flush) and the sequence number
// that together give a consistent point-in-time view. Both are shared_ptr-held: whoever
// holds one keeps its files (tables and blob files) and memory alive.

#include <algorithm>
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
  // Newest first: ordered by properties().max_seq descending. Every table, all levels.
  std::vector<std::shared_ptr<SSTable>> tables;
  // The same tables by level (compaction.h). Level 0 newest first, its tables may overlap;
  // each level >= 1 holds disjoint tables in key order, and a key's version in level L is
  // newer than any of it in levels below L. Size-tiered compaction keeps every table in level 0.
  std::vector<std::vector<std::shared_ptr<SSTable>>> levels = std::vector<std::vector<std::shared_ptr<SSTable>>>(1);
  std::map<uint64_t, int> level_of;  // table number -> level

  int LevelOf(uint64_t table_number) const {
    auto it = level_of.find(table_number);
    return it == level_of.end() ? 0 : it->second;
  }
  uint64_t LevelBytes(size_t level) const {
    uint64_t total = 0;
    if (level < levels.size())
      for (const auto& t : levels[level]) total += t->file_size();
    return total;
  }
  // Rebuilds `tables` and `levels` from `level_of` and the given tables (sorted as above).
  void Arrange(std::vector<std::shared_ptr<SSTable>> all) {
    tables = std::move(all);
    std::sort(tables.begin(), tables.end(),
              [](const auto& a, const auto& b) { return a->properties().max_seq > b->properties().max_seq; });
    levels.assign(1, {});
    for (const auto& t : tables) {
      size_t level = static_cast<size_t>(LevelOf(t->file_number()));
      if (levels.size() <= level) levels.resize(level + 1);
      levels[level].push_back(t);  // level 0 stays newest first
    }
    for (size_t level = 1; level < levels.size(); ++level) {
      std::sort(levels[level].begin(), levels[level].end(), [](const auto& a, const auto& b) {
        return ExtractUserKey(a->properties().smallest_key) < ExtractUserKey(b->properties().smallest_key);
      });
    }
  }
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
