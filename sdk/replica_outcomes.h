#pragma once
// ReplicaOutcomes: what went wrong with each replica a request involved, for the message a
// failed request ends with. One entry per replica, in the order they failed: a later
// outcome for the same replica replaces the earlier one, and a hint placed for it is noted
// beside its failure. Fallbacks appear only in those notes. Pure: no I/O.

#include <string>
#include <vector>

#include "ringkv/status.h"

namespace ringkv::sdk {

class ReplicaOutcomes {
 public:
  void Failed(const std::string& replica, const Status& st);
  void HintHeld(const std::string& replica, const std::string& holder);
  void HintFailed(const std::string& replica, const std::string& holder, const Status& st);
  // A replica still silent when the request's deadline passed (unless it has an outcome).
  void NoAnswer(const std::string& replica);
  // Every attempt failed, each because its node could not be reached.
  bool AllUnreachable() const { return failed_ > 0 && failed_ == unreachable_; }
  // "replica: outcome (hint note); ..." — each replica once.
  std::string Describe() const;

 private:
  struct Entry {
    std::string replica, what, hint;
  };
  Entry& At(const std::string& replica);

  std::vector<Entry> entries_;
  int failed_ = 0, unreachable_ = 0;
};

// How a request that settled short of its quorum ends: Unavailable when nothing succeeded
// and no node could be reached at all, else QuorumNotReached{got, needed}.
Status ShortOfQuorum(int got, int needed, const ReplicaOutcomes& outcomes);

}  // namespace ringkv::sdk
