// Client: the public SDK API over one KJ event-loop thread. Application threads reach the
// loop with kj::Executor::executeSync (which waits for the promise the lambda returns).

#include "ringkv/client.h"

#include <kj/async-io.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

#include "capnp/bounded.h"
#include "capnp/connection_pool.h"
#include "capnp/convert.h"
#include "capnp/request_header.h"
#include "capnp/tls.h"
#include "common/clock.h"
#include "common/namespace.h"
#include "ringkv/limits.h"
#include "sdk/client_impl.h"
#include "sdk/placement.h"
#include "sdk/quorum.h"
#include "sdk/replica_choice.h"
#include "sdk/retry_policy.h"

namespace ringkv {

// ---- Context ----

std::string Context::ToHex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes_) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

Result<Context> Context::FromHex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return Status::InvalidArgument("context is not valid hex (odd length)");
  std::string bytes;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return Status::InvalidArgument("context is not valid hex");
    bytes.push_back(static_cast<char>(hi << 4 | lo));
  }
  if (!bytes.empty() && !CausalContext::Decode(bytes).ok()) return Status::InvalidArgument("malformed context");
  return Context(std::move(bytes));
}

// ---- Impl ----

Status Client::Impl::Start() {
  if (options_.seeds.empty()) return Status::InvalidArgument("no seed nodes given");
  RINGKV_TRY(sdk::ValidateRetryPolicy(options_.retry));
  if (options_.health_interval.count() < 0) return Status::InvalidArgument("health_interval must not be negative");
  RINGKV_TRY(sdk::ValidateHedging(options_.hedging));
  if (options_.n < 1 || options_.w < 1 || options_.r < 1 || options_.w > options_.n || options_.r > options_.n) {
    return Status::InvalidArgument("need 1 <= W <= N and 1 <= R <= N");
  }
  if (!options_.user.empty() && options_.password.empty()) {
    return Status::InvalidArgument("user '" + options_.user + "' needs its password (ClientOptions::password)");
  }
  if (!options_.user.empty() && !options_.token.empty()) {
    return Status::InvalidArgument("give a client token or a user, not both");
  }
  if (options_.tls.enabled()) {
    RINGKV_ASSIGN(auto material, LoadTlsMaterial(options_.tls));
    RINGKV_TRY(wire::MakeTlsContext(material, wire::TlsRole::kClient).status());
    tls_ = std::make_shared<const TlsMaterial>(std::move(material));
  }
  std::promise<Status> started;
  auto ready = started.get_future();
  thread_ = std::thread([this, &started] { LoopMain(&started); });
  Status s = ready.get();
  if (!s.ok()) Stop();
  return s;
}

void Client::Impl::Stop() {
  if (!thread_.joinable()) return;  // never started, already stopped, or detached by Destroy()
  if (executor_ != nullptr) {
    executor_->executeSync([this] {
      if (stop_) stop_->fulfill();
    });
  }
  thread_.join();
}

void Client::Impl::Destroy(std::unique_ptr<Impl> impl) {
  if (!impl || !impl->OnLoopThread()) return;  // `impl` goes out of scope: ~Impl stops and joins
  Impl& me = *impl;
  me.thread_.detach();
  if (me.stop_) me.stop_->fulfill();  // the loop ends once the running callback returns
  me.self_ = std::move(impl);
}

Status Client::Impl::SyncAllowed() const {
  if (!OnLoopThread()) return Status::OK();
  return Status::InvalidArgument(
      "a sync call made inside a callback (on the client's event-loop thread) would wait for that same loop "
      "and deadlock; use the async form (the callback GetAsync/PutAsync) there");
}

