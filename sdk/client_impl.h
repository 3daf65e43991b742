#pragma once
// Client::Impl: the SDK's state on its event-loop thread (see client.cc), shared by the
// data calls (client.cc) and the admin calls (admin.cc).
//
// Threads: application threads call in; all network work runs on the one loop thread.
// What crosses between them: the options (constant after construction), the loop's
// executor and thread id (set before Start() returns, then constant), and the ring state
// (the ring and the cluster name learned with it), which the loop thread installs and
// any thread reads under ring_mu_ — checked by clang's -Wthread-safety — and what
// application threads share about the namespace catalog (when it was last fetched, the node
// that took the last change), under catalog_mu_. Everything else belongs to the loop thread.

#include <kj/async-io.h>

#include <future>
#include <mutex>
#include <random>
#include <thread>

#include "capnp/connection_pool.h"
#include "capnp/convert.h"
#include "common/mutex.h"
#include "ringkv/client.h"
#include "sdk/latency_tracker.h"
#include "sdk/metrics_recorder.h"
#include "sdk/quorum.h"
#include "sdk/request_batcher.h"
#include "sdk/request_trace.h"
#include "sdk/scan.h"

namespace ringkv {

// The error for a request naming a namespace no node this client asked knows.
Status UnknownNamespace(std::string_view name);

class Client::Impl {
 public:
  explicit Impl(ClientOptions options) : options_(std::move(options)), cluster_name_(options_.cluster_name) {}
  ~Impl() { Stop(); }

  Status Start();
  // Ends the loop and joins its thread. Not on the loop thread (see Destroy).
  void Stop();
  // What ~Client does. From an application thread: Stop(), then free. From the loop thread
  // (a callback destroying its own client) the thread cannot join itself: it is detached,
  // the loop is told to end, and LoopMain frees the Impl once the callback has returned.
  static void Destroy(std::unique_ptr<Impl> impl);

  // True on the client's event-loop thread: inside a callback.
  bool OnLoopThread() const { return std::this_thread::get_id() == loop_thread_id_; }
  // OK unless on the loop thread, where a sync call would wait for the loop it blocks.
  Status SyncAllowed() const;

  // Runs `on_loop()` on the loop and waits for its result. InvalidArgument on the loop
  // thread (SyncAllowed). Like the forms below, it never throws: an exception from
  // `on_loop` (thrown or as its promise's rejection) is an internal error (errors_).
  template <typename T, typename Func>
  Result<T> RunSync(Func&& on_loop) {
    RINGKV_TRY(SyncAllowed());
    return executor_->executeSync([this, &on_loop]() { return Guarded<T>(on_loop); });
  }
  // Starts `on_loop()` on the loop and calls `done` with its result there. An exception
  // `done` throws is logged and counted (errors_).
  template <typename T, typename Func>
  void RunWithCallback(Func&& on_loop, std::function<void(Result<T>)> done) {
    auto start = [this, &on_loop, done = std::move(done)]() mutable {
      Guarded<T>(on_loop).then([done](Result<T> r) { done(std::move(r)); }).detach([this](kj::Exception&& e) {
        (void)errors_.Record("an application callback (it threw)", e);
      });
    };
    if (std::this_thread::get_id() == loop_thread_id_)
      start();  // already on the loop: no hop
    else
      executor_->executeSync(start);
  }

  template <typename T, typename Func>
  std::future<Result<T>> RunAsync(Func&& on_loop) {
    auto promise = std::make_shared<std::promise<Result<T>>>();
    auto future = promise->get_future();
    auto start = [this, &on_loop, promise]() {
      Guarded<T>(on_loop)
          .then([promise](Result<T> r) { promise->set_value(std::move(r)); })
          .detach([this](kj::Exception&& e) { (void)errors_.Record("completing a future", e); });
    };
    if (OnLoopThread())
      start();  // from a callback: no hop (and never wait on `future` there)
    else
      executor_->executeSync(start);
    return future;
  }

