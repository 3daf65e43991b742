#include "sdk/get_tally.h"

namespace ringkv::sdk {

GetTally::GetTally(int r, std::map<std::string, int> need_per_dc, const std::vector<Replica>& asked)
    : needed_(r), total_(static_cast<int>(asked.size())), need_per_dc_(std::move(need_per_dc)), asked_(asked) {
  for (const Replica& replica : asked) ++open_by_dc_[replica.dc];
}

Status GetTally::CheckPossible() const {
  if (total_ < needed_ || Decided() == false) {
    return Status::QuorumNotReached(0, needed_, "only " + std::to_string(total_) + " replicas exist for the key");
  }
  return Status::OK();
}

void GetTally::Replied(const Replica& replica) {
  ++replies_;
  ++replies_by_dc_[replica.dc];
  replied_.insert(replica.id);
}

void GetTally::Failed(const Replica& replica, const Status& st) {
  ++failures_;
  --open_by_dc_[replica.dc];
  outcomes_.Failed(replica.id, st);
}

std::optional<bool> GetTally::Decided() const {
  if (need_per_dc_.empty()) {
    if (replies_ >= needed_) return true;
    if (total_ - failures_ < needed_) return false;
    return std::nullopt;
  }
  auto at = [](const std::map<std::string, int>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? 0 : it->second;
  };
  bool all = true;
  for (const auto& [dc, need] : need_per_dc_) {
    if (at(open_by_dc_, dc) < need) return false;
    all = all && at(replies_by_dc_, dc) >= need;
  }
  return all ? std::optional<bool>(true) : std::nullopt;
}

std::optional<Status> GetTally::Verdict() const {
  std::optional<bool> decided = Decided();
  if (decided == true) return Status::OK();
  if (decided == false) {
    // While nothing has answered and every failure was a refused or broken connection,
    // the rest decide between Unavailable (all unreachable) and QuorumNotReached.
    if (AllSettled() || replies_ > 0 || !outcomes_.AllUnreachable()) return ShortOfQuorum(replies_, needed_, outcomes_);
  }
  return std::nullopt;
}

Status GetTally::TimedOut(std::chrono::milliseconds after) {
  for (const Replica& r : asked_) {
    if (!replied_.count(r.id)) outcomes_.NoAnswer(r.id);
  }
  return Status::TimedOut(after.count(), replies_, needed_, outcomes_.Describe());
}

}  // namespace ringkv::sdk
