#pragma once
// RpcListener: accepts RPC connections for the node with limits, so that a flood of
// connections, oversized messages or a client that sends faster than the node answers
// cannot exhaust its memory:
//   - at most `max_connections` at once; one more is closed at once (and counted);
//   - a message over `max_message_bytes` ends its connection (Cap'n Proto's traversal limit);
//   - at most `max_inflight_bytes` of requests per connection in flight: past that the
//     node stops reading from that connection until answers go out (RpcSystem flow limit).
// Runs on the node's event loop.

#include <capnp/capability.h>
#include <kj/async-io.h>

#include <atomic>
#include <cstdint>

namespace ringkv {

// Counters the listener keeps; owned by the caller so the stats can read them.
struct ConnectionStats {
  std::atomic<uint64_t> open{0}, accepted{0}, refused{0};
};

struct RpcLimits {
  uint32_t max_connections = 1024;
  uint64_t max_message_bytes = 32u << 20;
  uint64_t max_inflight_bytes = 16u << 20;
};

class RpcListener {
 public:
  // `stats` must outlive the listener.
  RpcListener(capnp::Capability::Client bootstrap, RpcLimits limits, ConnectionStats* stats);
  ~RpcListener();
  // Accepts until the listener fails (the promise then rejects) or is dropped.
  kj::Promise<void> Listen(kj::ConnectionReceiver& listener);

 private:
  struct Connection;
  void Serve(kj::Own<kj::AsyncIoStream> stream);

  capnp::Capability::Client bootstrap_;
  RpcLimits limits_;
  ConnectionStats* stats_;
  kj::TaskSet tasks_;
};

}  // namespace ringkv
