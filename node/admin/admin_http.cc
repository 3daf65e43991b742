#include "node/admin/admin_http.h"

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <thread>

#include "node/admin/admin_routes.h"

namespace ringkv {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr size_t kMaxRequestBytes = 8 * 1024;

// One client connection: read a request, answer it, repeat while keep-alive holds.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const NodeServices& services) : stream_(std::move(socket)), services_(services) {}
  void Start() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(kMaxRequestBytes);
    parser_->body_limit(kMaxRequestBytes);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return Close();
    if (ec == http::error::header_limit || ec == http::error::body_limit) {
      return Reply({413, "application/json", "{\"error\":\"request too large\"}\n"}, false);
    }
    if (ec) return;  // timeout, reset, garbage: drop the connection
    const auto& request = parser_->get();
    HttpReply reply =
        HandleAdminRequest(services_, std::string_view(request.method_string()), std::string_view(request.target()),
                           std::string_view(request[http::field::authorization]), std::string_view(request.body()));
    if (request.method() == http::verb::head) reply.body.clear();
    Reply(std::move(reply), request.keep_alive());
  }

  void Reply(HttpReply reply, bool keep_alive) {
    auto response = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(reply.status), 11);
    response->set(http::field::server, "ringkv");
    response->set(http::field::content_type, reply.content_type);
    response->set(http::field::cache_control, "no-store");
    if (reply.status == 401) response->set(http::field::www_authenticate, "Bearer realm=\"ringkv\"");
    response->keep_alive(keep_alive);
    response->body() = std::move(reply.body);
    response->prepare_payload();
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response, keep_alive](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (keep_alive)
                          self->Read();
                        else
                          self->Close();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const NodeServices& services_;
};

Result<tcp::endpoint> ParseEndpoint(const std::string& address) {
  std::string host = "127.0.0.1", port = address;
  if (auto colon = address.rfind(':'); colon != std::string::npos) {
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("admin address '" + address + "': '" + host + "' is not an IP address");
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 0 || p > 65535) {
    return Status::InvalidArgument("admin address '" + address + "': bad port '" + port + "'");
  }
  return tcp::endpoint(ip, static_cast<unsigned short>(p));
}

}  // namespace

struct AdminHttp::Rep {
  explicit Rep(NodeServices s) : services(std::move(s)) {}
  NodeServices services;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::string address;
  std::thread thread;

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(std::move(socket), services)->Start();
      Accept();
    });
  }
};

Result<std::unique_ptr<AdminHttp>> AdminHttp::Start(const std::string& address, NodeServices services) {
  RINGKV_ASSIGN(tcp::endpoint endpoint, ParseEndpoint(address));
  auto rep = std::make_unique<Rep>(std::move(services));
  boost::system::error_code ec;
  rep->acceptor.open(endpoint.protocol(), ec);
  if (!ec) rep->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) rep->acceptor.bind(endpoint, ec);
  if (!ec) rep->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("admin endpoint cannot listen on " + address + ": " + ec.message());
  auto bound = rep->acceptor.local_endpoint();
  rep->address = bound.address().to_string() + ":" + std::to_string(bound.port());
  rep->Accept();
  rep->thread = std::thread([r = rep.get()] { r->io.run(); });
  return std::unique_ptr<AdminHttp>(new AdminHttp(std::move(rep)));
}

AdminHttp::AdminHttp(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

AdminHttp::~AdminHttp() {
  rep_->io.stop();
  if (rep_->thread.joinable()) rep_->thread.join();
}

const std::string& AdminHttp::address() const { return rep_->address; }

}  // namespace ringkv
