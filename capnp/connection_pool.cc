#include "capnp/connection_pool.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "capnp/bounded.h"
#include "capnp/request_header.h"
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
  checks_ = kj::heap<kj::TaskSet>(static_cast<kj::TaskSet::ErrorHandler&>(*this));
  if (options_.health_interval.count() > 0) {
    health_loop_ = HealthLoop().eagerlyEvaluate(
        [](kj::Exception&& e) { KJ_LOG(ERROR, "connection health checks stopped (a bug)", e); });
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
  if (IsUnreachable(address)) {
    return Node::Client(KJ_EXCEPTION(
        DISCONNECTED,
        "unreachable: no answer to a health check within " + std::to_string(options_.health_timeout.count()) +
            " ms (paused or cut off); probed again every " + std::to_string(options_.health_interval.count()) + " ms",
        address));
  }
  return Dial(address);
}

Node::Client ConnectionPool::Dial(const std::string& address) {
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
    e.watcher = WatchDisconnect(address, *e.connection);
    return Login(*e.connection);
  });
  Node::Client cap(kj::mv(connecting));
  entry.cap = cap;
  return cap;
}

kj::Promise<void> ConnectionPool::WatchDisconnect(const std::string& address, Connection& connection) {
  return connection.network.onDisconnect()
      .then([this, address]() { MarkFailed(address); }, [this, address](kj::Exception&&) { MarkFailed(address); })
      .eagerlyEvaluate(nullptr);
}

void ConnectionPool::DeferDestroy(kj::Own<Entry> doomed) {
  // Destroying an entry may be running inside its own watcher or a call on it: later.
  kj::evalLater([doomed = kj::mv(doomed)]() mutable { doomed = nullptr; }).detach([](kj::Exception&&) {});
}

void ConnectionPool::MarkFailed(const std::string& address) {
  MarkDown(address);
  auto it = entries_.find(address);
  if (it == entries_.end()) return;
  auto doomed = kj::heap<Entry>(kj::mv(it->second));
  entries_.erase(it);
  DeferDestroy(kj::mv(doomed));
}

void ConnectionPool::MarkDown(const std::string& address) {
  down_until_.insert_or_assign(address, timer_.now() + options_.down_backoff.count() * kj::MILLISECONDS);
}

void ConnectionPool::MarkHealthy(const std::string& address) { down_until_.erase(address); }

bool ConnectionPool::IsDown(const std::string& address) const {
  if (IsUnreachable(address)) return true;
  auto it = down_until_.find(address);
  return it != down_until_.end() && timer_.now() < it->second;
}

bool ConnectionPool::IsUnreachable(const std::string& address) const {
  auto it = health_.find(address);
  return it != health_.end() && it->second.unreachable;
}

// ---- health ----

kj::Promise<void> ConnectionPool::HealthLoop() {
  return timer_.afterDelay(options_.health_interval.count() * kj::MILLISECONDS).then([this]() {
    CheckHealth();
    return HealthLoop();
  });
}

void ConnectionPool::CheckHealth() {
  for (auto& [address, entry] : entries_) {
    if (entry.cap != nullptr && !health_[address].pinging) Ping(address, entry);
  }
  for (auto& [address, health] : health_) {
    if (health.unreachable && health.probes < kMaxProbes) Probe(address);
  }
}

void ConnectionPool::Ping(const std::string& address, Entry& entry) {
  KJ_IF_MAYBE (cap, entry.cap) {
    health_[address].pinging = true;
    auto request = cap->pingRequest();
    FillRequestHeader(request.initHeader(), "");
    auto answered = request.send().then([](auto&&) { return true; }, [](kj::Exception&&) { return false; });
    checks_->add(Bounded(timer_, kj::mv(answered), options_.health_timeout, [] {
                   return false;
                 }).then([this, address, serial = entry.serial](bool ok) {
      Health& health = health_[address];
      health.pinging = false;
      auto it = entries_.find(address);
      // Only the connection pinged is judged: a newer one gets its own ping.
      if (it == entries_.end() || it->second.serial != serial) return;
      if (!ok) return SetUnreachable(address);
      if (health.unreachable) {  // a connection Dial() opened was answered
        health.unreachable = false;
        MarkHealthy(address);
      }
    }));
  }
}

void ConnectionPool::SetUnreachable(const std::string& address) {
  health_[address].unreachable = true;
  MarkFailed(address);  // its connection goes: every call waiting on it fails now
}

void ConnectionPool::Probe(const std::string& address) {
  ++health_[address].probes;
  auto probe =
      kj::evalNow([this, address] { return Connect(address); })
          .then([this](kj::Own<kj::AsyncIoStream> stream) {
            auto connection = kj::heap<Connection>(kj::mv(stream));
            Node::Client cap = Login(*connection);
            auto request = cap.pingRequest();
            FillRequestHeader(request.initHeader(), "");
            return request.send().then([connection = kj::mv(connection), cap](auto&&) mutable -> kj::Maybe<Probed> {
              return Probed{kj::mv(connection), kj::mv(cap)};
            });
          })
          .catch_([](kj::Exception&&) -> kj::Maybe<Probed> { return nullptr; });
  checks_->add(Bounded(timer_, kj::mv(probe), options_.health_timeout, []() -> kj::Maybe<Probed> {
                 return nullptr;
               }).then([this, address](kj::Maybe<Probed> answered) {
    Health& health = health_[address];
    --health.probes;
    KJ_IF_MAYBE (p, answered) {
      if (health.unreachable) return Install(address, kj::mv(*p));
      // Another probe won: this connection is not needed.
      auto spare = kj::heap<Entry>();
      spare->connection = kj::mv(p->connection);
      DeferDestroy(kj::mv(spare));
    }
  }));
}

void ConnectionPool::Install(const std::string& address, Probed probed) {
  health_[address].unreachable = false;
  MarkHealthy(address);
  if (entries_.count(address) != 0) {
    // Dial() opened a connection meanwhile (an admin call may be waiting on it): keep it,
    // its own health check judges it. The probe's connection is not needed.
    auto spare = kj::heap<Entry>();
    spare->connection = kj::mv(probed.connection);
    DeferDestroy(kj::mv(spare));
    return;
  }
  Entry& entry = entries_[address];
  entry.serial = next_serial_++;
  entry.connection = kj::mv(probed.connection);
  entry.cap = kj::mv(probed.cap);
  entry.watcher = WatchDisconnect(address, *entry.connection);
}

void ConnectionPool::taskFailed(kj::Exception&& e) {
  // Every check catches its own failures; this is a bug.
  KJ_LOG(ERROR, "connection health check failed", e);
}

}  // namespace ringkv::wire
