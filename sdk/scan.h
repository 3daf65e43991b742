#pragma once
// The paged scan's request, as Client::Scan resolves it on the caller's thread and the
// client's loop runs it (sdk/scan.cc, Client::Impl::ScanPageOnLoop).
//
// One page is one or more *rounds*. A round asks every ring node not known down for the
// next keys of the namespace after the cursor key (the `scan` RPC; each node reads its
// engine in key order on a worker), then decides what it can with the pure merge
// (sdk/scan_merge.h): the keys up to the frontier, each from R of its replicas. Rounds
// repeat until the page is full, the scan is complete, or kMaxScanRounds have run (a page
// may then hold fewer keys: a stretch of deleted keys costs rounds, not a failure). A
// node newer ring (staleRing) refreshes the client's ring and the round runs again.

#include <cstddef>
#include <cstdint>
#include <string>

#include "ringkv/client.h"
#include "sdk/quorum_spec.h"

namespace ringkv::sdk {

inline constexpr int kMaxScanRounds = 16;
inline constexpr uint32_t kScanReplyBytes = 4u << 20;  // per node and round

struct ScanJob {
  std::string ns;
  uint64_t incarnation = 0;
  std::string prefix;         // user-key prefix
  std::string stored_prefix;  // the namespace's stored-key prefix (common/namespace.h)
  QuorumSpec spec;            // n and r (the namespace's, or the request's), timeout
  size_t page_size = 0;
  std::string after;  // the last user key covered so far; empty: from the first
  ScanPage page;      // being filled
  int rounds = 0;
  int stale_retries = 0;
};

}  // namespace ringkv::sdk
