#pragma once
// AdminHttp: the node's admin HTTP endpoint (node/admin/admin_routes.h says what it serves),
// on Boost.Beast with its own io_context thread — never on the KJ event loop. HTTP/1.1
// with keep-alive; a request over 8 KB or a connection idle for 30 s is closed.
//
// With TLS material (the node's, when --tls-ca is set) it speaks HTTPS only, with the same
// rules as the RPC listener (capnp/tls.h): TLS 1.2+, the node's certificate, and a client
// certificate signed by the cluster CA required from every connection (a handshake that
// fails or takes over 10 s ends the connection and counts in rpc_tls_handshake_failures_total).
// Without, plain HTTP.
//
// Start() binds before it returns, so a taken port is an error at startup, not later.

#include <memory>
#include <string>

#include "common/security.h"
#include "node/rpc/rpc_server.h"
#include "ringkv/status.h"

namespace ringkv {

class AdminHttp {
 public:
  // `address` is "host:port" or just "port" (127.0.0.1). `services` must outlive it.
  // `tls` null: plain HTTP.
  static Result<std::unique_ptr<AdminHttp>> Start(const std::string& address, NodeServices services,
                                                  std::shared_ptr<const TlsMaterial> tls = nullptr);
  ~AdminHttp();  // stops the thread and closes every connection
  AdminHttp(const AdminHttp&) = delete;
  AdminHttp& operator=(const AdminHttp&) = delete;

  const std::string& address() const;  // as bound
  bool tls() const;                    // HTTPS

  // New certificates for the next handshakes (a reload); open connections keep theirs.
  // InvalidArgument if they do not load, or if the endpoint started without TLS.
  Status SetTls(std::shared_ptr<const TlsMaterial> tls);

 private:
  struct Rep;
  explicit AdminHttp(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace ringkv
