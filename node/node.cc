#include "node/node.h"

#include <kj/async-unix.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>

#include "capnp/tls.h"
#include "common/config.h"
#include "node/admin/admin_http.h"
#include "node/bootstrap.h"
#include "node/data_dir.h"
#include "node/rpc/gate.h"

namespace ringkv {
namespace {

Status StartupError(const std::string& what, const Status& cause) {
  return Status::Aborted(what + ": " + cause.ToString());
}

StorageOptions EngineOptions(const NodeConfig& config, const Clock& clock) {
  StorageOptions o;
  o.clock = &clock;
  ParseDurability(config.durability, &o.durability);
  o.memtable_bytes = size_t{config.memtable_mb} << 20;
  o.block_cache_bytes = size_t{config.block_cache_mb} << 20;
  o.max_value_bytes = ReplicaStore::kMaxSetBytes;
  return o;
}

// The addresses gossip starts from when it knows no peer yet: --join, or the founders.
std::vector<std::string> GossipSeeds(const NodeConfig& config) {
  std::vector<std::string> seeds;
  if (!config.join.empty()) seeds.push_back(config.join);
  for (const auto& spec : config.seeds) {
    if (auto m = ParseMember(spec); m.ok() && m->id != config.id) seeds.push_back(m->address);
  }
  return seeds;
}

MaintenanceOptions MaintenanceOptionsOf(const NodeConfig& config) {
  MaintenanceOptions o;
  o.handoff_interval = std::chrono::milliseconds(config.handoff_interval_ms);
  o.repair_interval = std::chrono::seconds(config.repair_interval_s);
  o.background_repair = {config.repair_depth, config.repair_keys_per_s, config.repair_cross_dc_keys_per_s};
  return o;
}

RpcLimits RpcLimitsOf(const NodeConfig& config) {
  RpcLimits limits;
  limits.max_connections = config.max_connections;
  limits.max_message_bytes = uint64_t{config.max_message_mb} << 20;
  limits.max_inflight_bytes = uint64_t{config.max_inflight_mb} << 20;
  limits.max_inflight_total_bytes = uint64_t{config.max_inflight_total_mb} << 20;
  return limits;
}

// The default namespace of a new cluster: N as the nodes replicate, quorum reads and writes.
NamespaceSettings DefaultNamespaceSettings(const NodeConfig& config) {
  NamespaceSettings s;
  s.n = static_cast<int>(std::clamp<uint32_t>(config.replication_factor, 1, 9));
  s.w = s.r = s.n / 2 + 1;
  return s;
}

}  // namespace

Result<Node::Security> Node::LoadSecurity(const NodeConfig& config) {
  Security security;
  if (!config.cluster_secret_file.empty()) {
    RINGKV_ASSIGN(security.credentials.cluster_secret, ReadSecretFile(config.cluster_secret_file, "cluster secret"));
  }
  if (!config.client_token_file.empty()) {
    RINGKV_ASSIGN(security.credentials.client_token, ReadSecretFile(config.client_token_file, "client token"));
  }
  RINGKV_TRY(ValidateCredentials(security.credentials));
  if (!config.tls_ca.empty()) {
    TlsFiles files{config.tls_ca, config.tls_cert, config.tls_key, config.tls_server_name};
    RINGKV_ASSIGN(TlsMaterial material, LoadTlsMaterial(files));
    RINGKV_TRY(wire::MakeTlsContext(material, wire::TlsRole::kServer).status());
    security.tls = std::make_shared<const TlsMaterial>(std::move(material));
  }
  return security;
}

Result<std::unique_ptr<Node>> Node::Open(const NodeConfig& config) {
  // The credentials and TLS material the config names, read and checked before anything
  // starts (a bad file is a startup error, not a failure on the first connection).
  RINGKV_ASSIGN(Security security, LoadSecurity(config));
  RINGKV_TRY(ClaimDataDir(config.data_dir, config.cluster_name, config.id));
  std::unique_ptr<Node> node(new Node(config, std::move(security)));
  RINGKV_TRY(node->OpenParts());
  return node;
}

Node::Node(NodeConfig config, Security security)
    : config_(std::move(config)), security_(std::move(security)), io_(kj::setupAsyncIo()) {
  pool_.bind_host = config_.listen.substr(0, config_.listen.rfind(':'));
  pool_.credential = security_.credentials.cluster_secret;
  pool_.tls = security_.tls;
}

Status Node::OpenParts() {
  purge_ = std::make_unique<PurgeGuard>(config_.id, clock_);
  StorageOptions storage_options = EngineOptions(config_, clock_);
  StorageOptions data_options = storage_options;
  data_options.purge_decider = purge_.get();  // the hint store keeps its own grace
  // A tombstone of a dropped namespace incarnation's key is reaped at once (nothing can
  // store that key again).
  data_options.reap_at_once = [catalog = &catalog_](std::string_view key) { return catalog->IsDroppedKey(key); };
  auto engine = storage::StorageEngine::Open(config_.data_dir + "/engine", data_options);
  if (!engine.ok()) return StartupError("cannot open storage", engine.status());
  engine_ = std::move(engine).value();
  StorageOptions hint_options = storage_options;
  hint_options.memtable_bytes = 4u << 20;
  auto hints = HintStore::Open(config_.data_dir + "/hints", config_.id, hint_options, &catalog_);
  if (!hints.ok()) return StartupError("cannot open the hint store", hints.status());
  hints_ = std::move(hints).value();
  store_ = std::make_unique<ReplicaStore>(engine_.get(), config_.id, clock_, &catalog_);

  RINGKV_ASSIGN(membership_, OpenMembership(config_, io_, pool_, clock_));
  NamespacesOptions namespaces_options;
  namespaces_options.state_file = config_.data_dir + "/NAMESPACES";
  namespaces_options.self_id = config_.id;
  namespaces_options.default_settings = DefaultNamespaceSettings(config_);
  namespaces_options.published = &catalog_;
  auto namespaces = Namespaces::Open(std::move(namespaces_options));
  if (!namespaces.ok()) return StartupError("cannot open the namespace catalog", namespaces.status());
  namespaces_ = std::move(namespaces).value();
  auto users = Users::Open(config_.data_dir + "/USERS", config_.id);
  if (!users.ok()) return StartupError("cannot open the user catalog", users.status());
  users_ = std::move(users).value();
  gossiper_ = std::make_unique<Gossiper>(membership_.get(), namespaces_.get(),
                                         std::chrono::milliseconds(config_.gossip_interval_ms), pool_,
                                         GossipSeeds(config_), clock_);
  gossiper_->SetUsers(users_.get());
  handoff_ = std::make_unique<HintedHandoff>(hints_.get(), store_.get(), membership_.get(),
                                             std::chrono::seconds(config_.hint_window_s),
                                             std::chrono::milliseconds(config_.simulated_wan_delay_ms), clock_);
  purge_->Attach(membership_.get(), namespaces_.get());
  anti_entropy_ = std::make_unique<AntiEntropy>(store_.get(), membership_.get(), clock_, purge_.get());
  streamer_ = std::make_unique<Streamer>(store_.get(), membership_.get());
  eraser_ = std::make_unique<NamespaceEraser>(store_.get(), engine_.get(), &catalog_, NamespaceEraser::Options{});
  maintenance_ = std::make_unique<Maintenance>(handoff_.get(), anti_entropy_.get(), streamer_.get(), membership_.get(),
                                               eraser_.get(), MaintenanceOptionsOf(config_), pool_);
  workers_ = std::make_unique<WorkerPool>(config_.worker_threads);
  backups_ = std::make_unique<Backups>(BackupSources{config_.data_dir, config_.cluster_name, config_.id, engine_.get(),
                                                     hints_.get(), membership_.get(), namespaces_.get(), &clock_});
  restore_ = std::make_unique<BackupRestore>(membership_.get(), namespaces_.get(), config_.data_dir + "/restore");

  services_.store = store_.get();
  services_.hints = hints_.get();
  services_.workers = workers_.get();
  services_.membership = membership_.get();
  services_.namespaces = namespaces_.get();
  services_.users = users_.get();
  services_.required = &required_;
  services_.streamer = streamer_.get();
  services_.anti_entropy = anti_entropy_.get();
  services_.maintenance = maintenance_.get();
  services_.handoff = handoff_.get();
  services_.eraser = eraser_.get();
  services_.engine = engine_.get();
  services_.metrics = &metrics_;
  services_.autoscale = &autoscale_log_;
  services_.verify = &verify_log_;
  services_.backups = backups_.get();
  services_.restore = restore_.get();
  services_.connections = &connections_;
  services_.node_id = config_.id;
  services_.cluster_name = config_.cluster_name;
  services_.dc = config_.dc;
  services_.max_write_age_ms = uint64_t{config_.max_write_age_s} * 1000;
  services_.clock = &clock_;
  services_.purge = purge_.get();
  test_reply_delay_ms_.store(config_.test_reply_delay_ms);
  services_.test_reply_delay_ms = &test_reply_delay_ms_;
  services_.timer = &io_.provider->getTimer();
  if (config_.test_reply_delay_ms > 0) {
    spdlog::warn("TEST HOOK on: every data reply is held back {} ms (--test-reply-delay-ms)",
                 config_.test_reply_delay_ms);
  }
#ifdef RINGKV_TEST_CLOCK
  services_.test_clock = &test_clock_;
#endif
  services_.admin_requires_token = AdminNeedsToken(config_);

  if (security_.tls) {
    auto context = wire::MakeTlsContext(*security_.tls, wire::TlsRole::kServer, &io_.provider->getTimer());
    if (!context.ok()) return context.status();
    tls_ = std::move(context).value();
  }
  listener_ = std::make_unique<RpcListener>(kj::heap<GateServer>(services_, &required_), RpcLimitsOf(config_),
                                            &connections_, tls_.get());
  return Status::OK();
}

Node::~Node() { (void)Shutdown(); }

Status Node::Run() {
  Status served = Serve();
  Status closed = Shutdown();
  return served.ok() ? closed : served;
}

Status Node::Serve() {
  KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] {
                 auto address = io_.provider->getNetwork().parseAddress(config_.listen).wait(io_.waitScope);
                 auto receiver = address->listen();
                 auto serving = listener_->Listen(*receiver);
                 if (!config_.admin.empty()) {
                   auto started = AdminHttp::Start(config_.admin, services_, security_.tls);
                   if (!started.ok()) KJ_FAIL_REQUIRE(started.status().ToString());
                   admin_ = std::move(started).value();
                   spdlog::info("admin endpoint on {}://{}/", security_.tls ? "https" : "http", admin_->address());
                 }
                 gossiper_->Start();
                 maintenance_->Start();
                 spdlog::info("serving on {} (cluster '{}', {} ring members, durability {})", config_.listen,
                              config_.cluster_name, membership_->View()->ring.size(), config_.durability);
                 std::printf("kvnode %s ready on %s\n", config_.id.c_str(), config_.listen.c_str());
                 std::fflush(stdout);
                 auto stop = io_.unixEventPort.onSignal(SIGTERM).exclusiveJoin(io_.unixEventPort.onSignal(SIGINT));
                 auto reloading = ReloadOnSignal();
                 auto sig = serving.then([]() -> siginfo_t { KJ_FAIL_REQUIRE("listener closed"); })
                                .exclusiveJoin(reloading.then([]() -> siginfo_t { KJ_FAIL_REQUIRE("reload ended"); }))
                                .exclusiveJoin(kj::mv(stop))
                                .wait(io_.waitScope);
                 spdlog::info("signal {}: shutting down", sig.si_signo);
               })) {
    Status failed = Status::Aborted("cannot serve on " + config_.listen + ": " + exception->getDescription().cStr());
    spdlog::error("{}", failed.message());
    return failed;
  }
  return Status::OK();
}

