#include "tests/cluster/http_client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace ringkv::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;

namespace {

// One request and its response over `stream` (plain or TLS, connected).
template <typename Stream>
HttpResponse Exchange(Stream& stream, const std::string& address, const std::string& method, const std::string& target,
                      const std::string& body, const std::string& authorization) {
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
  return HttpResponse{static_cast<int>(response.result_int()), std::string(response[http::field::content_type]),
                      std::move(response.body())};
}

}  // namespace

Result<HttpResponse> HttpRequest(const std::string& address, const std::string& method, const std::string& target,
                                 const std::string& body, std::chrono::milliseconds timeout,
                                 const std::string& authorization, const TlsFiles& tls) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("not host:port: " + address);
  const std::string scheme = tls.enabled() ? "https://" : "http://";
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(address.substr(0, colon), address.substr(colon + 1));
    beast::error_code ignored;
    if (!tls.enabled()) {
      beast::tcp_stream stream(io);
      stream.expires_after(timeout);
      stream.connect(endpoints);
      HttpResponse response = Exchange(stream, address, method, target, body, authorization);
      stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      return response;
    }
    ssl::context context(ssl::context::tls_client);
    context.load_verify_file(tls.ca_file);
    if (!tls.cert_file.empty()) {
      context.use_certificate_chain_file(tls.cert_file);
      context.use_private_key_file(tls.key_file, ssl::context::pem);
    }
    context.set_verify_mode(ssl::verify_peer);
    context.set_verify_callback(ssl::host_name_verification(tls.server_name));
    beast::ssl_stream<beast::tcp_stream> stream(io, context);
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).connect(endpoints);
    stream.handshake(ssl::stream_base::client);
    HttpResponse response = Exchange(stream, address, method, target, body, authorization);
    stream.shutdown(ignored);
    return response;
  } catch (const std::exception& e) {
    return Status::Unavailable(method + " " + scheme + address + target + ": " + e.what());
  }
}

}  // namespace ringkv::testing
