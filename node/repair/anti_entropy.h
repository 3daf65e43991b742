#pragma once
// AntiEntropy: Merkle-tree repair between this node and its peers (node/repair/merkle.h does the
// comparing; this file connects it to the store, the ring and the network).
//
// The keys two nodes compare are the ones both should hold: keys in the range whose
// preference list (replication factor N) names both. The initiator builds its tree, opens
// a session on the peer (`merkleOpen`: the peer builds its tree over the same keys),
// descends with `merkleNodes` / `merkleDigests`, and moves only differing entries with
// `get` (pull) and `replicate` (push). Background repair runs every interval with each
// peer, rate-limited; `kv repair` runs it now, unthrottled.
//
// Purge proof: a session this node initiated that completed (pulled, then pushed) is
// reported to the PurgeGuard with the engine sequence taken before the tree was built and
// the peer's incarnation (node/repair/purge_proof.h). Both trees leave out tombstones past
// their grace (PurgeGuard::OutOfRepair). The peer's side of a session proves nothing to
// the peer: each node learns from the sessions it initiates.
//
// Sessions: the peer keeps at most kMaxSessions trees, each dropped after kSessionIdle
// without use, so an initiator that dies mid-repair leaks nothing for long.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/mutex.h"
#include "node/cluster/membership.h"
#include "node/repair/merkle.h"
#include "node/repair/purge_guard.h"
#include "node/replica/replica_store.h"
#include "node/runtime/background_loop.h"

namespace ringkv {

struct AntiEntropyCounters {
  uint64_t sessions = 0;
  uint64_t keys_pulled = 0;
  uint64_t keys_pushed = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t failures = 0;
  uint64_t running = 0;  // repairs (Repair calls) under way now: an autoscaler waits for them
};

class AntiEntropy {
 public:
  static constexpr size_t kMaxSessions = 8;
  static constexpr auto kSessionIdle = std::chrono::seconds(60);

  struct Options {
    uint32_t depth = 0;                // 0: from the number of shared keys
    uint32_t keys_per_s = 0;           // 0: unthrottled
    uint32_t cross_dc_keys_per_s = 0;  // with a peer in another DC (WAN bandwidth); 0: keys_per_s
    // Compare with peers gossip does not show up as well (a repair asked for now: liveness
    // lags a heal); else they are skipped, and reported as not compared.
    bool try_peers_not_up = false;
  };

  // `clock` (the node's) times idle sessions out by its SteadyMs; it must outlive this.
  // `purge` (may be null: no purge rule) learns of every session this node completes as
  // initiator, and tells which tombstones the trees leave out; it must outlive this.
  AntiEntropy(ReplicaStore* store, Membership* membership, const Clock& clock = Clock::System(),
              PurgeGuard* purge = nullptr)
      : store_(store), membership_(membership), clock_(clock), purge_(purge) {}

  // Initiator: repairs with `peer` (empty: every node we share keys with) over `range`.
  // OK only if it compared with every such peer; else the first failure's status, naming
  // each peer it could not compare with and why.
  Result<RepairStats> Repair(BackgroundLoop::Context& ctx, const std::string& peer, TokenRange range, Options options);

  // Peer side of the RPCs (OpenSession scans the store: call it off the event loop).
  Result<std::pair<uint64_t, MerkleNode>> OpenSession(const std::string& peer, TokenRange range, int depth);
  Result<std::vector<uint64_t>> SessionChildHashes(uint64_t session, int level, const std::vector<uint32_t>& indices);
  Result<std::vector<KeyDigest>> SessionDigests(uint64_t session, int level, const std::vector<uint32_t>& indices);

  AntiEntropyCounters counters() const;

  // Depth giving about one key per leaf for `keys` keys (clamped to 4..20).
  static int DepthFor(uint64_t keys);

 private:
  Result<RepairStats> RepairPair(BackgroundLoop::Context& ctx, const RingNode& peer, TokenRange range, Options options);
  struct Session {
    std::shared_ptr<const MerkleTree> tree;
    uint64_t last_used_ms = 0;  // clock_.SteadyMs()
  };
  Result<std::shared_ptr<const MerkleTree>> FindSession(uint64_t id);

  ReplicaStore* store_;
  Membership* membership_;
  const Clock& clock_;
  PurgeGuard* const purge_;
  mutable Mutex mu_;  // sessions are opened on workers and read by later RPCs; counters by the admin thread
  std::map<uint64_t, Session> sessions_ GUARDED_BY(mu_);
  uint64_t next_session_ GUARDED_BY(mu_) = 1;
  AntiEntropyCounters counters_ GUARDED_BY(mu_);
};

}  // namespace ringkv