void Client::Impl::LoopMain(std::promise<Status>* started) {
  auto io = kj::setupAsyncIo();
  loop_thread_id_ = std::this_thread::get_id();
  executor_ = &kj::getCurrentThreadExecutor();
  timer_ = &io.provider->getTimer();
  wire::PoolOptions pool_options;
  pool_options.bind_host = options_.bind_host;
  pool_options.credential = options_.user.empty() ? options_.token : options_.password;
  pool_options.user = options_.user;
  pool_options.tls = tls_;
  pool_options.health_interval = options_.health_interval;
  pool_options.health_timeout = std::max(2 * options_.replica_timeout, std::chrono::milliseconds(1000));
  pool_ = std::make_unique<wire::ConnectionPool>(*io.provider, *io.lowLevelProvider, *timer_, pool_options);
  batcher_ = std::make_unique<sdk::RequestBatcher>(*pool_, errors_);
  // Ring fetches in the background: RefreshSoon's, and those a StaleRing retry stopped
  // waiting for once another replica had answered with a newer ring.
  struct RecordErrors : kj::TaskSet::ErrorHandler {
    explicit RecordErrors(sdk::InternalErrors& e) : errors(e) {}
    void taskFailed(kj::Exception&& e) override { (void)errors.Record("a background ring fetch", e); }
    sdk::InternalErrors& errors;
  } record_errors(errors_);
  background_ = kj::heap<kj::TaskSet>(record_errors);
  auto stop = kj::newPromiseAndFulfiller<void>();
  stop_ = kj::mv(stop.fulfiller);

  Status first = FetchFromSeeds(0, "", false).wait(io.waitScope);
  if (!first.ok()) executor_ = nullptr;  // this loop ends now: Stop() must not post to it
  started->set_value(first);
  if (first.ok()) {
    auto refresh = RefreshLoop().eagerlyEvaluate(
        [this](kj::Exception&& e) { (void)errors_.Record("the ring refresh loop (it has stopped)", e); });
    stop.promise.wait(io.waitScope);
    // Acknowledged puts may still be sending the other replicas' copies or their hints:
    // let them settle (each call is bounded by replica_timeout), up to the request timeout.
    outstanding_.WhenIdle()
        .exclusiveJoin(timer_->afterDelay(options_.timeout.count() * kj::MILLISECONDS))
        .wait(io.waitScope);
  }
  background_ = nullptr;
  batcher_.reset();
  pool_.reset();  // connections close on the loop that made them
  stop_ = nullptr;
  // Destroyed from a callback (Destroy): this thread owns the Impl now. Last: it frees `this`.
  std::unique_ptr<Impl> self = std::move(self_);
}

kj::Promise<Result<RingView>> Client::Impl::FetchRing(const std::string& address) {
  return FetchRing(address, options_.timeout);
}

kj::Promise<void> Client::Impl::FetchAndInstall(const std::string& address, std::chrono::milliseconds limit) {
  return FetchRing(address, limit)
      .then([this](Result<RingView> view) {
        if (view.ok() && !view->ring.empty()) InstallRing(kj::mv(view).value());
      })
      .catch_([this](kj::Exception&& e) { (void)errors_.Record("installing a fetched ring", e); });
}

kj::Promise<Result<RingView>> Client::Impl::FetchRing(const std::string& address, std::chrono::milliseconds limit) {
  auto req = pool_->Dial(address).ringRequest();
  wire::FillRequestHeader(req.initHeader(), ClusterName());
  auto call = req.send().then(
      [](capnp::Response<wire::Node::RingResults>&& resp) -> Result<RingView> {
        Status s = wire::FromWire(resp.getError());
        if (!s.ok()) return s;
        return wire::FromWire(resp.getRing());
      },
      [this, address](kj::Exception&& e) -> Result<RingView> {
        pool_->MarkFailed(address);
        return Status::Unavailable(address + ": " + e.getDescription().cStr());
      });
  return wire::Bounded(*timer_, kj::mv(call), limit,
                       [address]() -> Result<RingView> { return Status::TimedOut(address + ": no answer"); });
}

kj::Promise<Status> Client::Impl::FetchFromSeeds(size_t i, std::string errors, bool refused) {
  if (i >= options_.seeds.size()) {
    // A seed that refused our credential says more than one that could not be reached.
    if (refused) return Status::Unauthenticated("no seed node let this client in: " + errors);
    return Status::Unavailable("no seed node answered: " + errors);
  }
  std::string seed = options_.seeds[i];
  return FetchRing(seed).then([this, i, errors, refused, seed](Result<RingView> view) mutable -> kj::Promise<Status> {
    if (view.ok() && view->ring.empty()) view = Status::Unavailable(seed + ": empty ring");
    if (!view.ok()) {
      return FetchFromSeeds(i + 1, errors + (errors.empty() ? "" : "; ") + view.status().ToString(),
                            refused || view.status().IsUnauthenticated());
    }
    InstallRing(kj::mv(view).value());
    return Status::OK();
  });
}