kj::Promise<void> Node::ReloadOnSignal() {
  return io_.unixEventPort.onSignal(SIGHUP).then([this](siginfo_t) {
    spdlog::info("SIGHUP: reloading the credential and TLS files");
    return workers_->Run<Result<Security>>([config = config_] { return LoadSecurity(config); })
        .then([this](Result<Security> loaded) {
          ApplyReload(std::move(loaded));
          return ReloadOnSignal();
        });
  });
}

void Node::ApplyReload(Result<Security> loaded) {
  if (!loaded.ok()) {
    spdlog::error("reload refused, keeping the old credentials: {}", loaded.status().ToString());
    return;
  }
  if (loaded->tls) {
    auto context = wire::MakeTlsContext(*loaded->tls, wire::TlsRole::kServer, &io_.provider->getTimer());
    if (!context.ok()) {
      spdlog::error("reload refused, keeping the old credentials: {}", context.status().ToString());
      return;
    }
    if (tls_) retired_tls_.push_back(kj::mv(tls_));
    tls_ = std::move(context).value();
    listener_->SetTls(tls_.get());
    if (admin_) {
      if (Status s = admin_->SetTls(loaded->tls); !s.ok())
        spdlog::error("admin endpoint keeps its certificate: {}", s.ToString());
    }
  }
  required_.Set(loaded->credentials);
  connections_.reloads.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("reloaded: the next logins and handshakes use the new credentials and certificates");
}

