#include "node/storage/arena.h"

#include <cstdint>

namespace ringkv::storage {

char* Arena::AllocateAligned(size_t bytes) {
  constexpr size_t kAlign = alignof(std::max_align_t) > 8 ? alignof(std::max_align_t) : 8;
  size_t misalign = reinterpret_cast<uintptr_t>(ptr_) & (kAlign - 1);
  size_t slop = misalign == 0 ? 0 : kAlign - misalign;
  usage_.store(usage_.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
  if (bytes + slop <= remaining_) {
    char* result = ptr_ + slop;
    ptr_ += bytes + slop;
    remaining_ -= bytes + slop;
    return result;
  }
  return AllocateFallback(bytes);  // new blocks are max_align_t aligned
}

char* Arena::AllocateFallback(size_t bytes) {
  if (bytes > kBlockSize / 4) return NewBlock(bytes);  // big object: own block, keep the current one
  ptr_ = NewBlock(kBlockSize);
  remaining_ = kBlockSize;
  char* result = ptr_;
  ptr_ += bytes;
  remaining_ -= bytes;
  return result;
}

char* Arena::NewBlock(size_t bytes) {
  blocks_.push_back(std::make_unique<char[]>(bytes));
  return blocks_.back().get();
}

}  // namespace ringkv::storage
