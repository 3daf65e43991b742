#pragma once
// GateServer: the bootstrap capability of a node's RPC port (capnp/kv.capnp `Gate`).
// A connection logs in with a credential and gets a NodeServer that serves exactly the
// access that credential grants (node/rpc/credentials.h AccessFor): the cluster secret, every
// method; the client token, data and admin; nothing otherwise when one is required.
// Refusals are error values (never exceptions across RPC), counted in
// rpc_unauthenticated_total and logged once per connection.

#include "capnp/kv.capnp.h"
#include "node/rpc/credentials.h"
#include "node/rpc/rpc_server.h"

namespace ringkv {

class GateServer final : public wire::Gate::Server {
 public:
  GateServer(NodeServices services, Credentials required)
      : services_(std::move(services)), required_(std::move(required)) {}

 protected:
  kj::Promise<void> login(LoginContext context) override;

 private:
  NodeServices services_;
  Credentials required_;
};

}  // namespace ringkv
