#pragma once
// Merges sorted InternalIterators into one sorted stream (all versions of every key,
// in CompareInternalKeys order). Children are few (memtables + tables), so the smallest
// is found by a linear scan. Corruption in any child is reported through status().

#include <memory>
#include <vector>

#include "node/storage/iterator.h"

namespace ringkv::storage {

std::unique_ptr<InternalIterator> NewMergingIterator(std::vector<std::unique_ptr<InternalIterator>> children);

}  // namespace ringkv::storage