void Client::Impl::InstallRing(RingView view) {
  MutexLock lock(&ring_mu_);
  if (ring_) {
    // The catalog only grows: a node that has not heard of a change yet must not undo it here.
    view.namespaces.Merge(ring_->namespaces.Records());
    if (ring_->version > view.version) {  // never go back to an older ring, but learn its namespaces
      if (view.namespaces.Digest() != ring_->namespaces.Digest()) {
        auto current = std::make_shared<RingView>(*ring_);
        current->namespaces = std::move(view.namespaces);
        ring_ = std::move(current);
      }
      return;
    }
  }
  if (cluster_name_.empty()) cluster_name_ = view.cluster_name;
  ring_ = std::make_shared<const RingView>(std::move(view));
}

kj::Promise<void> Client::Impl::RefreshLoop() {
  return timer_->afterDelay(options_.ring_refresh.count() * kj::MILLISECONDS)
      .then([this]() {
        auto ring = Ring();
        const auto& nodes = ring->ring.nodes();
        return FetchAndInstall(nodes[rng_() % nodes.size()].address, options_.timeout);
      })
      .catch_([this](kj::Exception&& e) { (void)errors_.Record("a ring refresh", e); })  // the next one may work
      .then([this]() { return RefreshLoop(); });
}

void Client::Impl::RefreshSoon() {
  kj::TimePoint now = timer_->now();
  KJ_IF_MAYBE (last, last_error_refresh_) {
    if (now - *last < 1 * kj::SECONDS) return;
  }
  last_error_refresh_ = now;
  auto ring = Ring();
  const auto& nodes = ring->ring.nodes();
  background_->add(FetchAndInstall(nodes[rng_() % nodes.size()].address, options_.timeout));
}

kj::Promise<void> Client::Impl::RefreshFrom(std::vector<sdk::Replica> nodes, uint64_t routed_with) {
  std::vector<std::string> addresses;
  for (const auto& n : nodes) addresses.push_back(n.address);
  return RefreshUntil(kj::mv(addresses), options_.replica_timeout,
                      [this, routed_with]() { return Ring()->version > routed_with; });
}

kj::Promise<void> Client::Impl::RefreshUntil(std::vector<std::string> addresses, std::chrono::milliseconds limit,
                                             kj::Function<bool()> enough) {
  if (addresses.empty() || enough()) return kj::READY_NOW;
  // Resolved by the first fetch after which `enough()` holds, or by the last one to settle;
  // the others finish in the background.
  struct Wait : kj::Refcounted {
    size_t left = 0;
    kj::Function<bool()> enough;
    kj::Own<kj::PromiseFulfiller<void>> done;
  };
  auto paf = kj::newPromiseAndFulfiller<void>();
  auto wait = kj::refcounted<Wait>();
  wait->left = addresses.size();
  wait->enough = kj::mv(enough);
  wait->done = kj::mv(paf.fulfiller);
  for (const std::string& address : addresses) {
    background_->add(FetchAndInstall(address, limit).then([wait = kj::addRef(*wait)]() mutable {
      --wait->left;
      if (wait->done->isWaiting() && (wait->left == 0 || wait->enough())) wait->done->fulfill();
    }));
  }
  return kj::mv(paf.promise);
}

void Client::Impl::LearnNamespace(const NamespaceRecord& record) {
  MutexLock lock(&ring_mu_);
  auto current = std::make_shared<RingView>(*ring_);
  if (current->namespaces.Merge(std::span<const NamespaceRecord>(&record, 1))) ring_ = std::move(current);
}

Result<Client::Impl::Target> Client::Impl::Resolve(const RequestOptions& o, const std::string& key,
                                                   const std::string* value) {
  // The cached catalog first: a request does one lookup, and bad input none on the network.
  bool unknown_namespace = false;
  auto target = ResolveCached(o, key, value, &unknown_namespace);
  if (!unknown_namespace) return target;
  LearnIfUnknown(o.ns);
  return ResolveCached(o, key, value, &unknown_namespace);
}

void Client::Impl::LearnIfUnknown(std::string_view ns) {
  if (ns.empty() || ns == kDefaultNamespace || OnLoopThread() || !ValidateNamespaceName(ns).ok()) return;
  if (Ring()->namespaces.Find(ns) == nullptr) LearnCatalog(ns);
}

