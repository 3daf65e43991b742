// kvnode: a ringkv storage node. Serves the `Node` RPC interface of capnp/kv.capnp over
// its storage engine until SIGTERM/SIGINT, then flushes and closes cleanly.

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "common/config.h"
#include "node/data_dir.h"
#include "node/node_config.h"
#include "node/replica_store.h"
#include "node/rpc_server.h"
#include "node/storage/engine.h"
#include "node/worker_pool.h"

using namespace ringkv;

namespace {

int Fail(const std::string& what) {
  std::fprintf(stderr, "kvnode: %s\n", what.c_str());
  return 1;
}

// Static membership: this node plus its seeds, joined in id order so every node computes
// the same ring.
Result<wire::RingView> BuildRing(const NodeConfig& config) {
  std::vector<RingNode> nodes;
  RingNode self;
  self.id = config.id;
  self.address = config.listen;
  self.dc = config.dc;
  self.rack = config.rack;
  nodes.push_back(self);
  for (const auto& spec : config.seeds) {
    RINGKV_ASSIGN(Member m, ParseMember(spec));
    if (m.id == config.id) continue;
    RingNode n;
    n.id = m.id;
    n.address = m.address;
    nodes.push_back(n);
  }
  std::sort(nodes.begin(), nodes.end(), [](const RingNode& a, const RingNode& b) { return a.id < b.id; });
  wire::RingView view;
  view.cluster_name = config.cluster_name;
  RINGKV_ASSIGN(view.ring, Ring::Bootstrap(std::move(nodes), config.vnodes));
  view.version = view.ring.version();
  return view;
}

StorageOptions EngineOptions(const NodeConfig& config) {
  StorageOptions o;
  ParseDurability(config.durability, &o.durability);
  o.memtable_bytes = size_t{config.memtable_mb} << 20;
  o.block_cache_bytes = size_t{config.block_cache_mb} << 20;
  o.max_value_bytes = ReplicaStore::kMaxSetBytes;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  bool exit_early = false;
  auto parsed = ParseNodeConfig(argc, argv, &exit_early);
  if (!parsed.ok()) return Fail(parsed.status().message() + " (see kvnode --help)");
  if (exit_early) return 0;
  const NodeConfig& config = *parsed;

  // Before any thread starts, so that every thread inherits the blocked mask.
  kj::UnixEventPort::captureSignal(SIGTERM);
  kj::UnixEventPort::captureSignal(SIGINT);
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + config.id + "] %v");

  if (Status s = ClaimDataDir(config.data_dir, config.cluster_name, config.id); !s.ok()) return Fail(s.message());
  auto ring = BuildRing(config);
  if (!ring.ok()) return Fail(ring.status().message());
  auto engine = storage::StorageEngine::Open(config.data_dir + "/engine", EngineOptions(config));
  if (!engine.ok()) return Fail("cannot open storage: " + engine.status().ToString());

  ReplicaStore store(engine->get(), config.id);
  int exit_code = 0;
  {
    WorkerPool workers(config.worker_threads);
    auto io = kj::setupAsyncIo();
    NodeServices services{&store, &workers, config.id, config.cluster_name, &*ring};
    capnp::TwoPartyServer server(kj::heap<NodeServer>(services));
    KJ_IF_MAYBE(exception, kj::runCatchingExceptions([&] {
      auto address = io.provider->getNetwork().parseAddress(config.listen).wait(io.waitScope);
      auto listener = address->listen();
      auto serving = server.listen(*listener);
      spdlog::info("serving on {} (cluster '{}', {} members, durability {})", config.listen, config.cluster_name,
                   ring->ring.size(), config.durability);
      std::printf("kvnode %s ready on %s\n", config.id.c_str(), config.listen.c_str());
      std::fflush(stdout);
      auto stop = io.unixEventPort.onSignal(SIGTERM).exclusiveJoin(io.unixEventPort.onSignal(SIGINT));
      auto sig = serving.then([]() -> siginfo_t { KJ_FAIL_REQUIRE("listener closed"); })
                     .exclusiveJoin(kj::mv(stop))
                     .wait(io.waitScope);
      spdlog::info("signal {}: shutting down", sig.si_signo);
    })) {
      spdlog::error("cannot serve on {}: {}", config.listen, exception->getDescription().cStr());
      exit_code = 1;
    }
  }  // workers drain before the engine closes
  if (Status s = (*engine)->Close(); !s.ok()) {
    spdlog::error("closing storage: {}", s.ToString());
    exit_code = 1;
  }
  return exit_code;
}
