#pragma once
// RingView: a ring as one node or client sees it at one moment — who owns which keys now,
// who will own them once pending joins and leaves finish, and which nodes gossip reports
// as not answering. The SDK routes with it; nodes serve it and stream/repair by it.
//
//   ring    owners now: normal and leaving nodes. Reads and W acks are counted here.
//   future  owners after the pending changes: normal and joining nodes. A write also goes
//           to every node of the key's future preference list that `ring` lacks (and must
//           be acked by it), so nothing written during a handover is lost.
//
// Liveness is for routing only: a down node keeps its ownership until it is removed.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/namespace_catalog.h"
#include "common/ring.h"

namespace ringkv {

enum class Liveness { kUp, kSuspect, kDown };

struct RingView {
  uint64_t version = 0;
  std::string cluster_name;
  uint32_t replication_factor = 3;  // N when dc_replication is empty; else the sum of its counts
  DcReplication dc_replication;     // replicas per DC; empty: N nodes regardless of DC
  Ring ring;
  Ring future;
  std::map<std::string, Liveness, std::less<>> liveness;  // absent: up
  // The namespaces as the node that served this view knew them (clients: set from the ring
  // snapshot; nodes keep theirs apart, in node/cluster/namespaces.h, and leave this empty).
  NamespaceCatalog namespaces;

  bool IsUp(std::string_view id) const {
    auto it = liveness.find(id);
    return it == liveness.end() || it->second == Liveness::kUp;
  }
  bool transitioning() const { return ring.nodes() != future.nodes(); }
  // The key's replicas now and after the pending changes: per DC when dc_replication is
  // set, else the first `n` distinct nodes (default: replication_factor).
  std::vector<const RingNode*> Replicas(std::string_view key) const { return Replicas(key, replication_factor); }
  std::vector<const RingNode*> Replicas(std::string_view key, size_t n) const { return PlaceOn(ring, key, n); }
  std::vector<const RingNode*> FutureReplicas(std::string_view key) const {
    return PlaceOn(future, key, replication_factor);
  }
  // Nodes of the key's future replicas that its current ones lack.
  std::vector<const RingNode*> PendingReplicas(std::string_view key) const {
    return PendingReplicas(key, replication_factor);
  }
  std::vector<const RingNode*> PendingReplicas(std::string_view key, size_t n) const {
    std::vector<const RingNode*> out;
    if (!transitioning()) return out;
    auto now = PlaceOn(ring, key, n);
    for (const RingNode* f : PlaceOn(future, key, n)) {
      bool known = false;
      for (const RingNode* c : now) known = known || c->id == f->id;
      if (!known) out.push_back(f);
    }
    return out;
  }

 private:
  std::vector<const RingNode*> PlaceOn(const Ring& r, std::string_view key, size_t n) const {
    return dc_replication.empty() ? r.PreferenceList(key, n) : r.PreferenceList(key, dc_replication);
  }
};

}  // namespace ringkv