Status Node::Shutdown() {
  if (shut_down_) return close_status_;
  shut_down_ = true;
  // 1. Stop accepting: no request reaches a part from here on, no worker job is queued.
  admin_.reset();
  listener_.reset();
  // 2. Drain the worker pool while everything its jobs point to still exists.
  if (workers_) workers_->Shutdown();
  // 3. Stop the threads that run handoff, repair, streaming and gossip.
  if (maintenance_) maintenance_->Stop();
  if (gossiper_) gossiper_->Stop();
  // 4. Destroy in reverse dependency order; membership saves its last state as it goes.
  tls_ = nullptr;
  retired_tls_.clear();
  workers_.reset();
  maintenance_.reset();
  restore_.reset();
  backups_.reset();
  streamer_.reset();
  anti_entropy_.reset();
  handoff_.reset();
  gossiper_.reset();
  if (purge_) purge_->Detach();  // the engine's compactions purge nothing from here on
  namespaces_.reset();
  membership_.reset();
  store_.reset();
  close_status_ = CloseStores();
  return close_status_;
}

Status Node::CloseStores() {
  Status first;
  if (hints_) {
    if (Status s = hints_->Close(); !s.ok()) {
      spdlog::error("closing the hint store: {}", s.ToString());
      first = s;
    }
    hints_.reset();
  }
  if (engine_) {
    if (Status s = engine_->Close(); !s.ok()) {
      spdlog::error("closing storage: {}", s.ToString());
      if (first.ok()) first = s;
    }
    engine_.reset();
  }
  return first;
}

}  // namespace ringkv