  uint64_t InternalErrorCount() const { return errors_.count(); }
  // What this client has seen (ringkv/metrics.h): recorded on the loop and, for requests
  // refused for bad input, on the calling thread (Rejected); read by any thread.
  sdk::MetricsRecorder& metrics() { return metrics_; }
  ClientMetrics Metrics() const {
    ClientMetrics m = metrics_.Snapshot();
    m.internal_errors = errors_.count();
    return m;
  }
  // A request arriving on the loop (`stored_key` names its namespace for the span).
  sdk::RequestScope BeginRequest(ClientOp op, std::string_view stored_key) {
    return sdk::RequestScope::Begin(options_.tracer.get(), op, stored_key);
  }
  // Counts a request refused on the calling thread before it was sent, and returns `s`.
  Status Rejected(ClientOp op, Status s) {
    metrics_.RecordRejected(op, s);
    return s;
  }

  // What a request on `key` (and `value`, for a put) becomes once its namespace is applied:
  // the stored key (common/namespace.h) and the quorum spec. InvalidArgument for a bad key,
  // an unknown namespace or a value over its limit. Any thread.
  struct Target {
    std::string stored_key;
    sdk::QuorumSpec spec;
    int64_t default_ttl_ms = 0;  // the namespace's default TTL; 0: none
  };
  // A namespace this client has not learned yet (its ring came from a node gossip had not
  // reached) is looked up before it is called unknown: every node is asked for its catalog,
  // at most once a second (LearnCatalog), which blocks the calling thread until a node that
  // knows it answers (at most the request timeout) — the async forms too. Any thread; on
  // the loop thread (a callback), from the cache only.
  Result<Target> Resolve(const RequestOptions& o, const std::string& key, const std::string* value)
      EXCLUDES(catalog_mu_);
  // A namespace change this client made: known at once, before the next ring refresh.
  void LearnNamespace(const NamespaceRecord& record) EXCLUDES(ring_mu_);
  // The live nodes of `ring` in the order a namespace change (or list) tries them: the node
  // that took this client's last change first, so that its changes (a drop, then a create
  // of the same name) meet a node that has seen the ones before, whatever gossip has
  // spread. Not on the loop thread.
  std::vector<RingNode> CatalogChangeOrder(const RingView& ring) EXCLUDES(catalog_mu_);
  void ChangedCatalogAt(const std::string& node_id) EXCLUDES(catalog_mu_);
  // A put or delete checked and resolved on the caller's thread, ready for the loop.
  struct Write {
    Target target;
    CausalContext context;
    Sibling sibling;
  };
  Result<Write> PrepareWrite(const RequestOptions& options, const std::string& key, const std::string* value,
                             const Context& context);
  kj::Promise<Result<PutResult>> PutOnLoop(Write write);
  Result<sdk::QuorumSpec> Spec(const RequestOptions& o) const;  // the default namespace's
  Result<sdk::QuorumSpec> Spec(const RequestOptions& o, int n, int w, int r, bool lww) const;
  // The default namespace's conflict mode as `ring` (the cached catalog) holds it.
  static bool DefaultIsLww(const RingView& ring);
  // One request each, from here to its result (retries included): timed and counted in
  // metrics(), and traced with ClientOptions::tracer. A tombstone `write` is a delete.
  // Retried per options().retry (and after StaleRing) inside spec.timeout; a put's
  // attempts all carry `write` as it is after the first: one write id.
  kj::Promise<Result<GetResult>> GetOnLoop(std::string key, sdk::QuorumSpec spec);
  kj::Promise<Result<PutResult>> PutOnLoop(std::string key, Sibling write, CausalContext context, sdk::QuorumSpec spec);
  // Scans (sdk/scan.cc). PrepareScan checks and resolves a Scan call on the caller's
  // thread (InvalidArgument for bad input, nothing sent); the rest runs on the loop.
  Result<sdk::ScanJob> PrepareScan(const std::string& ns, const ScanOptions& options) EXCLUDES(catalog_mu_);
  kj::Promise<Result<ScanPage>> ScanPageOnLoop(std::shared_ptr<sdk::ScanJob> job);
  kj::Promise<Result<KeyCount>> CountKeysOnLoop(std::string ns, uint64_t incarnation, int n);
  // The newest ring installed; any thread.
  std::shared_ptr<const RingView> Ring() const EXCLUDES(ring_mu_) {
    MutexLock lock(&ring_mu_);
    return ring_;
  }
  // The cluster every request names: ClientOptions::cluster_name, or (when that is empty)
  // the name the first ring installed came with. Any thread.
  std::string ClusterName() const EXCLUDES(ring_mu_) {
    MutexLock lock(&ring_mu_);
    return cluster_name_;
  }
  // Loop thread only.
  wire::ConnectionPool& pool() { return *pool_; }
  kj::Timer& timer() { return *timer_; }
  const ClientOptions& options() const { return options_; }
  kj::Promise<Result<RingView>> FetchRingFrom(const std::string& address) { return FetchRing(address); }
  // Fetches the ring from every node of the current one, each bounded by `limit`, and keeps
  // the newest (the catalog: the union of theirs). Loop thread.
  kj::Promise<void> RefreshFromEveryNode(std::chrono::milliseconds limit);

