#include "node/rpc_listener.h"

#include <capnp/rpc-twoparty.h>
#include <spdlog/spdlog.h>

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

struct RpcListener::Connection {
  Connection(kj::Own<kj::AsyncIoStream> s, capnp::Capability::Client bootstrap, const RpcLimits& limits,
             std::atomic<uint64_t>& open)
      : stream(kj::mv(s)),
        network(*stream, capnp::rpc::twoparty::Side::SERVER, ReaderLimits(limits)),
        rpc(capnp::makeRpcServer(network, kj::mv(bootstrap))),
        open_count(open) {
    rpc.setFlowLimit(limits.max_inflight_bytes / sizeof(capnp::word));
  }
  ~Connection() { open_count.fetch_sub(1, std::memory_order_relaxed); }

  static capnp::ReaderOptions ReaderLimits(const RpcLimits& limits) {
    capnp::ReaderOptions o;
    o.traversalLimitInWords = limits.max_message_bytes / sizeof(capnp::word);
    return o;
  }

  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyVatNetwork network;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpc;
  std::atomic<uint64_t>& open_count;
};

RpcListener::RpcListener(capnp::Capability::Client bootstrap, RpcLimits limits, ConnectionStats* stats)
    : bootstrap_(kj::mv(bootstrap)), limits_(limits), stats_(stats), tasks_(ErrorHandler()) {}

RpcListener::~RpcListener() = default;

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
  stats_->open.fetch_add(1, std::memory_order_relaxed);
  stats_->accepted.fetch_add(1, std::memory_order_relaxed);
  auto connection = kj::heap<Connection>(kj::mv(stream), bootstrap_, limits_, stats_->open);
  auto done = connection->network.onDisconnect();
  tasks_.add(done.attach(kj::mv(connection)));
}

}  // namespace ringkv
