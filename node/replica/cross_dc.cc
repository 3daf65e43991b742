#include "node/replica/cross_dc.h"

namespace ringkv {
namespace {
constexpr std::string_view kPrefix = "dc:";
}  // namespace

bool IsDcTarget(std::string_view target) { return target.starts_with(kPrefix); }
std::string DcTarget(std::string_view dc) { return std::string(kPrefix) + std::string(dc); }
std::string_view DcOfTarget(std::string_view target) { return target.substr(kPrefix.size()); }

Status QueueForDcs(HintStore& hints, std::string_view key, const SiblingSet& set, const std::vector<std::string>& dcs,
                   bool lww, uint64_t now_ms, HintStore::Mode mode) {
  for (const std::string& dc : dcs) {
    if (dc.empty()) return Status::InvalidArgument("shipToDcs names an empty DC");
    RINGKV_TRY(hints.Add(DcTarget(dc), key, set, lww, now_ms, mode));
  }
  return Status::OK();
}

Status FanOutInDc(ReplicaStore& store, HintStore& hints, const RingView& view, std::string_view self_id,
                  std::string_view self_dc, std::string_view dc, std::string_view key, const SiblingSet& set, bool lww,
                  uint64_t now_ms, HintStore::Mode mode) {
  if (self_dc != dc) return hints.Add(DcTarget(dc), key, set, lww, now_ms, mode);
  std::vector<const RingNode*> targets = view.Replicas(key);
  for (const RingNode* p : view.PendingReplicas(key)) targets.push_back(p);
  bool any_in_dc = false;
  for (const RingNode* node : targets) {
    if (node->dc != dc) continue;
    any_in_dc = true;
    if (node->id == self_id)
      RINGKV_TRY(store.Merge(key, set, lww, mode).status());
    else
      RINGKV_TRY(hints.Add(node->id, key, set, lww, now_ms, mode));
  }
  // No replica in this DC by our ring (it is changing): keep the write rather than drop it.
  if (!any_in_dc) RINGKV_TRY(store.Merge(key, set, lww, mode).status());
  return Status::OK();
}

}  // namespace ringkv