Status UnknownNamespace(std::string_view name) {
  return Status::InvalidArgument("namespace '" + std::string(name) +
                                 "' does not exist (no node this client asked knows it)");
}

void Client::Impl::LearnCatalog(std::string_view ns) {
  MutexLock lock(&catalog_mu_);  // held while fetching: the threads behind it find the catalog learned
  auto now = std::chrono::steady_clock::now();
  if (last_catalog_fetch_ && now - *last_catalog_fetch_ < std::chrono::seconds(1)) return;
  last_catalog_fetch_ = now;
  // Done once a node that knows `ns` has answered, or every node has (each within the
  // request timeout: a busy node may be slow, and one that is down must not hold it longer).
  std::vector<std::string> addresses;
  for (const RingNode& n : Ring()->ring.nodes()) addresses.push_back(n.address);
  std::string name(ns);
  (void)RunSync<bool>([&]() {
    return RefreshUntil(kj::mv(addresses), options_.timeout,
                        [this, name]() { return Ring()->namespaces.Find(name) != nullptr; })
        .then([]() -> Result<bool> { return true; });
  });
}

std::vector<RingNode> Client::Impl::CatalogChangeOrder(const RingView& ring) {
  std::vector<RingNode> order;
  for (const RingNode& n : ring.ring.nodes()) {
    if (ring.IsUp(n.id)) order.push_back(n);
  }
  std::string first;
  {
    MutexLock lock(&catalog_mu_);
    first = last_catalog_change_at_;
  }
  auto last = std::find_if(order.begin(), order.end(), [&](const RingNode& n) { return n.id == first; });
  if (last != order.end()) std::rotate(order.begin(), last, last + 1);
  return order;
}

void Client::Impl::ChangedCatalogAt(const std::string& node_id) {
  MutexLock lock(&catalog_mu_);
  last_catalog_change_at_ = node_id;
}

kj::Promise<void> Client::Impl::RefreshFromEveryNode(std::chrono::milliseconds limit) {
  auto ring = Ring();
  kj::Vector<kj::Promise<void>> all;
  for (const RingNode& n : ring->ring.nodes()) all.add(FetchAndInstall(n.address, limit));
  return kj::joinPromises(all.releaseAsArray());
}

Result<Client::Impl::Target> Client::Impl::ResolveCached(const RequestOptions& o, const std::string& key,
                                                         const std::string* value, bool* unknown_namespace) const {
  std::string_view name = o.ns.empty() ? kDefaultNamespace : std::string_view(o.ns);
  RINGKV_TRY(ValidateKeyIn(name, key));
  if (value != nullptr) RINGKV_TRY(ValidateValue(*value));
  Target target;
  auto ring = Ring();  // holds the view: Find points into it
  if (name == kDefaultNamespace) {
    target.stored_key = key;
    RINGKV_ASSIGN(target.spec, Spec(o, options_.n, options_.w, options_.r, DefaultIsLww(*ring)));
    if (const NamespaceRecord* def = ring->namespaces.Find(name)) {
      target.default_ttl_ms = static_cast<int64_t>(def->settings.default_ttl_s) * 1000;
    }
    return target;
  }
  RINGKV_TRY(ValidateNamespaceName(name));
  const NamespaceRecord* ns = ring->namespaces.Find(name);
  if (ns == nullptr) {
    *unknown_namespace = true;
    return UnknownNamespace(name);
  }
  const NamespaceSettings& s = ns->settings;
  if (value != nullptr && value->size() > s.max_value_bytes) {
    return Status::InvalidArgument("value is " + std::to_string(value->size()) + " bytes; namespace '" +
                                   std::string(name) + "' allows at most " + std::to_string(s.max_value_bytes));
  }
  target.stored_key = StoredKey(name, ns->incarnation, key);
  RINGKV_ASSIGN(target.spec, Spec(o, s.n, s.w, s.r, s.conflict == ConflictMode::kLastWriterWins));
  target.default_ttl_ms = static_cast<int64_t>(s.default_ttl_s) * 1000;
  return target;
}

bool Client::Impl::DefaultIsLww(const RingView& ring) {
  const NamespaceRecord* def = ring.namespaces.Find(kDefaultNamespace);
  return def != nullptr && def->settings.conflict == ConflictMode::kLastWriterWins;
}

