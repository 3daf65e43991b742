#pragma once
// NodeServer: the storage node's Cap'n Proto `Node` interface (capnp/kv.capnp).
//
// Runs on the node's KJ event loop; every call that touches storage is handed to the
// WorkerPool and completes as a promise, so the loop keeps serving while a replica waits
// on disk. Requests from another cluster or a newer protocol are refused as error values;
// bad input (oversized key/value, malformed clock) comes back as invalidArgument.

#include <memory>
#include <string>

#include "capnp/convert.h"
#include "capnp/kv.capnp.h"
#include "node/replica_store.h"
#include "node/worker_pool.h"

namespace ringkv {

// What the server needs to know about the node; owned by the caller, outlives the server.
struct NodeServices {
  ReplicaStore* store = nullptr;
  WorkerPool* workers = nullptr;
  std::string node_id;
  std::string cluster_name;
  // The ring as this node knows it; read on the event loop thread only.
  const wire::RingView* ring = nullptr;
};

class NodeServer final : public wire::Node::Server {
 public:
  explicit NodeServer(NodeServices services) : s_(std::move(services)) {}

 protected:
  kj::Promise<void> coordinatePut(CoordinatePutContext context) override;
  kj::Promise<void> coordinatePuts(CoordinatePutsContext context) override;
  kj::Promise<void> replicate(ReplicateContext context) override;
  kj::Promise<void> get(GetContext context) override;
  kj::Promise<void> ring(RingContext context) override;
  kj::Promise<void> ping(PingContext context) override;

 private:
  Status CheckHeader(wire::RequestHeader::Reader header) const;
  NodeServices s_;
};

}  // namespace ringkv