 private:
  // `on_loop()`, with an exception it throws or rejects with turned into the Aborted
  // status of an internal error (logged and counted). Loop thread.
  template <typename T, typename Func>
  kj::Promise<Result<T>> Guarded(Func& on_loop) {
    return kj::evalNow([&on_loop] { return on_loop(); }).catch_([this](kj::Exception&& e) -> Result<T> {
      return errors_.Record("a request", e);
    });
  }
  sdk::RequestEnv Env(const sdk::RequestScope& request) {
    return {pool_.get(),   batcher_.get(), timer_,           &errors_,       &metrics_,
            request.trace, &latency_,      options_.hedging, &hedge_budget_, &outstanding_};
  }
  // Ends `request` with `r` (metrics, span) and returns `r`.
  Result<GetResult> Ended(const sdk::RequestScope& request, Result<GetResult> r);
  Result<PutResult> Ended(const sdk::RequestScope& request, Result<PutResult> r);

  // One request's attempts so far and its deadline: what GetOnLoop and PutOnLoop retry by.
  struct Attempts {
    kj::TimePoint deadline;
    sdk::RequestScope request;  // timed, counted and traced as one request, retries included
    int made = 1;               // attempts made, as the retry policy counts them
    int stale_ring = 0;         // extra attempts after StaleRing (a refreshed ring, no backoff)
    Status last_failure = {};   // why the attempt before this one failed: named if the deadline ends the request
    uint64_t routed_with = 0;   // the ring version the latest attempt was routed with
  };
  // The TimedOut a request ends with when its deadline passes before its next attempt.
  static Status DeadlinePassed(const Attempts& attempts);
  kj::Promise<Result<GetResult>> GetAttempt(std::string key, sdk::QuorumSpec spec, Attempts attempts);
  kj::Promise<Result<PutResult>> PutAttempt(std::string key, Sibling write, CausalContext context, sdk::QuorumSpec spec,
                                            Attempts attempts);
  // How many of `replicas` the connection pool does not hold unreachable (failed health
  // checks, not yet answered a probe): calls to the others fail at once.
  int Reachable(const std::vector<sdk::Replica>& replicas);
  // `spec` for an attempt: its timeout is what is left of the request's (capped by the
  // policy's attempt_timeout); nullopt once the deadline has passed.
  std::optional<sdk::QuorumSpec> ForAttempt(sdk::QuorumSpec spec, const Attempts& attempts);
  // After an attempt failed with `failure`: `again(next)` after the policy's wait (or at
  // once, after a ring refresh from `replicas`, for StaleRing), or `failure` when the
  // request ends (annotated with the attempt count when there were several).
  template <typename T, typename Again>
  kj::Promise<Result<T>> AfterFailure(Status failure, Attempts attempts, std::vector<sdk::Replica> replicas,
                                      Again again);

