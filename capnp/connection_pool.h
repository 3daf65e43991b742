#pragma once
// ConnectionPool: one Cap'n Proto connection per node address, opened on first use and
// reopened after a failure. Lives on one event-loop thread (not thread-safe); the SDK's
// loop and each of a node's background loops have their own.
//
// A node whose connection failed is marked down for `down_backoff`; callers ask IsDown()
// to try healthy nodes first, and any successful call marks it up again.
//
// Connection health (with `health_interval` > 0; the SDK's pool): every interval each
// connection the pool holds (or is opening) is pinged. A node that does not answer within
// `health_timeout` — paused, cut off, its connect unanswered — is *unreachable*: its
// connection is dropped, so every call waiting on it fails at once (a get waiting for R
// answers learns now that one will not come), and every new call to it fails at once
// (IsUnreachable; the error says so) instead of waiting for its timeout. It is then probed
// on a fresh connection every interval (a few probes may overlap, so a SYN lost in a
// partition does not hold the heal back by TCP's connect backoff); the first probe that is
// answered becomes the node's connection, and the node is healthy again. A fresh
// connection is also what keeps a heal fast: a connection opened during the fault may wait
// seconds for TCP's retransmission backoff after it.
//
// With a `bind_host`, outgoing connections leave from that local address (a node uses its
// own 127.0.0.x), so network rules keyed on addresses — the partition tests' iptables
// chains — see who is talking to whom.
//
// Each connection starts with Gate.login(credential) (the cluster secret for a node, the
// client token for an application), pipelined with the first call; with TLS material the
// connection is TLS with this process's certificate, and the node's certificate must be
// signed by the cluster CA and carry its server name.

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "capnp/kv.capnp.h"
#include "common/security.h"
#include "ringkv/limits.h"

namespace ringkv::wire {

struct PoolOptions {
  std::chrono::milliseconds down_backoff{1000};
  std::chrono::milliseconds health_interval{0};  // 0: no health checks
  std::chrono::milliseconds health_timeout{500};
  std::string bind_host;                   // empty: the kernel picks the source address
  std::string credential;                  // presented to each node's Gate; empty: none
  std::string user;                        // non-empty: `credential` is this user's password
  std::shared_ptr<const TlsMaterial> tls;  // null: plain TCP
};

// The largest message a connection accepts from a node: the answer to a full batch of gets
// (RequestBatcher::kMaxBatch) whose every key holds a sibling set of the largest size.
// A limit against a broken peer, not a budget: a client holds what it asked for.
inline constexpr uint64_t kMaxResponseBytes = 128 * (kMaxSiblingSetBytes + (4u << 10));

class ConnectionPool final : private kj::TaskSet::ErrorHandler {
 public:
  // With TLS, the material must have been checked (MakeTlsContext) before: a bad one
  // throws here.
  ConnectionPool(kj::AsyncIoProvider& io, kj::LowLevelAsyncIoProvider& low_level, kj::Timer& timer,
                 PoolOptions options = {});

  // A capability for the node at `address` (calls queue while it connects); for an
  // unreachable node (see above), one whose calls fail at once.
  Node::Client Get(const std::string& address);
  // The same, but connecting even to an unreachable node: for calls addressed to that one
  // node (admin calls, ring fetches, scans), which should reach it as soon as it is back
  // rather than fail until a probe has found it. An answered health check of the
  // connection makes the node reachable again.
  Node::Client Dial(const std::string& address);
  // Forget the connection (after an RPC failure) and mark the node down for a while.
  void MarkFailed(const std::string& address);
  // Route around the node for a while but keep its connection (it is slow, not gone).
  void MarkDown(const std::string& address);
  void MarkHealthy(const std::string& address);
  // Marked down, or unreachable.
  bool IsDown(const std::string& address) const;
  // The node did not answer a health check and no probe has been answered since: calls to
  // it fail at once.
  bool IsUnreachable(const std::string& address) const;

 private:
  // TwoPartyClient's parts, so that the reader limit can be set: Cap'n Proto's default
  // (64 MB) is below an answer to a batch of gets of large values (kMaxResponseBytes).
  struct Connection {
    explicit Connection(kj::Own<kj::AsyncIoStream> s);
    capnp::Capability::Client Bootstrap();
    kj::Own<kj::AsyncIoStream> stream;
    capnp::TwoPartyVatNetwork network;
    capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpc;
  };
  struct Entry {
    kj::Maybe<Node::Client> cap;
    kj::Own<Connection> connection;  // set once connected
    kj::Promise<void> watcher = nullptr;
    uint64_t serial = 0;  // which Get() opened it: a late connect for a dropped entry is discarded
  };

  // Health (see above); all on the loop.
  struct Health {
    bool unreachable = false;
    bool pinging = false;  // a health check of the current connection is in flight
    int probes = 0;        // fresh-connection probes in flight
  };
  // A probe's answered connection.
  struct Probed {
    kj::Own<Connection> connection;
    Node::Client cap;
  };
  static constexpr int kMaxProbes = 4;
  kj::Promise<void> HealthLoop();
  void CheckHealth();
  void Ping(const std::string& address, Entry& entry);
  void Probe(const std::string& address);
  void SetUnreachable(const std::string& address);
  // The node is reachable; `probed` becomes its connection unless Dial() opened one meanwhile.
  void Install(const std::string& address, Probed probed);
  kj::Promise<void> WatchDisconnect(const std::string& address, Connection& connection);
  static void DeferDestroy(kj::Own<Entry> doomed);
  void taskFailed(kj::Exception&& e) override;

  kj::Promise<kj::Own<kj::AsyncIoStream>> Connect(const std::string& address);
  kj::Promise<kj::Own<kj::AsyncIoStream>> ConnectTcp(const std::string& address);
  Node::Client Login(Connection& connection);

  kj::AsyncIoProvider& io_;
  kj::LowLevelAsyncIoProvider& low_level_;
  kj::Timer& timer_;
  PoolOptions options_;
  kj::Own<kj::TlsContext> tls_;  // null without TLS
  std::map<std::string, Entry> entries_;
  std::map<std::string, kj::TimePoint> down_until_;
  std::map<std::string, Health> health_;
  uint64_t next_serial_ = 1;
  // Last: destroyed first, cancelling the checks (which use the members above).
  kj::Own<kj::TaskSet> checks_;
  kj::Promise<void> health_loop_ = nullptr;
};

}  // namespace ringkv::wire
