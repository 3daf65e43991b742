#pragma once
// Version: the immutable set of live SSTables at one moment; Snapshot: a version plus the
// memtables and the sequence number that together give a consistent point-in-time view.
// Both are shared_ptr-held: whoever holds one keeps its files and memory alive.

#include <memory>
#include <vector>

#include "node/storage/memtable.h"
#include "node/storage/record.h"
#include "node/storage/sstable.h"

namespace ringkv::storage {

struct Version {
  // Newest first: ordered by properties().max_seq descending.
  std::vector<std::shared_ptr<SSTable>> tables;

  uint64_t TotalBytes() const {
    uint64_t total = 0;
    for (const auto& t : tables) total += t->file_size();
    return total;
  }
};

class Snapshot {
 public:
  Snapshot(std::shared_ptr<Memtable> mem, std::shared_ptr<Memtable> imm, std::shared_ptr<const Version> version,
           SequenceNumber seq)
      : mem_(std::move(mem)), imm_(std::move(imm)), version_(std::move(version)), seq_(seq) {}

  const std::shared_ptr<Memtable>& mem() const { return mem_; }
  const std::shared_ptr<Memtable>& imm() const { return imm_; }  // may be null
  const std::shared_ptr<const Version>& version() const { return version_; }
  SequenceNumber sequence() const { return seq_; }

 private:
  std::shared_ptr<Memtable> mem_;
  std::shared_ptr<Memtable> imm_;
  std::shared_ptr<const Version> version_;
  SequenceNumber seq_;
};

}  // namespace ringkv::storage