Result<sdk::QuorumSpec> Client::Impl::Spec(const RequestOptions& o) const {
  return Spec(o, options_.n, options_.w, options_.r, DefaultIsLww(*Ring()));
}

Result<sdk::QuorumSpec> Client::Impl::Spec(const RequestOptions& o, int n, int w, int r, bool lww) const {
  sdk::QuorumSpec spec;
  spec.n = o.n.value_or(n);
  auto from_level = [&](int fallback) {
    if (!o.level) return fallback;
    switch (*o.level) {
      case Consistency::kOne:
      case Consistency::kLocalOne:
        return 1;
      case Consistency::kAll:
        return spec.n;
      case Consistency::kQuorum:
      case Consistency::kLocalQuorum:
      case Consistency::kEachQuorum:
        return spec.n / 2 + 1;
    }
    return fallback;
  };
  bool n_overridden = o.n.has_value() && *o.n != n;
  spec.w = o.w.value_or(from_level(n_overridden ? spec.n / 2 + 1 : w));
  spec.r = o.r.value_or(from_level(n_overridden ? spec.n / 2 + 1 : r));
  spec.lww = lww;
  spec.sloppy = options_.sloppy_quorum;
  spec.timeout = o.timeout.value_or(options_.timeout);
  spec.replica_timeout = std::min(options_.replica_timeout, spec.timeout);
  spec.header.cluster = ClusterName();
  spec.level = o.level;
  spec.local_dc = options_.local_dc;
  spec.wan_delay = options_.simulated_wan_delay;
  spec.explicit_wr = o.w.has_value() || o.r.has_value();
  spec.clock_offset = options_.clock_offset;
  if (spec.n < 1 || spec.w < 1 || spec.r < 1 || spec.w > spec.n || spec.r > spec.n) {
    return Status::InvalidArgument("need 1 <= W <= N and 1 <= R <= N (got N=" + std::to_string(spec.n) +
                                   " W=" + std::to_string(spec.w) + " R=" + std::to_string(spec.r) + ")");
  }
  if (spec.timeout.count() <= 0) return Status::InvalidArgument("timeout must be positive");
  return spec;
}

namespace {
constexpr int kStaleRingRetries = 3;

std::chrono::milliseconds ToMs(kj::Duration d) { return std::chrono::milliseconds(d / kj::MILLISECONDS); }
}  // namespace

std::optional<sdk::QuorumSpec> Client::Impl::ForAttempt(sdk::QuorumSpec spec, const Attempts& attempts) {
  std::chrono::milliseconds remaining = ToMs(attempts.deadline - timer_->now());
  if (remaining.count() <= 0) return std::nullopt;
  spec.timeout = sdk::AttemptTimeout(options_.retry, remaining);
  spec.replica_timeout = std::min(spec.replica_timeout, spec.timeout);
  return spec;
}

Status Client::Impl::DeadlinePassed(const Attempts& attempts) {
  std::string message = "the request's deadline passed before its next attempt";
  if (!attempts.last_failure.ok()) {
    message += " (the last attempt: " + attempts.last_failure.ToString() + ")";
  }
  return Status::TimedOut(message);
}

template <typename T, typename Again>
kj::Promise<Result<T>> Client::Impl::AfterFailure(Status failure, Attempts attempts, std::vector<sdk::Replica> replicas,
                                                  Again again) {
  if (failure.IsInvalidArgument()) return Result<T>(failure);
  std::chrono::milliseconds remaining = ToMs(attempts.deadline - timer_->now());
  if (failure.IsStaleRing() && attempts.stale_ring < kStaleRingRetries && remaining.count() > 0) {
    ++attempts.stale_ring;
    attempts.last_failure = failure;
    metrics_.RecordRetry(attempts.request.op);
    return RefreshFrom(kj::mv(replicas), attempts.routed_with).then([attempts, again = kj::mv(again)]() mutable {
      return again(attempts);
    });
  }
  RefreshSoon();  // membership may have changed under us
  double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  std::optional<std::chrono::milliseconds> wait = sdk::NextRetry(options_.retry, attempts.made, failure, remaining, u);
  if (!wait) {
    if (attempts.made > 1) failure = failure.Annotated("gave up after " + std::to_string(attempts.made) + " attempts");
    return Result<T>(failure);
  }
  ++attempts.made;
  attempts.last_failure = failure;
  metrics_.RecordRetry(attempts.request.op);
  return timer_->afterDelay(wait->count() * kj::MILLISECONDS).then([attempts, again = kj::mv(again)]() mutable {
    return again(attempts);
  });
}

