#pragma once
// GetTally: the counting of one read, as Riak's riak_kv_get_core — no I/O; sdk/quorum.cc
// asks the replicas, merges what they hold and reports each reply or failure here.
//
// R replies succeed (with per-DC needs, each DC's need of replies from its replicas). The
// read fails as soon as too few replicas are left open to reach that (failure threshold
// N - R + 1) — except that while nothing has answered and every failure so far was an
// unreachable node, it waits for the rest to tell Unavailable (all unreachable) from
// QuorumNotReached. At its deadline it ends TimedOut.

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ringkv/status.h"
#include "sdk/placement.h"
#include "sdk/replica_outcomes.h"

namespace ringkv::sdk {

class GetTally {
 public:
  GetTally() = default;
  // `r` replies (or `need_per_dc`, when set) from the `asked` replicas.
  GetTally(int r, std::map<std::string, int> need_per_dc, const std::vector<Replica>& asked);

  // QuorumNotReached when the asked replicas can never give enough replies; OK otherwise.
  Status CheckPossible() const;
  void Replied(const Replica& replica);
  void Failed(const Replica& replica, const Status& st);

  // Whether the replies so far satisfy the read (true) or never can (false), or neither.
  std::optional<bool> Decided() const;
  // After a reply or failure: OK to answer now, an error to fail with, nullopt to wait.
  std::optional<Status> Verdict() const;
  // Every replica asked has replied or failed (the time for read repair).
  bool AllSettled() const { return replies_ + failures_ == total_; }
  int replies() const { return replies_; }
  // Replicas that have replied or failed so far.
  int settled() const { return replies_ + failures_; }
  // At the deadline: notes every replica that has not replied as silent; the status.
  Status TimedOut(std::chrono::milliseconds after);

 private:
  int needed_ = 0, total_ = 0, replies_ = 0, failures_ = 0;
  std::map<std::string, int> need_per_dc_;
  std::map<std::string, int> replies_by_dc_, open_by_dc_;  // open: asked, not failed
  std::vector<Replica> asked_;
  std::set<std::string> replied_;
  ReplicaOutcomes outcomes_;
};

}  // namespace ringkv::sdk
