#pragma once
// The checks a batch call (Client::MultiGet, MultiPut, MultiDelete) makes on its whole input
// before anything is sent: pure, so they are tested without a cluster (tests/unit/
// batch_check_test.cc). Each key's own checks (size, namespace, value, context, TTL) are the
// single-key calls' (Client::Impl::Resolve, PrepareWrite); these add what only a batch has.

#include <cstddef>
#include <string>
#include <vector>

#include "ringkv/status.h"

namespace ringkv::sdk {

// One key of a batch as the check sees it: its namespace (empty: "default") and user key,
// and the stored key it resolved to (common/namespace.h: unique per namespace and key).
struct BatchKey {
  std::string ns;
  std::string key;
  std::string stored_key;
};

// OK, or InvalidArgument naming the first problem: an empty batch, more than
// kMaxBatchEntries (ringkv/client.h) entries, or two entries for one key in one namespace
// (which of the two writes should win is not the SDK's to guess; a get batch is refused the
// same way, so a caller's bug shows up at once). Entry numbers in the message are 0-based.
Status CheckBatch(const std::vector<BatchKey>& keys);

// Prefixes an entry's own error with its position and key ("entry 3 (key 'k'): ...") and
// tells that nothing was sent; keeps the code (InvalidArgument).
Status EntryError(size_t index, const std::string& key, const Status& error);

}  // namespace ringkv::sdk