kj::Promise<Result<GetResult>> Client::Impl::GetOnLoop(std::string key, sdk::QuorumSpec spec) {
  Attempts attempts{timer_->now() + spec.timeout.count() * kj::MILLISECONDS, BeginRequest(ClientOp::kGet, key)};
  sdk::RequestScope request = attempts.request;
  return GetAttempt(kj::mv(key), kj::mv(spec), kj::mv(attempts)).then([this, request](Result<GetResult> r) {
    return Ended(request, kj::mv(r));
  });
}

Result<GetResult> Client::Impl::Ended(const sdk::RequestScope& request, Result<GetResult> r) {
  if (r.ok())
    request.End(metrics_, r.status(), r->replies, static_cast<int>(r->values.size()));
  else
    request.End(metrics_, r.status(), 0, 0);
  return r;
}

Result<PutResult> Client::Impl::Ended(const sdk::RequestScope& request, Result<PutResult> r) {
  request.End(metrics_, r.status(), r.ok() ? r->acks : 0, -1);
  return r;
}

kj::Promise<Result<GetResult>> Client::Impl::GetAttempt(std::string key, sdk::QuorumSpec request, Attempts attempts) {
  auto view = Ring();
  std::optional<sdk::QuorumSpec> spec = ForAttempt(request, attempts);
  if (!spec) return Result<GetResult>(DeadlinePassed(attempts));
  spec->header.ring_version = view->version;
  attempts.routed_with = view->version;
  auto targets = sdk::PlaceKey(*view, key, spec->n, sdk::Placing::kRead);
  if (Status placed = sdk::PlaceForDcs(*view, options_.local_dc, /*for_get=*/true, &*spec, &targets); !placed.ok()) {
    return Result<GetResult>(placed);
  }
  auto replicas = targets.replicas;
  return sdk::QuorumGet(Env(attempts.request), kj::mv(targets.replicas), key, *spec)
      .then([this, key, request, attempts, replicas, r_needed = spec->need_per_dc.empty() ? spec->r : 0](
                Result<GetResult> r) mutable -> kj::Promise<Result<GetResult>> {
        if (r.ok()) return kj::mv(r);
        // Too few replicas reachable for R (QuorumNotReached), or none at all (Unavailable):
        // a retry would fail the same way at once, until the pool's probes find them again;
        // the caller hears now (and can fall back).
        bool unreachable = r.status().IsQuorumNotReached() || r.status().IsUnavailable();
        if (unreachable && Reachable(replicas) < r_needed) {
          RefreshSoon();  // the ring may have moved on (a replaced node), as after any failure
          return kj::mv(r);
        }
        return AfterFailure<GetResult>(
            r.status(), attempts, kj::mv(replicas),
            [this, key = kj::mv(key), request](Attempts next) mutable { return GetAttempt(key, request, next); });
      });
}

int Client::Impl::Reachable(const std::vector<sdk::Replica>& replicas) {
  return static_cast<int>(std::count_if(replicas.begin(), replicas.end(),
                                        [this](const sdk::Replica& r) { return !pool_->IsUnreachable(r.address); }));
}

kj::Promise<Result<PutResult>> Client::Impl::PutOnLoop(std::string key, Sibling write, CausalContext context,
                                                       sdk::QuorumSpec spec) {
  if (write.write_id == 0) write.write_id = rng_() | 1;  // nonzero; every attempt of this put carries it
  Attempts attempts{timer_->now() + spec.timeout.count() * kj::MILLISECONDS,
                    BeginRequest(write.tombstone ? ClientOp::kDelete : ClientOp::kPut, key)};
  sdk::RequestScope request = attempts.request;
  return PutAttempt(kj::mv(key), kj::mv(write), kj::mv(context), kj::mv(spec), kj::mv(attempts))
      .then([this, request](Result<PutResult> r) { return Ended(request, kj::mv(r)); });
}

