#pragma once
// A blocking HTTP/1.1 client for tests (Boost.Beast): one request per connection, with a
// timeout. Talks to a node's admin endpoint and to chromedriver. With TLS files it speaks
// HTTPS: trusts only tls.ca_file, checks the server's certificate names tls.server_name,
// and presents tls.cert_file/key_file when given (none: no client certificate).

#include <chrono>
#include <string>

#include "ringkv/status.h"
#include "ringkv/tls_files.h"

namespace ringkv::testing {

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

// `address` is host:port; `body` non-empty makes it a request with a JSON body;
// `authorization` non-empty is sent as the Authorization header.
Result<HttpResponse> HttpRequest(const std::string& address, const std::string& method, const std::string& target,
                                 const std::string& body = "",
                                 std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                 const std::string& authorization = "", const TlsFiles& tls = {});
inline Result<HttpResponse> HttpGet(const std::string& address, const std::string& target) {
  return HttpRequest(address, "GET", target);
}

}  // namespace ringkv::testing