  void LoopMain(std::promise<Status>* started);
  kj::Promise<Result<RingView>> FetchRing(const std::string& address);
  // `refused`: some seed so far refused our credential (the result is then Unauthenticated).
  kj::Promise<Status> FetchFromSeeds(size_t i, std::string errors, bool refused);
  kj::Promise<void> RefreshLoop();
  // After a failed request: fetch the ring again now (at most once a second), in case
  // membership changed under us.
  void RefreshSoon();
  // After StaleRing: fetch the ring from every replica of the key (one of them knows the
  // newer ring), each bounded by replica_timeout. Resolves once a ring newer than
  // `routed_with` is installed, or every fetch has settled: a replica that cannot be
  // reached does not hold the retry for its timeout.
  kj::Promise<void> RefreshFrom(std::vector<sdk::Replica> nodes, uint64_t routed_with);
  // Fetches the ring from each of `addresses` (each bounded by `limit`) and installs it;
  // resolves once `enough()` holds after a fetch, or every fetch has settled. Loop thread.
  kj::Promise<void> RefreshUntil(std::vector<std::string> addresses, std::chrono::milliseconds limit,
                                 kj::Function<bool()> enough);
  // Fetches the ring from `address`, bounded by `limit`, and installs it (InstallRing).
  kj::Promise<void> FetchAndInstall(const std::string& address, std::chrono::milliseconds limit);
  kj::Promise<Result<RingView>> FetchRing(const std::string& address, std::chrono::milliseconds limit);
  // Keeps `view` unless a newer ring is installed already. Loop thread.
  void InstallRing(RingView view) EXCLUDES(ring_mu_);
  // Resolve on the cached catalog alone; sets `*unknown_namespace` when that is why it fails.
  Result<Target> ResolveCached(const RequestOptions& o, const std::string& key, const std::string* value,
                               bool* unknown_namespace) const;
  // LearnCatalog when `ns` is a valid name the cached catalog lacks; nothing on the loop thread.
  void LearnIfUnknown(std::string_view ns) EXCLUDES(catalog_mu_);
  // Asks every node for its catalog and waits until one that knows `ns` has answered, or
  // all have, unless that was done less than a second ago. Not on the loop thread.
  void LearnCatalog(std::string_view ns) EXCLUDES(catalog_mu_);

  const ClientOptions options_;             // never written after construction: read by every thread
  sdk::InternalErrors errors_;              // written on the loop thread, count read by any thread
  sdk::MetricsRecorder metrics_;            // relaxed atomics: written by the loop (and callers), read by any thread
  std::shared_ptr<const TlsMaterial> tls_;  // loaded by Start(); null without TLS
  std::thread thread_;
  std::thread::id loop_thread_id_;
  const kj::Executor* executor_ = nullptr;
  // Owned by the loop thread:
  kj::Own<kj::PromiseFulfiller<void>> stop_;
  kj::Timer* timer_ = nullptr;
  std::unique_ptr<wire::ConnectionPool> pool_;
  std::unique_ptr<sdk::RequestBatcher> batcher_;
  sdk::LatencyTracker latency_;  // every replica call's answer time, per node: the replica choice
  // What hedges may add: a burst of 10, none at all with a ratio of 0.
  sdk::HedgeBudget hedge_budget_{options_.hedging.budget_ratio, options_.hedging.budget_ratio > 0 ? 10.0 : 0.0};
  std::unique_ptr<Impl> self_;  // set by Destroy() on the loop thread: LoopMain frees it last
  std::mt19937_64 rng_{std::random_device{}()};
  kj::Maybe<kj::TimePoint> last_error_refresh_;
  kj::Own<kj::TaskSet> background_;
  // Puts with calls still in flight: closing waits for them, at most options_.timeout.
  sdk::OutstandingWrites outstanding_;
  // Written by the loop thread, read by any thread:
  mutable Mutex ring_mu_;
  std::shared_ptr<const RingView> ring_ GUARDED_BY(ring_mu_);
  std::string cluster_name_ GUARDED_BY(ring_mu_);
  // Application threads that found a namespace unknown: one of them fetches the catalog.
  Mutex catalog_mu_;
  std::optional<std::chrono::steady_clock::time_point> last_catalog_fetch_ GUARDED_BY(catalog_mu_);
  std::string last_catalog_change_at_ GUARDED_BY(catalog_mu_);  // the node that took the last change
};

}  // namespace ringkv
