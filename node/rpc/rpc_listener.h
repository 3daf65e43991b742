#pragma once
// RpcListener: accepts RPC connections for the node with limits, so that a flood of
// connections, oversized messages or a client that sends faster than the node answers
// cannot exhaust its memory:
//   - at most `max_connections` at once; one more is closed at once (and counted);
//   - a message over `max_message_bytes` ends its connection (Cap'n Proto's traversal limit);
//   - at most `max_inflight_bytes` of requests per connection in flight: past that the
//     node stops reading from that connection until answers go out (RpcSystem flow limit);
//   - and all connections together share `max_inflight_total_bytes`: each gets an equal
//     share (at least kMinInflightShare), so many busy connections cannot add up to more.
//     Worst case held: the total budget + open connections x one message being read.
// With a TLS context every connection is TLS first: a connection in its handshake counts
// toward max_connections, and a failed handshake (wrong CA, no client certificate, plain
// TCP) ends it and is counted.
// Runs on the node's event loop.

#include <capnp/capability.h>
#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include <atomic>
#include <cstdint>
#include <set>

namespace ringkv {

// Counters the listener keeps; owned by the caller so the stats can read them.
struct ConnectionStats {
  std::atomic<uint64_t> open{0}, accepted{0}, refused{0};
  std::atomic<uint64_t> unauthenticated{0};    // calls refused for a missing or wrong credential
  std::atomic<uint64_t> tls_failed{0};         // TLS handshakes that failed
  std::atomic<uint64_t> permission_denied{0};  // calls a user's role did not allow
  std::atomic<uint64_t> reloads{0};            // credential and TLS reloads applied (SIGHUP)
};

struct RpcLimits {
  uint32_t max_connections = 1024;
  uint64_t max_message_bytes = 32u << 20;
  uint64_t max_inflight_bytes = 16u << 20;
  uint64_t max_inflight_total_bytes = 256u << 20;
};

constexpr uint64_t kMinInflightShare = 64u << 10;

// Each connection's in-flight cap when `open` connections share the budget: the budget
// split evenly, rounded down to a power of two (so it changes rarely as connections come
// and go), between kMinInflightShare and max_inflight_bytes.
uint64_t InflightShare(const RpcLimits& limits, size_t open);

class RpcListener {
 public:
  // `stats` and `tls` (null: plain TCP) must outlive the listener.
  RpcListener(capnp::Capability::Client bootstrap, RpcLimits limits, ConnectionStats* stats,
              kj::TlsContext* tls = nullptr);
  ~RpcListener();
  // Accepts until the listener fails (the promise then rejects) or is dropped.
  kj::Promise<void> Listen(kj::ConnectionReceiver& listener);
  // The context for the next handshakes (a reload of the certificates); connections already
  // made keep theirs, so the old one must outlive them (the node keeps it until shutdown).
  void SetTls(kj::TlsContext* tls) { tls_ = tls; }

 private:
  struct Connection;
  void Serve(kj::Own<kj::AsyncIoStream> stream);
  void Rebalance();  // after a connection came or went: apply the new share to every one

  capnp::Capability::Client bootstrap_;
  RpcLimits limits_;
  ConnectionStats* stats_;
  kj::TlsContext* tls_;
  std::set<Connection*> live_;
  uint64_t share_ = 0;  // the flow limit every live connection has now
  kj::TaskSet tasks_;
};

}  // namespace ringkv
