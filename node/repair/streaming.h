#pragma once
// Streaming: moving data when the ring changes, so that a join or a leave loses nothing
// and moves only what must move.
//
// Join (pull): a joining node asks every current owner for a page at a time of the keys
// it will hold (`streamKeys`). Each key comes from exactly one designated source — the
// replica the joiner displaces, else the first other old replica not known down — so a
// key moves once, not once per replica. Writes made meanwhile reach the joiner directly:
// clients send every write to a key's pending replicas too. When every source is done
// the joiner turns normal.
//
// Leave (push): a leaving node sends each key it holds to the nodes that take its place
// in the key's preference list — by the ring after the leave, where its tokens went to the
// heirs it named (Membership::StartLeaving) — then turns `left`.

#include <cstdint>
#include <string>
#include <vector>

#include "node/cluster/membership.h"
#include "node/replica/replica_store.h"
#include "node/runtime/background_loop.h"

namespace ringkv {

struct StreamPage {
  std::vector<std::pair<std::string, SiblingSet>> entries;
  std::string next_key;  // resume after this key
  bool done = false;
};

struct StreamCounters {
  uint64_t keys_received = 0;  // by this node while joining
  uint64_t keys_sent = 0;      // by this node, as a join source or while leaving
};

class Streamer {
 public:
  Streamer(ReplicaStore* store, Membership* membership) : store_(store), membership_(membership) {}

  // Source side of `streamKeys`: Busy while we do not yet see `for_node` joining.
  Result<StreamPage> PageFor(const std::string& for_node, const std::vector<std::string>& skip,
                             const std::string& after_key, size_t max_bytes);
  // Joiner side: pulls from every source, then marks us normal. Returns keys received.
  Result<uint64_t> Join(BackgroundLoop::Context& ctx);
  // Leaver side: waits until the cluster sees us leaving, pushes our data, marks us left.
  Result<uint64_t> Leave(BackgroundLoop::Context& ctx);

  StreamCounters counters() const;

 private:
  Status PullFrom(BackgroundLoop::Context& ctx, const RingNode& source, const std::vector<std::string>& skip,
                  uint64_t* received);
  // Waits (bounded) until every other node's ring is at least as new as ours.
  Status WaitForRingToSpread(BackgroundLoop::Context& ctx, std::chrono::seconds limit);

  ReplicaStore* store_;
  Membership* membership_;
  mutable std::mutex mu_;
  StreamCounters counters_;
};

}  // namespace ringkv
