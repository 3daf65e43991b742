// kvnode: a ringkv storage node. Serves the `Node` RPC interface of capnp/kv.capnp over
// its storage engine, gossips membership, hands off hints, repairs and streams data in
// the background, until SIGTERM/SIGINT (or the end of a decommission); then it flushes
// and closes cleanly.

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "capnp/tls.h"
#include "common/config.h"
#include "common/security.h"
#include "node/admin_http.h"
#include "node/anti_entropy.h"
#include "node/bootstrap.h"
#include "node/data_dir.h"
#include "node/gate.h"
#include "node/gossip.h"
#include "node/hint_store.h"
#include "node/hinted_handoff.h"
#include "node/maintenance.h"
#include "node/membership.h"
#include "node/node_config.h"
#include "node/replica_store.h"
#include "node/rpc_listener.h"
#include "node/rpc_server.h"
#include "node/storage/engine.h"
#include "node/streaming.h"
#include "node/worker_pool.h"

using namespace ringkv;

namespace {

int Fail(const std::string& what) {
  std::fprintf(stderr, "kvnode: %s\n", what.c_str());
  return 1;
}

StorageOptions EngineOptions(const NodeConfig& config) {
  StorageOptions o;
  ParseDurability(config.durability, &o.durability);
  o.memtable_bytes = size_t{config.memtable_mb} << 20;
  o.block_cache_bytes = size_t{config.block_cache_mb} << 20;
  o.max_value_bytes = ReplicaStore::kMaxSetBytes;
  return o;
}

// The credentials and TLS material the config names, read and checked before anything
// starts (a bad file is a startup error, not a failure on the first connection).
struct Security {
  Credentials credentials;
  std::shared_ptr<const TlsMaterial> tls;  // null: plain TCP
};

Result<Security> LoadSecurity(const NodeConfig& c) {
  Security s;
  if (!c.cluster_secret_file.empty()) {
    RINGKV_ASSIGN(s.credentials.cluster_secret, ReadSecretFile(c.cluster_secret_file, "cluster secret"));
  }
  if (!c.client_token_file.empty()) {
    RINGKV_ASSIGN(s.credentials.client_token, ReadSecretFile(c.client_token_file, "client token"));
  }
  RINGKV_TRY(ValidateCredentials(s.credentials));
  if (!c.tls_ca.empty()) {
    TlsFiles files{c.tls_ca, c.tls_cert, c.tls_key, c.tls_server_name};
    RINGKV_ASSIGN(TlsMaterial material, LoadTlsMaterial(files));
    RINGKV_TRY(wire::MakeTlsContext(material, wire::TlsRole::kServer).status());
    s.tls = std::make_shared<const TlsMaterial>(std::move(material));
  }
  return s;
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

  auto security = LoadSecurity(config);
  if (!security.ok()) return Fail(security.status().message());

  if (Status s = ClaimDataDir(config.data_dir, config.cluster_name, config.id); !s.ok()) return Fail(s.message());
  StorageOptions storage_options = EngineOptions(config);
  auto engine = storage::StorageEngine::Open(config.data_dir + "/engine", storage_options);
  if (!engine.ok()) return Fail("cannot open storage: " + engine.status().ToString());
  StorageOptions hint_options = storage_options;
  hint_options.memtable_bytes = 4u << 20;
  auto hints = HintStore::Open(config.data_dir + "/hints", config.id, hint_options);
  if (!hints.ok()) return Fail("cannot open the hint store: " + hints.status().ToString());

  ReplicaStore store(engine->get(), config.id);
  int exit_code = 0;
  {
    WorkerPool workers(config.worker_threads);
    auto io = kj::setupAsyncIo();
    // How this node connects to the others: from its own address, with the cluster secret.
    wire::PoolOptions pool;
    pool.bind_host = config.listen.substr(0, config.listen.rfind(':'));
    pool.credential = security->credentials.cluster_secret;
    pool.tls = security->tls;
    auto membership = OpenMembership(config, io, pool);
    if (!membership.ok()) return Fail(membership.status().message());
    Membership& members = **membership;

    std::vector<std::string> gossip_seeds;
    if (!config.join.empty()) gossip_seeds.push_back(config.join);
    for (const auto& spec : config.seeds) {
      if (auto m = ParseMember(spec); m.ok() && m->id != config.id) gossip_seeds.push_back(m->address);
    }
    Gossiper gossiper(&members, std::chrono::milliseconds(config.gossip_interval_ms), pool, gossip_seeds);
    HintedHandoff handoff(hints->get(), &store, &members, std::chrono::seconds(config.hint_window_s),
                          std::chrono::milliseconds(config.simulated_wan_delay_ms));
    AntiEntropy anti_entropy(&store, &members);
    Streamer streamer(&store, &members);
    MaintenanceOptions maintenance_options;
    maintenance_options.handoff_interval = std::chrono::milliseconds(config.handoff_interval_ms);
    maintenance_options.repair_interval = std::chrono::seconds(config.repair_interval_s);
    maintenance_options.background_repair = {config.repair_depth, config.repair_keys_per_s,
                                             config.repair_cross_dc_keys_per_s};
    Maintenance maintenance(&handoff, &anti_entropy, &streamer, &members, maintenance_options, pool);

    RpcMetrics metrics;
    NodeServices services;
    services.store = &store;
    services.hints = hints->get();
    services.workers = &workers;
    services.membership = &members;
    services.streamer = &streamer;
    services.anti_entropy = &anti_entropy;
    services.maintenance = &maintenance;
    services.handoff = &handoff;
    services.engine = engine->get();
    services.metrics = &metrics;
    services.node_id = config.id;
    services.cluster_name = config.cluster_name;
    services.dc = config.dc;
    services.max_write_age_ms = uint64_t{config.max_write_age_s} * 1000;
    if (AdminNeedsToken(config)) services.admin_token = security->credentials.client_token;
    ConnectionStats connections;
    services.connections = &connections;
    std::unique_ptr<AdminHttp> admin;  // stops first: its handlers read everything above
    RpcLimits limits;
    limits.max_connections = config.max_connections;
    limits.max_message_bytes = uint64_t{config.max_message_mb} << 20;
    limits.max_inflight_bytes = uint64_t{config.max_inflight_mb} << 20;
    limits.max_inflight_total_bytes = uint64_t{config.max_inflight_total_mb} << 20;
    kj::Own<kj::TlsContext> tls;
    if (security->tls) {
      auto context = wire::MakeTlsContext(*security->tls, wire::TlsRole::kServer, &io.provider->getTimer());
      if (!context.ok()) return Fail(context.status().message());
      tls = std::move(context).value();
    }
    RpcListener server(kj::heap<GateServer>(services, security->credentials), limits, &connections, tls.get());
    KJ_IF_MAYBE(exception, kj::runCatchingExceptions([&] {
      auto address = io.provider->getNetwork().parseAddress(config.listen).wait(io.waitScope);
      auto listener = address->listen();
      auto serving = server.Listen(*listener);
      if (!config.admin.empty()) {
        auto started = AdminHttp::Start(config.admin, services);
        if (!started.ok()) KJ_FAIL_REQUIRE(started.status().ToString());
        admin = std::move(started).value();
        spdlog::info("admin endpoint on http://{}/", admin->address());
      }
      gossiper.Start();
      maintenance.Start();
      spdlog::info("serving on {} (cluster '{}', {} ring members, durability {})", config.listen, config.cluster_name,
                   members.View()->ring.size(), config.durability);
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
    gossiper.Stop();
    maintenance.Stop();
  }  // workers drain before the stores close
  if (Status s = (*hints)->Close(); !s.ok()) {
    spdlog::error("closing the hint store: {}", s.ToString());
    exit_code = 1;
  }
  if (Status s = (*engine)->Close(); !s.ok()) {
    spdlog::error("closing storage: {}", s.ToString());
    exit_code = 1;
  }
  return exit_code;
}