kj::Promise<Result<PutResult>> Client::Impl::PutAttempt(std::string key, Sibling write, CausalContext context,
                                                        sdk::QuorumSpec request, Attempts attempts) {
  auto view = Ring();
  std::optional<sdk::QuorumSpec> spec = ForAttempt(request, attempts);
  if (!spec) return Result<PutResult>(DeadlinePassed(attempts));
  spec->header.ring_version = view->version;
  attempts.routed_with = view->version;
  auto targets = sdk::PlaceKey(*view, key, spec->n);
  if (Status placed = sdk::PlaceForDcs(*view, options_.local_dc, /*for_get=*/false, &*spec, &targets); !placed.ok()) {
    return Result<PutResult>(placed);
  }
  auto replicas = targets.replicas;
  return sdk::QuorumPut(Env(attempts.request), kj::mv(targets), key, write, context, *spec)
      .then([this, key, write, context, request, attempts,
             replicas](Result<PutResult> r) mutable -> kj::Promise<Result<PutResult>> {
        if (r.ok()) return kj::mv(r);
        return AfterFailure<PutResult>(
            r.status(), attempts, kj::mv(replicas),
            [this, key = kj::mv(key), write = kj::mv(write), context = kj::mv(context),
             request](Attempts next) mutable { return PutAttempt(key, write, context, request, next); });
      });
}

// ---- Client ----

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() { Impl::Destroy(std::move(impl_)); }

