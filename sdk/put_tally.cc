#include "sdk/put_tally.h"

namespace ringkv::sdk {

Status CheckPutPossible(const Targets& targets, const QuorumSpec& spec) {
  int reachable = static_cast<int>(targets.replicas.size() + (spec.sloppy ? targets.fallbacks.size() : 0));
  if (targets.replicas.empty() || reachable < spec.w) {
    return Status::QuorumNotReached(0, spec.w, "only " + std::to_string(reachable) + " nodes could hold the key");
  }
  return Status::OK();
}

PutTally::PutTally(const QuorumSpec& spec, std::vector<Replica> replicas, std::vector<Replica> pending)
    : w_(spec.w), need_per_dc_(spec.need_per_dc), replicas_(std::move(replicas)), pending_(std::move(pending)) {}

void PutTally::Held(const std::string& holder, const std::string& dc) {
  holders_.insert(holder);
  holders_by_dc_[dc].insert(holder);
}

std::string PutTally::DcOf(const std::string& replica_id) const {
  for (const Replica& r : replicas_) {
    if (r.id == replica_id) return r.dc;
  }
  return {};
}

bool PutTally::Enough() const {
  if (need_per_dc_.empty()) return acks() >= w_;
  for (const auto& [dc, need] : need_per_dc_) {
    auto it = holders_by_dc_.find(dc);
    if (it == holders_by_dc_.end() || static_cast<int>(it->second.size()) < need) return false;
  }
  return true;
}

std::optional<Result<int>> PutTally::Verdict() const {
  if (Enough() && pending_acked_.size() == pending_.size()) return Result<int>(acks());
  if (outstanding_ == 0) return Result<int>(ShortOfQuorum(acks(), w_, outcomes_));
  return std::nullopt;
}

Status PutTally::TimedOut(std::chrono::milliseconds after) {
  for (const Replica& r : replicas_) {
    if (!holders_.count(r.id)) outcomes_.NoAnswer(r.id);
  }
  return Status::TimedOut(after.count(), acks(), w_, outcomes_.Describe());
}

}  // namespace ringkv::sdk
