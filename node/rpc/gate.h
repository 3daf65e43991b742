#pragma once
// GateServer: the bootstrap capability of a node's RPC port (capnp/kv.capnp `Gate`).
// A connection logs in with a credential and gets a NodeServer that serves exactly the
// access that credential grants (node/rpc/credentials.h AccessFor): the cluster secret, every
// method; the client token, data and admin; nothing otherwise when one is required.
// A login naming a user (the password as credential) is checked against the user catalog
// (node/cluster/users.h) on a worker thread: PBKDF2 is slow on purpose and must not stall
// the event loop. Calls pipelined on the login wait for it.
// Refusals are error values (never exceptions across RPC), counted in
// rpc_unauthenticated_total and logged once per connection.

#include "capnp/kv.capnp.h"
#include "node/rpc/credentials.h"
#include "node/rpc/rpc_server.h"

namespace ringkv {

class GateServer final : public wire::Gate::Server {
 public:
  // `required` must outlive the gate; it may change between logins (a reload).
  GateServer(NodeServices services, const RequiredCredentials* required)
      : services_(std::move(services)), required_(required) {}

 protected:
  kj::Promise<void> login(LoginContext context) override;

 private:
  NodeServices services_;
  const RequiredCredentials* required_;
};

}  // namespace ringkv