Result<std::unique_ptr<Client>> Client::Connect(ClientOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  RINGKV_TRY(impl->Start());
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

namespace {

// Decodes a put's context on the caller's thread: nothing reaches the network on bad input.
Result<CausalContext> DecodeContext(const Context& context) {
  auto decoded = CausalContext::Decode(context.bytes());
  if (!decoded.ok()) return Status::InvalidArgument("malformed context: " + decoded.status().message());
  return decoded;
}

}  // namespace

Result<Client::Impl::Write> Client::Impl::PrepareWrite(const RequestOptions& options, const std::string& key,
                                                       const std::string* value, const Context& context) {
  Write w;
  if (options.ttl && value == nullptr) return Status::InvalidArgument("a delete takes no ttl; nothing was written");
  if (options.ttl) RINGKV_TRY(ValidateTtlMs(options.ttl->count()));
  RINGKV_ASSIGN(w.target, Resolve(options, key, value));
  RINGKV_ASSIGN(w.context, DecodeContext(context));
  // The write is stamped here, once; its expiry is fixed from the same stamp, and every
  // retry and replica carries both.
  w.sibling.timestamp_ms = sdk::ClientWallMs(options_.clock_offset);
  w.sibling.tombstone = value == nullptr;
  if (value != nullptr) {
    w.sibling.value = *value;
    int64_t ttl_ms = options.ttl ? options.ttl->count() : w.target.default_ttl_ms;
    if (ttl_ms > 0) w.sibling.expires_at_ms = w.sibling.timestamp_ms + static_cast<uint64_t>(ttl_ms);
  }
  return w;
}

kj::Promise<Result<PutResult>> Client::Impl::PutOnLoop(Write w) {
  return PutOnLoop(kj::mv(w.target.stored_key), kj::mv(w.sibling), kj::mv(w.context), w.target.spec);
}

Result<GetResult> Client::Get(const std::string& key, const RequestOptions& options) {
  auto target = impl_->Resolve(options, key, nullptr);
  if (!target.ok()) return impl_->Rejected(ClientOp::kGet, target.status());
  return impl_->RunSync<GetResult>([&] { return impl_->GetOnLoop(target->stored_key, target->spec); });
}

Result<PutResult> Client::Put(const std::string& key, const std::string& value, const Context& context,
                              const RequestOptions& options) {
  auto write = impl_->PrepareWrite(options, key, &value, context);
  if (!write.ok()) return impl_->Rejected(ClientOp::kPut, write.status());
  return impl_->RunSync<PutResult>([&] { return impl_->PutOnLoop(kj::mv(write).value()); });
}

Result<PutResult> Client::Delete(const std::string& key, const Context& context, const RequestOptions& options) {
  auto write = impl_->PrepareWrite(options, key, nullptr, context);
  if (!write.ok()) return impl_->Rejected(ClientOp::kDelete, write.status());
  return impl_->RunSync<PutResult>([&] { return impl_->PutOnLoop(kj::mv(write).value()); });
}

namespace {
template <typename T>
std::future<Result<T>> Ready(Status s) {
  std::promise<Result<T>> p;
  p.set_value(std::move(s));
  return p.get_future();
}
}  // namespace

std::future<Result<GetResult>> Client::GetAsync(const std::string& key, const RequestOptions& options) {
  auto target = impl_->Resolve(options, key, nullptr);
  if (!target.ok()) return Ready<GetResult>(impl_->Rejected(ClientOp::kGet, target.status()));
  return impl_->RunAsync<GetResult>([&] { return impl_->GetOnLoop(target->stored_key, target->spec); });
}

std::future<Result<PutResult>> Client::PutAsync(const std::string& key, const std::string& value,
                                                const Context& context, const RequestOptions& options) {
  auto write = impl_->PrepareWrite(options, key, &value, context);
  if (!write.ok()) return Ready<PutResult>(impl_->Rejected(ClientOp::kPut, write.status()));
  return impl_->RunAsync<PutResult>([&] { return impl_->PutOnLoop(kj::mv(write).value()); });
}

std::future<Result<PutResult>> Client::DeleteAsync(const std::string& key, const Context& context,
                                                   const RequestOptions& options) {
  auto write = impl_->PrepareWrite(options, key, nullptr, context);
  if (!write.ok()) return Ready<PutResult>(impl_->Rejected(ClientOp::kDelete, write.status()));
  return impl_->RunAsync<PutResult>([&] { return impl_->PutOnLoop(kj::mv(write).value()); });
}

void Client::GetAsync(const std::string& key, const RequestOptions& options, GetCallback done) {
  auto target = impl_->Resolve(options, key, nullptr);
  if (!target.ok()) return done(impl_->Rejected(ClientOp::kGet, target.status()));
  impl_->RunWithCallback<GetResult>([&] { return impl_->GetOnLoop(target->stored_key, target->spec); },
                                    std::move(done));
}

void Client::PutAsync(const std::string& key, const std::string& value, const Context& context,
                      const RequestOptions& options, PutCallback done) {
  auto write = impl_->PrepareWrite(options, key, &value, context);
  if (!write.ok()) return done(impl_->Rejected(ClientOp::kPut, write.status()));
  impl_->RunWithCallback<PutResult>([&] { return impl_->PutOnLoop(kj::mv(write).value()); }, std::move(done));
}

void Client::DeleteAsync(const std::string& key, const Context& context, const RequestOptions& options,
                         PutCallback done) {
  auto write = impl_->PrepareWrite(options, key, nullptr, context);
  if (!write.ok()) return done(impl_->Rejected(ClientOp::kDelete, write.status()));
  impl_->RunWithCallback<PutResult>([&] { return impl_->PutOnLoop(kj::mv(write).value()); }, std::move(done));
}

std::vector<RingMember> Client::Members() {
  auto ring = impl_->Ring();
  auto ownership = ring->ring.Ownership();
  std::vector<RingMember> out;
  auto describe = [&](const RingNode& n, const char* state) {
    RingMember m{n.id, n.address, n.dc, ownership[n.id], n.tokens.size()};
    auto live = ring->liveness.find(n.id);
    if (live != ring->liveness.end()) m.status = live->second == Liveness::kDown ? "down" : "suspect";
    m.state = state;
    out.push_back(std::move(m));
  };
  for (const RingNode& n : ring->ring.nodes()) describe(n, ring->future.Find(n.id) ? "normal" : "leaving");
  for (const RingNode& n : ring->future.nodes()) {
    if (!ring->ring.Find(n.id)) describe(n, "joining");
  }
  return out;
}

uint64_t Client::RingVersion() { return impl_->Ring()->version; }

uint64_t Client::InternalErrorCount() const { return impl_->InternalErrorCount(); }

ClientMetrics Client::Metrics() const { return impl_->Metrics(); }

std::string Client::MetricsText() const { return PrometheusText(impl_->Metrics()); }

std::vector<std::string> Client::PreferenceList(const std::string& key, int n) {
  std::vector<std::string> out;
  auto ring = impl_->Ring();  // held: the list points into it, and the loop thread may install a newer one
  for (const RingNode* node : ring->ring.PreferenceList(key, static_cast<size_t>(n))) out.push_back(node->id);
  return out;
}

}  // namespace ringkv
