#include "sdk/placement.h"

#include <algorithm>
#include <map>

namespace ringkv::sdk {

Targets PlaceKey(const RingView& view, const std::string& key, int n, Placing placing) {
  Targets t;
  auto to_replica = [](const RingNode* node) { return Replica{node->id, node->address, node->dc}; };
  const bool fallbacks = placing == Placing::kWrite;
  if (view.dc_replication.empty()) {
    // One walk of the ring: the first n distinct nodes are the replicas, the rest fallbacks.
    auto walked = view.ring.PreferenceList(key, fallbacks ? view.ring.size() : static_cast<size_t>(n));
    t.replicas.reserve(std::min(walked.size(), static_cast<size_t>(n)));
    for (size_t i = 0; i < walked.size(); ++i) {
      (i < static_cast<size_t>(n) ? t.replicas : t.fallbacks).push_back(to_replica(walked[i]));
    }
  } else {
    // Per-DC placement picks the replicas by DC; the fallbacks are a second walk.
    auto replicas = view.Replicas(key);
    t.replicas.reserve(replicas.size());
    for (const RingNode* r : replicas) t.replicas.push_back(to_replica(r));
    if (fallbacks) {
      for (const RingNode* node : view.ring.PreferenceList(key, view.ring.size())) {
        if (std::find(replicas.begin(), replicas.end(), node) == replicas.end())
          t.fallbacks.push_back(to_replica(node));
      }
    }
  }
  for (const RingNode* p : view.PendingReplicas(key, static_cast<size_t>(n))) t.pending.push_back(to_replica(p));
  for (const auto& [id, live] : view.liveness) {
    if (live != Liveness::kUp) t.down.push_back(id);
  }
  return t;
}

Status PlaceForDcs(const RingView& view, const std::string& local, bool for_get, QuorumSpec* spec, Targets* t) {
  if (view.dc_replication.empty()) return Status::OK();  // one placement group: N, W, R as given
  std::map<std::string, int> per_dc;                     // replicas the key has in each DC
  for (const Replica& r : t->replicas) ++per_dc[r.dc];
  auto local_first = [&](std::vector<Replica>& v) {
    std::stable_partition(v.begin(), v.end(), [&](const Replica& r) { return r.dc == local; });
  };
  local_first(t->replicas);  // a local replica coordinates; hints land locally first
  local_first(t->fallbacks);
  auto level = spec->level;
  if (!level && !spec->explicit_wr && !local.empty()) level = Consistency::kLocalQuorum;  // multi-DC default
  int n = static_cast<int>(t->replicas.size());
  spec->n = n;
  spec->need_per_dc.clear();
  spec->ship_to_dcs.clear();
  if (!level) {  // explicit W/R (or no local DC): counted over every DC
    spec->w = std::min(spec->w, n);
    spec->r = std::min(spec->r, n);
    return Status::OK();
  }
  bool local_level = *level == Consistency::kLocalOne || *level == Consistency::kLocalQuorum;
  if (local_level && !per_dc.count(local)) {
    return Status::InvalidArgument(
        "LOCAL_ONE/LOCAL_QUORUM need ClientOptions::local_dc naming a DC that holds "
        "replicas (got '" +
        local + "')");
  }
  switch (*level) {
    case Consistency::kOne:
      spec->w = spec->r = 1;
      break;
    case Consistency::kQuorum:
      spec->w = spec->r = n / 2 + 1;
      break;
    case Consistency::kAll:
      spec->w = spec->r = n;
      break;
    case Consistency::kLocalOne:
      spec->need_per_dc[local] = 1;
      break;
    case Consistency::kLocalQuorum:
      spec->need_per_dc[local] = per_dc[local] / 2 + 1;
      break;
    case Consistency::kEachQuorum:
      for (const auto& [dc, count] : per_dc) spec->need_per_dc[dc] = count / 2 + 1;
      break;
  }
  if (local_level) {  // only the local replicas are asked (and waited for)
    std::erase_if(t->replicas, [&](const Replica& r) { return r.dc != local; });
    std::erase_if(t->pending, [&](const Replica& r) { return r.dc != local; });
    if (for_get) {
      spec->r = spec->need_per_dc[local];
      spec->need_per_dc.clear();
    } else {  // the coordinator ships the write to the other DCs, durably, before it acks
      for (const auto& [dc, count] : per_dc) {
        if (dc != local) spec->ship_to_dcs.push_back(dc);
      }
    }
  }
  if (!spec->need_per_dc.empty()) {
    int total = 0;
    for (const auto& [dc, need] : spec->need_per_dc) total += need;
    spec->w = spec->r = total;  // for messages; success is judged per DC
  }
  return Status::OK();
}

}  // namespace ringkv::sdk
