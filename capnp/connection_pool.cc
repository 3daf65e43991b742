#include "capnp/connection_pool.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "capnp/tls.h"

namespace ringkv::wire {
namespace {

// "a.b.c.d:port" as an IPv4 socket address (port 0: any); false for anything else
// (hostnames, IPv6).
bool ParseIpv4(const std::string& address, sockaddr_in* out) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  std::memset(out, 0, sizeof(*out));
  out->sin_family = AF_INET;
  if (inet_pton(AF_INET, address.substr(0, colon).c_str(), &out->sin_addr) != 1) return false;
  char* end = nullptr;
  long port = std::strtol(address.c_str() + colon + 1, &end, 10);
  if (end == address.c_str() + colon + 1 || *end != '\0' || port < 0 || port > 65535) return false;
  out->sin_port = htons(static_cast<uint16_t>(port));
  return true;
}

}  // namespace

ConnectionPool::ConnectionPool(kj::AsyncIoProvider& io, kj::LowLevelAsyncIoProvider& low_level, kj::Timer& timer,
                               PoolOptions options)
    : io_(io), low_level_(low_level), timer_(timer), options_(std::move(options)) {
  if (options_.tls) {
    auto context = MakeTlsContext(*options_.tls, TlsRole::kClient);
    KJ_REQUIRE(context.ok(), context.status().ToString());
    tls_ = std::move(context).value();
  }
}

kj::Promise<kj::Own<kj::AsyncIoStream>> ConnectionPool::Connect(const std::string& address) {
  auto tcp = ConnectTcp(address);
  if (tls_.get() == nullptr) return tcp;
  return tcp.then([this](kj::Own<kj::AsyncIoStream> stream) {
    return tls_->wrapClient(kj::mv(stream), options_.tls->server_name);
  });
}

namespace {

capnp::ReaderOptions ResponseLimits() {
  capnp::ReaderOptions o;
  o.traversalLimitInWords = kMaxResponseBytes / sizeof(capnp::word);
  return o;
}

}  // namespace

ConnectionPool::Connection::Connection(kj::Own<kj::AsyncIoStream> s)
    : stream(kj::mv(s)),
      network(*stream, capnp::rpc::twoparty::Side::CLIENT, ResponseLimits()),
      rpc(capnp::makeRpcClient(network)) {}

capnp::Capability::Client ConnectionPool::Connection::Bootstrap() {  // as TwoPartyClient::bootstrap
  capnp::word scratch[4] = {};
  capnp::MallocMessageBuilder message(scratch);
  auto vat = message.getRoot<capnp::rpc::twoparty::VatId>();
  vat.setSide(capnp::rpc::twoparty::Side::SERVER);
  return rpc.bootstrap(vat);
}

Node::Client ConnectionPool::Login(Connection& connection) {
  auto login = connection.Bootstrap().castAs<Gate>().loginRequest();
  login.setCredential(
      kj::arrayPtr(reinterpret_cast<const kj::byte*>(options_.credential.data()), options_.credential.size()));
  if (!options_.user.empty()) login.setUser(options_.user);
  return login.send().getNode();  // pipelined: calls on it go out before the answer is back
}

kj::Promise<kj::Own<kj::AsyncIoStream>> ConnectionPool::ConnectTcp(const std::string& address) {
  sockaddr_in local{}, remote{};
  std::string bind_address = options_.bind_host + ":0";
  bool bind = !options_.bind_host.empty() && options_.bind_host != "0.0.0.0";
  if (bind && !ParseIpv4(bind_address, &local))
    KJ_FAIL_REQUIRE("bind address is not an IPv4 address", options_.bind_host);
  if (!bind || !ParseIpv4(address, &remote)) {
    return io_.getNetwork().parseAddress(address).then(
        [](kj::Own<kj::NetworkAddress> addr) { return addr->connect(); });
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) KJ_FAIL_SYSCALL("socket", errno);
  // KJ sets this on the sockets it opens itself; without it Nagle's algorithm and delayed
  // ACKs hold small requests back ~40 ms.
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    int error = errno;
    ::close(fd);
    KJ_FAIL_SYSCALL("bind", error, options_.bind_host);
  }
  return low_level_.wrapConnectingSocketFd(fd, reinterpret_cast<sockaddr*>(&remote), sizeof(remote),
                                           kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP |
                                               kj::LowLevelAsyncIoProvider::ALREADY_NONBLOCK |
                                               kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC);
}

Node::Client ConnectionPool::Get(const std::string& address) {
  Entry& entry = entries_[address];
  KJ_IF_MAYBE (cap, entry.cap) {
    return *cap;
  }
  // A connect can outlive its entry (a SYN retransmitted after a partition heals lands
  // late); it must not replace the connection a later Get() opened, hence the serial.
  uint64_t serial = entry.serial = next_serial_++;
  auto connecting = kj::evalNow([this, address] {
                      return Connect(address);
                    }).then([this, address, serial](kj::Own<kj::AsyncIoStream> stream) -> Node::Client {
    auto it = entries_.find(address);
    if (it == entries_.end() || it->second.serial != serial) {
      KJ_FAIL_REQUIRE("connection abandoned", address);
    }
    Entry& e = it->second;
    e.connection = kj::heap<Connection>(kj::mv(stream));
    e.watcher =
        e.connection->network.onDisconnect()
            .then([this, address]() { MarkFailed(address); }, [this, address](kj::Exception&&) { MarkFailed(address); })
            .eagerlyEvaluate(nullptr);
    return Login(*e.connection);
  });
  Node::Client cap(kj::mv(connecting));
  entry.cap = cap;
  return cap;
}

void ConnectionPool::MarkFailed(const std::string& address) {
  MarkDown(address);
  auto it = entries_.find(address);
  if (it == entries_.end()) return;
  // Destroying the entry may be running inside its own watcher: defer the teardown.
  auto doomed = kj::heap<Entry>(kj::mv(it->second));
  entries_.erase(it);
  kj::evalLater([doomed = kj::mv(doomed)]() mutable { doomed = nullptr; }).detach([](kj::Exception&&) {});
}

void ConnectionPool::MarkDown(const std::string& address) {
  down_until_.insert_or_assign(address, timer_.now() + options_.down_backoff.count() * kj::MILLISECONDS);
}

void ConnectionPool::MarkHealthy(const std::string& address) { down_until_.erase(address); }

bool ConnectionPool::IsDown(const std::string& address) const {
  auto it = down_until_.find(address);
  return it != down_until_.end() && timer_.now() < it->second;
}

}  // namespace ringkv::wire
