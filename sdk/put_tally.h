#pragma once
// PutTally: the counting of one put, as Riak's riak_kv_put_core — no I/O; sdk/quorum.cc
// sends the calls and reports each outcome here.
//
// W counts distinct nodes holding the write (a replica, or a fallback holding a hint for
// one); with per-DC needs (QuorumSpec::need_per_dc) each holder counts for the DC of the
// replica it stands for, and every DC must reach its need instead. Every pending replica
// (a join or leave in progress) must ack as well. The put succeeds once both hold; it
// fails once no call in flight could still add a holder (ShortOfQuorum: Unavailable if
// nothing was reachable, else QuorumNotReached), or at its deadline (TimedOut).

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ringkv/status.h"
#include "sdk/placement.h"
#include "sdk/quorum_spec.h"
#include "sdk/replica_outcomes.h"

namespace ringkv::sdk {

// QuorumNotReached when fewer nodes than W could ever hold the key (the replicas, plus the
// fallbacks when sloppy), or the key has no replica; OK otherwise. Checked before sending.
Status CheckPutPossible(const Targets& targets, const QuorumSpec& spec);

class PutTally {
 public:
  PutTally() = default;
  PutTally(const QuorumSpec& spec, std::vector<Replica> replicas, std::vector<Replica> pending);

  // A call that could add a holder is in flight / has settled (either way).
  void CallStarted() { ++outstanding_; }
  void CallSettled() { --outstanding_; }
  // `holder` holds the write for a replica of `dc`.
  void Held(const std::string& holder, const std::string& dc);
  void PendingAcked(const std::string& id) { pending_acked_.insert(id); }
  void Failed(const std::string& replica, const Status& st) { outcomes_.Failed(replica, st); }
  ReplicaOutcomes& outcomes() { return outcomes_; }

  // The DC of the key's replica `replica_id` (empty if not one).
  std::string DcOf(const std::string& replica_id) const;
  int acks() const { return static_cast<int>(holders_.size()); }
  // Enough holders: W of them, or each DC's need.
  bool Enough() const;
  // Decided: the acks once enough nodes hold the write and every pending replica acked;
  // the failure once no call in flight can add a holder; nullopt while undecided.
  std::optional<Result<int>> Verdict() const;
  // At the deadline: notes every replica not holding the write as silent; the status.
  Status TimedOut(std::chrono::milliseconds after);

 private:
  int w_ = 0;
  std::map<std::string, int> need_per_dc_;
  std::vector<Replica> replicas_, pending_;
  std::set<std::string> holders_;                               // distinct nodes holding the write
  std::map<std::string, std::set<std::string>> holders_by_dc_;  // by the DC of the replica each stands for
  std::set<std::string> pending_acked_;
  int outstanding_ = 0;  // calls in flight that could still add a holder
  ReplicaOutcomes outcomes_;
};

}  // namespace ringkv::sdk
