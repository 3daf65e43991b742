#pragma once
// HintedHandoff: hands the hints in the HintStore to their targets.
//
// Each pass walks every target with queued hints. A target gossip shows up gets its hints
// in pages (one `replicate` call per page); each hint is deleted once the target acked it
// (and only if no newer write for it arrived meanwhile), so a pass never repeats work it
// finished and a crash mid-pass only repeats an idempotent merge. A target that fails
// stops its pass until the next one; a hint the target refuses as invalid is dropped and
// counted, so one bad entry cannot stall the queue. Hints older than the window are
// dropped (Merkle repair covers them). Hints for a node that has left or been removed go
// to the key's current replicas instead, so a write held only as a hint is not lost.

#include <chrono>
#include <string>

#include "node/background_loop.h"
#include "node/hint_store.h"
#include "node/membership.h"
#include "node/replica_store.h"

namespace ringkv {

uint64_t WallNowMs();

class HintedHandoff {
 public:
  static constexpr size_t kPageSize = 256;

  HintedHandoff(HintStore* hints, ReplicaStore* store, Membership* membership, std::chrono::seconds window)
      : hints_(hints), store_(store), membership_(membership), window_(window) {}

  // One pass over every target; returns the number of hints delivered.
  uint64_t DeliverOnce(BackgroundLoop::Context& ctx);

 private:
  // Delivers target's hints page by page until none are left or the target fails.
  uint64_t DeliverTo(BackgroundLoop::Context& ctx, const std::string& target, const std::string& address);
  // For a target that is gone from the ring: each hint goes to the key's replicas now.
  uint64_t Redirect(BackgroundLoop::Context& ctx, const std::string& target);
  Status Send(BackgroundLoop::Context& ctx, const std::string& address, const std::vector<Hint>& page,
              std::vector<Status>* per_entry);
  bool Expired(const Hint& h) const;

  HintStore* hints_;
  ReplicaStore* store_;
  Membership* membership_;
  std::chrono::seconds window_;
};

}  // namespace ringkv
