#include "node/rpc/rpc_listener.h"

#include <capnp/rpc-twoparty.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>

namespace ringkv {
namespace {

class LogErrors final : public kj::TaskSet::ErrorHandler {
 public:
  void taskFailed(kj::Exception&& e) override { spdlog::debug("rpc connection ended: {}", e.getDescription().cStr()); }
};

LogErrors& ErrorHandler() {
  static LogErrors handler;  // stateless
  return handler;
}

}  // namespace

// Holds one of the max_connections places from accept until the connection ends.
struct OpenSlot {
  explicit OpenSlot(std::atomic<uint64_t>& open) : open_count(open) {
    open_count.fetch_add(1, std::memory_order_relaxed);
  }
  ~OpenSlot() { open_count.fetch_sub(1, std::memory_order_relaxed); }
  std::atomic<uint64_t>& open_count;
};

struct RpcListener::Connection {
  Connection(kj::Own<kj::AsyncIoStream> s, RpcListener& owner)
      : listener(owner),
        stream(kj::mv(s)),
        network(*stream, capnp::rpc::twoparty::Side::SERVER, ReaderLimits(owner.limits_)),
        rpc(capnp::makeRpcServer(network, owner.bootstrap_)) {
    listener.live_.insert(this);
    listener.Rebalance();
    rpc.setFlowLimit(listener.share_ / sizeof(capnp::word));
  }
  ~Connection() {
    listener.live_.erase(this);
    listener.Rebalance();
  }

  static capnp::ReaderOptions ReaderLimits(const RpcLimits& limits) {
    capnp::ReaderOptions o;
    o.traversalLimitInWords = limits.max_message_bytes / sizeof(capnp::word);
    return o;
  }

  RpcListener& listener;
  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyVatNetwork network;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpc;
};

RpcListener::RpcListener(capnp::Capability::Client bootstrap, RpcLimits limits, ConnectionStats* stats,
                         kj::TlsContext* tls)
    : bootstrap_(kj::mv(bootstrap)), limits_(limits), stats_(stats), tls_(tls), tasks_(ErrorHandler()) {}

// tasks_ is the last member, so it goes first: each connection it ends still finds live_.
RpcListener::~RpcListener() = default;

uint64_t InflightShare(const RpcLimits& limits, size_t open) {
  uint64_t even = limits.max_inflight_total_bytes / std::max<size_t>(open, 1);
  uint64_t share = std::bit_floor(std::max(even, kMinInflightShare));
  return std::min(share, limits.max_inflight_bytes);
}

void RpcListener::Rebalance() {
  uint64_t share = InflightShare(limits_, live_.size());
  if (share == share_) return;
  share_ = share;
  for (Connection* c : live_) c->rpc.setFlowLimit(share / sizeof(capnp::word));
}

kj::Promise<void> RpcListener::Listen(kj::ConnectionReceiver& listener) {
  return listener.accept().then([this, &listener](kj::Own<kj::AsyncIoStream>&& stream) {
    Serve(kj::mv(stream));
    return Listen(listener);
  });
}

void RpcListener::Serve(kj::Own<kj::AsyncIoStream> stream) {
  if (stats_->open.load(std::memory_order_relaxed) >= limits_.max_connections) {
    stats_->refused.fetch_add(1, std::memory_order_relaxed);
    return;  // dropping the stream closes it
  }
  stats_->accepted.fetch_add(1, std::memory_order_relaxed);
  auto slot = kj::heap<OpenSlot>(stats_->open);
  kj::Promise<kj::Own<kj::AsyncIoStream>> ready = nullptr;
  if (tls_ == nullptr) {
    ready = kj::mv(stream);
  } else {
    ready = tls_->wrapServer(kj::mv(stream)).catch_([stats = stats_](kj::Exception&& e) -> kj::Own<kj::AsyncIoStream> {
      stats->tls_failed.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("TLS handshake failed: {}", e.getDescription().cStr());
      kj::throwFatalException(kj::mv(e));
    });
  }
  auto serve = ready.then([this](kj::Own<kj::AsyncIoStream> ready_stream) {
    auto connection = kj::heap<Connection>(kj::mv(ready_stream), *this);
    auto done = connection->network.onDisconnect();
    return done.attach(kj::mv(connection));
  });
  tasks_.add(serve.attach(kj::mv(slot)));
}

}  // namespace ringkv
