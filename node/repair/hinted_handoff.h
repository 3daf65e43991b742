#pragma once
// HintedHandoff: hands the hints in the HintStore to their targets.
//
// Each pass walks every target with queued hints. A target gossip shows up gets its hints
// in pages (one `replicate` call per page); each hint is deleted once the target acked it
// (and only if no newer write for it arrived meanwhile), so a pass never repeats work it
// finished and a crash mid-pass only repeats an idempotent merge. A target that fails
// stops its pass until the next one; a hint the target refuses as invalid is dropped and
// counted, so one bad entry cannot stall the queue. Hints older than the window are
// dropped when a pass reaches them (Merkle repair covers them); a target that is down is
// not reached until it is up again or removed. Hints for a node that has left or been
// removed go to the key's current replicas instead (counted as delivered and redirected),
// so a write held only as a hint is not lost. Hints for a whole DC (cross-DC replication,
// node/replica/cross_dc.h) go to any live node there.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "node/cluster/membership.h"
#include "node/replica/hint_store.h"
#include "node/replica/replica_store.h"
#include "node/runtime/background_loop.h"

namespace ringkv {

class HintedHandoff {
 public:
  static constexpr size_t kPageSize = 256;

  // `wan_delay` (tests only) is waited before each page shipped to another DC. A hint
  // expires `window` after its stamp by `clock`'s WallMs (the node's clock, which stamps
  // hints too); `clock` must outlive the handoff.
  HintedHandoff(HintStore* hints, ReplicaStore* store, Membership* membership, std::chrono::seconds window,
                std::chrono::milliseconds wan_delay = {}, const Clock& clock = Clock::System())
      : hints_(hints), store_(store), membership_(membership), window_(window), wan_delay_(wan_delay), clock_(clock) {}

  // One pass over every target; returns the number of hints delivered.
  uint64_t DeliverOnce(BackgroundLoop::Context& ctx);

  // Per remote DC, as of the last pass: the age of the oldest write still queued for it
  // (0 when none is; a lower bound when over kLagScanLimit are queued). Any thread.
  static constexpr size_t kLagScanLimit = 20000;
  std::map<std::string, double> CrossDcLagSeconds() const;

 private:
  // Delivers target's hints page by page until none are left or the target fails. For a
  // DC target ("dc:NAME") `address` is a live node of that DC, which fans them out.
  uint64_t DeliverTo(BackgroundLoop::Context& ctx, const std::string& target, const std::string& address);
  // A live member of `dc` to ship that DC's hints to, if any.
  std::optional<std::string> ForwarderIn(std::string_view dc) const;
  // For a target that is gone from the ring: each hint goes to the key's replicas now.
  uint64_t Redirect(BackgroundLoop::Context& ctx, const std::string& target);
  Status Send(BackgroundLoop::Context& ctx, const std::string& address, const std::vector<Hint>& page,
              std::vector<Status>* per_entry, const std::string& hint_for = {});
  bool Expired(const Hint& h) const;
  // The stamp of target's oldest queued hint (~0 when none is left); `complete` is false
  // when there were too many to scan (or the scan failed): then older ones may exist.
  struct OldestHint {
    uint64_t oldest_seen = ~uint64_t{0};
    bool complete = false;
  };
  OldestHint OldestStamp(const std::string& target) const;
  // After a pass: the oldest stamp per target, published by gossip (the purge rule reads
  // it, node/repair/purge_guard.h), and the cross-DC lag.
  void MeasurePending();

  HintStore* hints_;
  ReplicaStore* store_;
  Membership* membership_;
  std::chrono::seconds window_;
  std::chrono::milliseconds wan_delay_;
  const Clock& clock_;
  mutable std::mutex lag_mu_;
  std::map<std::string, double> lag_seconds_;  // by DC name
};

}  // namespace ringkv
