#pragma once
// AdminHttp: the node's admin HTTP endpoint (node/admin/admin_routes.h says what it serves),
// on Boost.Beast with its own io_context thread — never on the KJ event loop. HTTP/1.1
// with keep-alive; a request over 8 KB or a connection idle for 30 s is closed.
//
// Start() binds before it returns, so a taken port is an error at startup, not later.

#include <memory>
#include <string>

#include "node/rpc/rpc_server.h"
#include "ringkv/status.h"

namespace ringkv {

class AdminHttp {
 public:
  // `address` is "host:port" or just "port" (127.0.0.1). `services` must outlive it.
  static Result<std::unique_ptr<AdminHttp>> Start(const std::string& address, NodeServices services);
  ~AdminHttp();  // stops the thread and closes every connection
  AdminHttp(const AdminHttp&) = delete;
  AdminHttp& operator=(const AdminHttp&) = delete;

  const std::string& address() const;  // as bound

 private:
  struct Rep;
  explicit AdminHttp(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace ringkv
