#pragma once
// Membership: the node's shared view of the cluster — its GossipState behind a lock, and
// the RingView derived from it (rebuilt whenever a record or a liveness status changes),
// persisted so that a restarted node knows its tokens and peers before gossip catches up.
//
// Every thread reads it: the RPC loop (ring snapshots, stale-ring checks, gossip merges),
// the gossip thread (rounds), and the maintenance thread (handoff, streaming, repair).
// View() hands out an immutable snapshot; holding it costs nothing to others.
//
// Saving: Open() writes the table before it returns (a startup error if it cannot).
// Afterwards every change that alters the ring only marks the table dirty; a
// StateFileWriter thread writes the latest table atomically (fsync of the file and the
// directory), so no call here does file I/O, none holds the lock during I/O, and a crash
// leaves the previous or the new table, whole. The destructor saves the last state.

#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "common/ring_view.h"
#include "node/cluster/gossip_state.h"
#include "node/cluster/state_file_writer.h"
#include "ringkv/status.h"

namespace ringkv {

struct MembershipOptions {
  std::string cluster_name;
  uint32_t replication_factor = 3;
  DcReplication dc_replication;  // multi-DC placement; empty: replication_factor nodes anywhere
  GossipConfig gossip;
  std::string state_file;  // where the membership table is kept across restarts
};

class Membership {
 public:
  // Restores the table from `state_file` if it exists (our own record gets `self`'s
  // address and a new generation, keeping tokens and ring state); otherwise starts with
  // `self` plus `founders` (a new cluster's members, whose tokens the caller derived).
  static Result<std::unique_ptr<Membership>> Open(MembershipOptions options, MemberRecord self,
                                                  std::vector<MemberRecord> founders, uint64_t now_ms);

  std::shared_ptr<const RingView> View() const;
  uint64_t RingVersion() const { return View()->version; }
  const std::string& self_id() const { return self_id_; }
  const MembershipOptions& options() const { return options_; }
  MemberRecord Self() const;
  bool restored() const { return restored_; }  // Open found a saved table

  // Gossip.
  std::vector<MemberRecord> Snapshot() const;
  void Merge(std::span<const MemberRecord> records, uint64_t now_ms);
  void Tick(uint64_t now_ms);
  std::vector<std::string> PickPeerAddresses();
  bool SelfRemoved() const;

  // Changes made by this node (each spreads by gossip and is saved).
  void SetSelfState(RingState state);
  void SetSelfTokens(std::vector<uint64_t> tokens);
  // Makes us leaving, naming an heir among the normal, live members for each of our tokens
  // so that the replica load stays balanced once we are gone (ChooseTokenHeirs; none with
  // per-DC placement). Takes up to a few hundred milliseconds of CPU: not on an event
  // loop. A second call while leaving changes nothing.
  void StartLeaving();
  // The oldest hint stamp per target this node holds (MemberRecord::pending_hints); gossip
  // carries it from the next heartbeat on. Changes no ring.
  void SetSelfPendingHints(std::map<std::string, uint64_t> oldest);
  Status Remove(std::string_view id, uint64_t now_ms);

  std::optional<MemberRecord> Find(std::string_view id) const;
  MemberStatus StatusOf(std::string_view id) const;

  // Waits until every change made before the call is saved (or a save failed: its error).
  Status FlushSaves() { return saver_.Flush(); }

 private:
  Membership(MembershipOptions options, GossipState state, bool restored);
  void Rebuild() REQUIRES(mu_);
  static constexpr int kHeirAttempts = 3;
  // Heirs of our tokens in `view`'s future ring among the normal, live members.
  TokenHeirs ChooseHeirs(const RingView& view) const EXCLUDES(mu_);
  // The table changed: have the writer save it. Cheap; no I/O (mu_ may be held).
  void Save() { saver_.MarkDirty(); }
  // The table as saved in state_file. Takes mu_ for the copy only.
  std::string Render() const;

  const MembershipOptions options_;
  const std::string self_id_;
  const bool restored_;
  mutable Mutex mu_;
  GossipState state_ GUARDED_BY(mu_);
  uint64_t built_from_version_ GUARDED_BY(mu_) = ~uint64_t{0};
  std::shared_ptr<const RingView> view_ GUARDED_BY(mu_);
  std::mt19937_64 rng_ GUARDED_BY(mu_){std::random_device{}()};
  StateFileWriter saver_;  // last: its thread renders the state above, so it stops first
};

}  // namespace ringkv
