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

#include "common/ring.h"

namespace ringkv {

enum class Liveness { kUp, kSuspect, kDown };

struct RingView {
  uint64_t version = 0;
  std::string cluster_name;
  uint32_t replication_factor = 3;
  Ring ring;
  Ring future;
  std::map<std::string, Liveness, std::less<>> liveness;  // absent: up

  bool IsUp(std::string_view id) const {
    auto it = liveness.find(id);
    return it == liveness.end() || it->second == Liveness::kUp;
  }
  bool transitioning() const { return ring.nodes() != future.nodes(); }
  // Nodes of the key's future preference list that its current one lacks.
  std::vector<const RingNode*> PendingReplicas(std::string_view key, size_t n) const {
    std::vector<const RingNode*> out;
    if (!transitioning()) return out;
    auto now = ring.PreferenceList(key, n);
    for (const RingNode* f : future.PreferenceList(key, n)) {
      bool known = false;
      for (const RingNode* c : now) known = known || c->id == f->id;
      if (!known) out.push_back(f);
    }
    return out;
  }
};

}  // namespace ringkv
