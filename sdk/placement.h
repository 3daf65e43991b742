#pragma once
// Placement: where one key's request goes, from the client's ring view. Pure: no I/O.
//
// PlaceKey: the key's preference list — its N replicas (the first N distinct nodes clockwise
// from the key's hash; with per-DC replication, the DC counts of the ring's placement),
// the nodes that will become replicas when a join or leave finishes (`pending`: they get
// every write too), the rest of the ring clockwise as fallbacks (where hints go; none for a
// read), and the nodes gossip reports suspect or down.
//
// PlaceForDcs: with per-DC replication, orders the targets local DC first and turns the
// consistency level into what is counted: plain levels over all replicas, LOCAL_ONE /
// LOCAL_QUORUM over the local DC only (only local replicas are asked and waited for; a
// LOCAL_* put names the remote DCs its coordinator ships the write to), EACH_QUORUM as a
// quorum per DC. Without per-DC replication it changes nothing.

#include <string>
#include <vector>

#include "common/ring_view.h"
#include "ringkv/status.h"
#include "sdk/quorum_spec.h"

namespace ringkv::sdk {

struct Replica {
  std::string id;
  std::string address;
  std::string dc;
  bool operator==(const Replica&) const = default;
};

struct Targets {
  std::vector<Replica> replicas;   // the key's preference list: N nodes, primary first
  std::vector<Replica> pending;    // future replicas the list lacks (a join or leave in progress)
  std::vector<Replica> fallbacks;  // the rest of the ring clockwise: where hints go (writes only)
  std::vector<std::string> down;   // ids gossip reports suspect or down
};

// Which of a key's targets a request needs: a put all of them, a read no fallbacks (they
// only take hints, which reads never leave), so a read walks N nodes of the ring, not all.
enum class Placing { kWrite, kRead };

Targets PlaceKey(const RingView& view, const std::string& key, int n, Placing placing = Placing::kWrite);

// Refines `spec` and `targets` (from PlaceKey) for per-DC replication, as above; `for_get`:
// a read (LOCAL_* then counts R, and nothing is shipped). InvalidArgument for a LOCAL
// level without a `local_dc` that holds replicas of the key.
Status PlaceForDcs(const RingView& view, const std::string& local_dc, bool for_get, QuorumSpec* spec, Targets* targets);

}  // namespace ringkv::sdk
