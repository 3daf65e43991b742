// A node's life on real processes: shutting down with work in flight.

#include <capnp/ez-rpc.h>
#include <catch2/catch.hpp>

#include "capnp/convert.h"
#include "tests/cluster/local_cluster.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;

TEST_CASE("a node stopped while Merkle opens are queued on its workers drains them and exits cleanly") {
  // One worker thread, many deep Merkle opens pipelined on one connection: all but one
  // wait in the worker queue when SIGTERM comes. Each queued job calls into the node's
  // AntiEntropy and Membership; the node must finish (or skip) them before it destroys
  // those, or a sanitized kvnode reports a heap-use-after-free and exits non-zero.
  LocalClusterOptions options = FastCluster(2);
  options.extra_flags.insert(options.extra_flags.end(), {"--worker-threads", "1"});
  auto cluster = LocalCluster::Start(options);
  REQUIRE(cluster.ok());

  constexpr int kOpens = 200;
  constexpr int kDepth = 18;  // 2^18 leaves: milliseconds of work per open
  capnp::EzRpcClient rpc((*cluster)->address(0));
  auto node = rpc.getMain<wire::Gate>().loginRequest().send().getNode();
  std::vector<kj::Promise<void>> opens;
  for (int i = 0; i < kOpens; ++i) {
    auto req = node.merkleOpenRequest();
    req.initHeader().setProtocolVersion(wire::PROTOCOL_VERSION);
    req.setPeer((*cluster)->id(1));
    req.setDepth(kDepth);
    opens.push_back(req.send().ignoreResult().catch_([](kj::Exception&&) {}));  // the node goes away mid-call
  }
  // Calls on one capability are delivered in order: once this ping is answered, every
  // open above has reached the node's event loop and sits in the worker queue.
  auto ping = node.pingRequest();
  ping.initHeader().setProtocolVersion(wire::PROTOCOL_VERSION);
  auto pong = ping.send().wait(rpc.getWaitScope());
  REQUIRE(wire::FromWire(pong.getError()).ok());

  Status stopped = (*cluster)->StopCleanly(0);
  INFO(stopped.ToString() << "; log:\n" << (*cluster)->kvnode_log(0));
  REQUIRE(stopped.ok());
}
