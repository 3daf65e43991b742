#pragma once
// Lock-free-read skip list (after LevelDB's db/skiplist.h).
//
// One writer at a time (the caller serialises Insert); any number of concurrent readers
// without locks: nodes are published with release stores and read with acquire loads,
// and nothing is ever removed, so a reader never sees a half-built node.
// Keys are `const char*` into arena memory, ordered by Comparator(a, b) -> int.

#include <atomic>
#include <cassert>
#include <cstdint>
#include <random>

#include "node/storage/arena.h"

namespace ringkv::storage {

template <typename Comparator>
class SkipList {
 private:
  struct Node;

 public:
  SkipList(Comparator cmp, Arena* arena);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // `key` must not compare equal to any key already present.
  void Insert(const char* key);

  class Iterator {
   public:
    explicit Iterator(const SkipList* list) : list_(list) {}
    bool Valid() const { return node_ != nullptr; }
    const char* key() const { return node_->key; }
    void Next() { node_ = node_->Next(0); }
    void Seek(const char* target) { node_ = list_->FindGreaterOrEqual(target, nullptr); }
    void SeekToFirst() { node_ = list_->head_->Next(0); }

   private:
    const SkipList* list_;
    Node* node_ = nullptr;
  };

 private:
  static constexpr int kMaxHeight = 12;

  struct Node {
    explicit Node(const char* k) : key(k) {}
    const char* const key;
    Node* Next(int level) const { return next[level].load(std::memory_order_acquire); }
    void SetNext(int level, Node* x) { next[level].store(x, std::memory_order_release); }
    Node* NoBarrierNext(int level) const { return next[level].load(std::memory_order_relaxed); }
    void NoBarrierSetNext(int level, Node* x) { next[level].store(x, std::memory_order_relaxed); }
    std::atomic<Node*> next[1];  // sized at allocation to the node's height
  };

  Node* NewNode(const char* key, int height);
  int RandomHeight();
  int MaxHeight() const { return max_height_.load(std::memory_order_relaxed); }
  // First node >= key; fills prev[level] with the last node < key at each level if prev != null.
  Node* FindGreaterOrEqual(const char* key, Node** prev) const;

  Comparator compare_;
  Arena* const arena_;
  Node* const head_;
  std::atomic<int> max_height_{1};
  std::minstd_rand rng_{0xdeadbeef};
};

template <typename Comparator>
SkipList<Comparator>::SkipList(Comparator cmp, Arena* arena)
    : compare_(cmp), arena_(arena), head_(NewNode(nullptr, kMaxHeight)) {
  for (int i = 0; i < kMaxHeight; ++i) head_->SetNext(i, nullptr);
}

template <typename Comparator>
typename SkipList<Comparator>::Node* SkipList<Comparator>::NewNode(const char* key, int height) {
  char* mem = arena_->AllocateAligned(sizeof(Node) + sizeof(std::atomic<Node*>) * (height - 1));
  return new (mem) Node(key);
}

template <typename Comparator>
int SkipList<Comparator>::RandomHeight() {
  int height = 1;
  while (height < kMaxHeight && (rng_() % 4) == 0) ++height;  // branching factor 4
  return height;
}

template <typename Comparator>
typename SkipList<Comparator>::Node* SkipList<Comparator>::FindGreaterOrEqual(const char* key, Node** prev) const {
  Node* x = head_;
  int level = MaxHeight() - 1;
  for (;;) {
    Node* next = x->Next(level);
    if (next != nullptr && compare_(next->key, key) < 0) {
      x = next;
    } else {
      if (prev != nullptr) prev[level] = x;
      if (level == 0) return next;
      --level;
    }
  }
}

template <typename Comparator>
void SkipList<Comparator>::Insert(const char* key) {
  Node* prev[kMaxHeight];
  Node* x = FindGreaterOrEqual(key, prev);
  assert(x == nullptr || compare_(key, x->key) != 0);
  (void)x;
  int height = RandomHeight();
  if (height > MaxHeight()) {
    for (int i = MaxHeight(); i < height; ++i) prev[i] = head_;
    // Readers seeing the new height before the node is linked find nullptr from head_: fine.
    max_height_.store(height, std::memory_order_relaxed);
  }
  x = NewNode(key, height);
  for (int i = 0; i < height; ++i) {
    x->NoBarrierSetNext(i, prev[i]->NoBarrierNext(i));
    prev[i]->SetNext(i, x);  // publish
  }
}

}  // namespace ringkv::storage
