#include "node/admin/admin_http.h"

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <concepts>
#include <thread>

#include "common/mutex.h"
#include "node/admin/admin_routes.h"

namespace ringkv {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr size_t kMaxRequestBytes = 8 * 1024;

beast::tcp_stream& Tcp(beast::tcp_stream& s) { return s; }
beast::tcp_stream& Tcp(TlsStream& s) { return beast::get_lowest_layer(s); }

// One client connection: (with TLS, a handshake first, which must present a client
// certificate of the cluster CA), then read a request, answer it, repeat while keep-alive
// holds. `Stream` is beast::tcp_stream or TlsStream.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(tcp::socket socket, const NodeServices& services) requires std::same_as<Stream, beast::tcp_stream>
      : stream_(std::move(socket)), services_(services) {}
  Session(tcp::socket socket, std::shared_ptr<ssl::context> tls,
          const NodeServices& services) requires std::same_as<Stream, TlsStream>
      : tls_(std::move(tls)), stream_(std::move(socket), *tls_), services_(services) {}

  void Start() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      Tcp(stream_).expires_after(kHandshakeTimeout);
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) {
          if (self->services_.connections) self->services_.connections->tls_failed.fetch_add(1);
          spdlog::debug("admin endpoint: TLS handshake failed: {}", ec.message());
          return;
        }
        self->Read();
      });
    } else {
      Read();
    }
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(kMaxRequestBytes);
    parser_->body_limit(kMaxRequestBytes);
    Tcp(stream_).expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
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
                      [self = this->shared_from_this(), response, keep_alive](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (keep_alive)
                          self->Read();
                        else
                          self->Close();
                      });
  }

  void Close() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      Tcp(stream_).expires_after(kHandshakeTimeout);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  std::shared_ptr<ssl::context> tls_;  // TLS only: the context this session was made with
  Stream stream_;
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

// A server context as the RPC listener's (capnp/tls.h): TLS 1.2+, this node's certificate,
// trusting only the cluster CA, and requiring a client certificate signed by it.
Result<std::shared_ptr<ssl::context>> MakeServerContext(const TlsMaterial& m) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       ec);
  if (!ec && SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1) {
    ec = boost::system::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
  }
  if (!ec) context->use_certificate_chain(asio::buffer(m.cert_pem), ec);
  if (!ec) context->use_private_key(asio::buffer(m.key_pem), ssl::context::pem, ec);
  if (!ec) context->add_certificate_authority(asio::buffer(m.ca_pem), ec);
  if (!ec) context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
  if (ec) return Status::InvalidArgument("admin endpoint TLS: " + ec.message());
  return context;
}

}  // namespace

struct AdminHttp::Rep {
  explicit Rep(NodeServices s) : services(std::move(s)) {}
  NodeServices services;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::string address;
  std::thread thread;
  Mutex mu;
  std::shared_ptr<ssl::context> tls GUARDED_BY(mu);  // null: plain HTTP

  std::shared_ptr<ssl::context> Tls() {
    MutexLock lock(&mu);
    return tls;
  }

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        if (auto context = Tls())
          std::make_shared<Session<TlsStream>>(std::move(socket), std::move(context), services)->Start();
        else
          std::make_shared<Session<beast::tcp_stream>>(std::move(socket), services)->Start();
      }
      Accept();
    });
  }
};

Result<std::unique_ptr<AdminHttp>> AdminHttp::Start(const std::string& address, NodeServices services,
                                                    std::shared_ptr<const TlsMaterial> tls) {
  RINGKV_ASSIGN(tcp::endpoint endpoint, ParseEndpoint(address));
  auto rep = std::make_unique<Rep>(std::move(services));
  if (tls) {
    RINGKV_ASSIGN(auto context, MakeServerContext(*tls));
    MutexLock lock(&rep->mu);
    rep->tls = std::move(context);
  }
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

bool AdminHttp::tls() const { return rep_->Tls() != nullptr; }

Status AdminHttp::SetTls(std::shared_ptr<const TlsMaterial> tls) {
  if (!tls || !this->tls()) return Status::InvalidArgument("the admin endpoint's TLS is set at startup");
  RINGKV_ASSIGN(auto context, MakeServerContext(*tls));
  MutexLock lock(&rep_->mu);
  rep_->tls = std::move(context);
  return Status::OK();
}

}  // namespace ringkv
