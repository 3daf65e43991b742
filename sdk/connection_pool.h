#pragma once
// ConnectionPool: one Cap'n Proto connection per node address, opened on first use and
// reopened after a failure. Lives on the client's event-loop thread (not thread-safe).
//
// A node whose connection failed is marked down for `down_backoff`; the quorum logic asks
// IsDown() to try healthy replicas first, and any successful call marks it up again.

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>

#include <chrono>
#include <map>
#include <string>

#include "capnp/kv.capnp.h"

namespace ringkv::sdk {

class ConnectionPool {
 public:
  ConnectionPool(kj::Network& network, kj::Timer& timer,
                 std::chrono::milliseconds down_backoff = std::chrono::milliseconds(1000))
      : network_(network), timer_(timer), down_backoff_(down_backoff) {}

  // A capability for the node at `address` (calls queue while it connects).
  wire::Node::Client Get(const std::string& address);
  // Forget the connection (after an RPC failure) and mark the node down for a while.
  void MarkFailed(const std::string& address);
  void MarkHealthy(const std::string& address);
  bool IsDown(const std::string& address) const;

 private:
  struct Connection {
    explicit Connection(kj::Own<kj::AsyncIoStream> s) : stream(kj::mv(s)), client(*stream) {}
    kj::Own<kj::AsyncIoStream> stream;
    capnp::TwoPartyClient client;
  };
  struct Entry {
    kj::Maybe<wire::Node::Client> cap;
    kj::Own<Connection> connection;  // set once connected
    kj::Promise<void> watcher = nullptr;
  };

  kj::Network& network_;
  kj::Timer& timer_;
  std::chrono::milliseconds down_backoff_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, kj::TimePoint> down_until_;
};

}  // namespace ringkv::sdk
