#include "cli/admin_post.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace ringkv::cli {

Status PostToAdmin(const std::string& address, const std::string& path, const std::string& body,
                   const std::string& token) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace http = beast::http;
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("--report-to wants host:port, not " + address);
  try {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(2));
    asio::ip::tcp::resolver resolver(io);
    stream.connect(resolver.resolve(address.substr(0, colon), address.substr(colon + 1)));
    http::request<http::string_body> request(http::verb::post, path, 11);
    request.set(http::field::host, address);
    request.set(http::field::content_type, "application/json");
    if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
    request.body() = body;
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    if (response.result_int() != 200) {
      return Status::IOError("HTTP " + std::to_string(response.result_int()) + ": " + response.body());
    }
    return Status::OK();
  } catch (const std::exception& e) {
    return Status::Unavailable(e.what());
  }
}

}  // namespace ringkv::cli
