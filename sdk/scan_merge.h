#pragma once
// ScanMerge: one round of a paged scan, decided without I/O (as sdk/get_tally.h decides a
// read). sdk/scan.cc asks every node for the next keys of a namespace in KEY order and
// hands the replies here.
//
// Each node's reply is a *stream*: the entries it holds after the cursor, in key order,
// cut at its page limit (`more`). A stream that was not cut holds everything its node
// has in the range, so a node whose uncut stream lacks a key holds nothing for it; a cut
// stream says nothing about keys past its last entry. So only keys up to the *frontier*
// — the smallest last key of the cut streams — are complete, and only those are decided:
//
//   for each key ≤ frontier, in order: take the replies of the key's replicas (its
//   preference list on the client's ring): a replica whose stream holds the key replies
//   with its sibling set, one that answered without it replies "nothing", one that did
//   not answer does not reply. Fewer than R replies fails the round (QuorumNotReached),
//   as a get would. Otherwise the sets are merged as a get merges them (concurrent
//   versions stay siblings; LWW keeps the newest) and the key is returned if the merge
//   has a live value — a key whose merge is all tombstones is skipped. Entries from
//   nodes that are not the key's replicas (a stale copy after a ring change) are ignored.
//
// The round stops at `max_keys` returned keys or at the frontier; `last` is the last key
// it decided (returned or skipped), which the next page resumes after. When no stream was
// cut and every key was decided, the scan is complete.
//
// CheckRangesCovered is the other half of "R replies": a key held only by nodes that did
// not answer would never appear in any stream, so a round is only trusted when every
// token range of the ring has at least R replicas among the nodes that answered.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/ring_view.h"
#include "common/vector_clock.h"
#include "ringkv/status.h"

namespace ringkv::sdk {

struct ScanStream {
  std::string node_id;
  bool answered = false;                                    // false: the node failed or was not asked
  std::vector<std::pair<std::string, SiblingSet>> entries;  // stored keys, ascending
  bool more = false;                                        // cut at its limit
};

struct ScanKey {
  std::string stored_key;
  SiblingSet merged;
  int replies = 0;
};

struct ScanRound {
  std::vector<ScanKey> keys;        // keys with a live value, in key order
  std::optional<std::string> last;  // the last stored key decided (returned or skipped)
  bool complete = false;            // nothing remains past `last` (or at all)
};

// The ids of a stored key's replicas, primary first.
using ReplicasOf = std::function<std::vector<std::string>(std::string_view stored_key)>;

// Whether a merged set gives the scan a value. A set of tombstones only does not (nor,
// therefore, one whose every value has expired: MergeScanStreams expires them first).
bool ScanReturns(const SiblingSet& merged);

// Values expired by `now_ms` (the client's wall clock, as Get applies it) count as absent.
// REQUIRES: each stream's entries are ascending; a stream with `more` has entries.
Result<ScanRound> MergeScanStreams(const std::vector<ScanStream>& streams, const ReplicasOf& replicas_of, int r,
                                   bool lww, size_t max_keys, uint64_t now_ms);

// QuorumNotReached naming the first token range of `view.ring` with fewer than `r` of its
// `n` replicas (per-DC placement when the view has it) in `answered`, with `why` (what
// became of the others) appended; OK otherwise.
Status CheckRangesCovered(const RingView& view, int n, int r, const std::set<std::string>& answered,
                          std::string_view why = {});

}  // namespace ringkv::sdk
