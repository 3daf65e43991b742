#pragma once
// Bump allocator for memtable entries: memory is freed all at once with the memtable.
// Allocation is single-threaded (the memtable has one writer); MemoryUsage() may be read
// from any thread.

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace ringkv::storage {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  char* Allocate(size_t bytes);
  char* AllocateAligned(size_t bytes);
  // Bytes handed out so far (what the data occupies, not the blocks reserved for it).
  size_t MemoryUsage() const { return usage_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kBlockSize = 64 * 1024;
  char* AllocateFallback(size_t bytes);
  char* NewBlock(size_t bytes);

  char* ptr_ = nullptr;
  size_t remaining_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> usage_{0};
};

inline char* Arena::Allocate(size_t bytes) {
  usage_.store(usage_.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);  // one writer
  if (bytes <= remaining_) {
    char* result = ptr_;
    ptr_ += bytes;
    remaining_ -= bytes;
    return result;
  }
  return AllocateFallback(bytes);
}

}  // namespace ringkv::storage
