#include "tests/cluster/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace ringkv::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<HttpResponse> HttpRequest(const std::string& address, const std::string& method, const std::string& target,
                                 const std::string& body, std::chrono::milliseconds timeout,
                                 const std::string& authorization) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("not host:port: " + address);
  try {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    asio::ip::tcp::resolver resolver(io);
    stream.connect(resolver.resolve(address.substr(0, colon), address.substr(colon + 1)));
    http::request<http::string_body> request(http::string_to_verb(method), target, 11);
    request.set(http::field::host, address);
    if (!authorization.empty()) request.set(http::field::authorization, authorization);
    if (!body.empty()) {
      request.set(http::field::content_type, "application/json");
      request.body() = body;
    }
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);  // screenshots
    http::read(stream, buffer, parser);
    auto& response = parser.get();
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    return HttpResponse{static_cast<int>(response.result_int()), std::string(response[http::field::content_type]),
                        std::move(response.body())};
  } catch (const std::exception& e) {
    return Status::Unavailable(method + " http://" + address + target + ": " + e.what());
  }
}

}  // namespace ringkv::testing
