#include "sdk/replica_outcomes.h"

namespace ringkv::sdk {

void ReplicaOutcomes::Failed(const std::string& replica, const Status& st) {
  ++failed_;
  if (st.IsUnavailable()) ++unreachable_;
  Entry& e = At(replica);
  e.what = st.ToString();
  e.hint.clear();
}

void ReplicaOutcomes::HintHeld(const std::string& replica, const std::string& holder) {
  At(replica).hint = "hint held by " + holder;
}

void ReplicaOutcomes::HintFailed(const std::string& replica, const std::string& holder, const Status& st) {
  At(replica).hint = "hint to " + holder + " failed: " + st.ToString();
}

void ReplicaOutcomes::NoAnswer(const std::string& replica) {
  Entry& e = At(replica);
  if (e.what.empty()) e.what = "no answer in time";
}

std::string ReplicaOutcomes::Describe() const {
  std::string out;
  for (const Entry& e : entries_) {
    out += (out.empty() ? "" : "; ") + e.replica + ": " + (e.what.empty() ? "ok" : e.what);
    if (!e.hint.empty()) out += " (" + e.hint + ")";
  }
  return out;
}

ReplicaOutcomes::Entry& ReplicaOutcomes::At(const std::string& replica) {
  for (Entry& e : entries_) {
    if (e.replica == replica) return e;
  }
  return entries_.emplace_back(Entry{replica, {}, {}});
}

Status ShortOfQuorum(int got, int needed, const ReplicaOutcomes& outcomes) {
  if (got == 0 && outcomes.AllUnreachable()) {
    return Status::Unavailable("no replica could be reached: " + outcomes.Describe());
  }
  return Status::QuorumNotReached(got, needed, outcomes.Describe());
}

}  // namespace ringkv::sdk
