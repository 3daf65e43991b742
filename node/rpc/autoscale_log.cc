#include "node/rpc/autoscale_log.h"

namespace ringkv {

Status AutoscaleLog::Record(AutoscaleEntry entry) {
  size_t action = kActions.size();
  for (size_t i = 0; i < kActions.size(); ++i) {
    if (entry.action == kActions[i]) action = i;
  }
  if (action == kActions.size()) {
    return Status::InvalidArgument("unknown autoscale action '" + entry.action.substr(0, 32) +
                                   "' (add, remove, done, failed or none)");
  }
  if (entry.node.size() > kMaxField || entry.reason.size() > kMaxField) {
    return Status::InvalidArgument("an autoscale decision's node or reason is over 1024 bytes");
  }
  MutexLock lock(&mu_);
  ++counts_[action];
  recent_.push_back(std::move(entry));
  while (recent_.size() > kKept) recent_.pop_front();
  return Status::OK();
}

std::vector<AutoscaleEntry> AutoscaleLog::Recent() const {
  MutexLock lock(&mu_);
  return {recent_.begin(), recent_.end()};
}

std::array<uint64_t, AutoscaleLog::kActions.size()> AutoscaleLog::Counts() const {
  MutexLock lock(&mu_);
  return counts_;
}

}  // namespace ringkv
