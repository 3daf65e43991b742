#pragma once
// Node: one kvnode process — every part of a storage node, owned in dependency order and
// started and stopped in that order.
//
// The parts, each built on the ones before it:
//   published namespace catalog -> storage engine, hint store -> replica store -> membership,
//   namespaces -> gossip, hinted handoff, anti-entropy, streaming, namespace eraser, maintenance -> worker pool -> RPC
//   server and listener, admin HTTP.
//
// Shutdown order (Shutdown(), also run by the destructor), and why:
//   1. stop accepting: the admin endpoint and the RPC listener close, which drops every
//      connection and every request promise; no new worker job can be queued after this;
//   2. drain the worker pool: queued jobs hold raw pointers to the replica store,
//      membership, anti-entropy and the streamer (merkleOpen, streamKeys, cross-DC
//      fan-out), so every one of them finishes (or is skipped, its caller gone) here,
//      while all of those still exist;
//   3. stop maintenance (handoff, repair, streaming) and gossip: their threads end;
//   4. destroy the parts in reverse dependency order, saving membership a last time,
//      and close the hint store and the engine (flushing the memtables).
// No part is destroyed while a thread that may touch it still runs.
//
// Threads: Open, Run and Shutdown on one thread (the one with the RPC event loop), after
// SIGTERM, SIGINT and SIGHUP were captured (kj::UnixEventPort::captureSignal) and before any other
// thread started, so every thread inherits the blocked mask.

#include <kj/async-io.h>
#include <kj/compat/tls.h>
#include "common/offset_clock.h"
#include "node/repair/purge_guard.h"

#include <memory>

#include "common/clock.h"
#include "common/security.h"
#include "node/cluster/gossip.h"
#include "node/cluster/membership.h"
#include "node/cluster/namespaces.h"
#include "node/cluster/users.h"
#include "node/node_config.h"
#include "node/repair/anti_entropy.h"
#include "node/repair/hinted_handoff.h"
#include "node/repair/maintenance.h"
#include "node/repair/namespace_eraser.h"
#include "node/repair/streaming.h"
#include "node/replica/hint_store.h"
#include "node/replica/replica_store.h"
#include "node/rpc/credentials.h"
#include "node/rpc/metrics.h"
#include "node/rpc/rpc_listener.h"
#include "node/rpc/rpc_server.h"
#include "node/runtime/worker_pool.h"
#include "node/storage/engine.h"

namespace ringkv {

class AdminHttp;

class Node {
 public:
  // Claims the data directory, opens the stores and membership (fetching the ring from
  // --join for a new node) and builds every part. Binds and starts nothing yet. A bad
  // credential or TLS file, a data directory of another node, or a store that cannot be
  // opened is an error here, with a message for the operator.
  static Result<std::unique_ptr<Node>> Open(const NodeConfig& config);
  ~Node();  // Shutdown()
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Binds the RPC (and admin) address, starts gossip and maintenance, prints
  // "kvnode ID ready on ADDRESS" to stdout, and serves until SIGTERM or SIGINT (a
  // decommissioned node sends itself SIGTERM); then Shutdown(). Not OK when the node could
  // not serve or could not close its stores cleanly (either is logged).
  Status Run();

  // The shutdown described at the top. Idempotent; the first close error, if any.
  Status Shutdown();

 private:
  struct Security {
    Credentials credentials;
    std::shared_ptr<const TlsMaterial> tls;  // null: plain TCP
  };
  Node(NodeConfig config, Security security);
  // The credential and TLS files the config names, read and checked.
  static Result<Security> LoadSecurity(const NodeConfig& config);
  Status OpenParts();
  Status Serve();
  Status CloseStores();
  // SIGHUP: reads the credential and TLS files again (on a worker: file I/O) and applies
  // them to the next logins and handshakes; open connections and requests are untouched.
  // A file that cannot be read keeps the old credentials (logged).
  kj::Promise<void> ReloadOnSignal();
  void ApplyReload(Result<Security> loaded);

  // Members in dependency order: each may use the ones above it, and C++ destroys them
  // bottom-up, which is also the order Shutdown() follows.
  const NodeConfig config_;
  const Security security_;
  // The one clock every part reads the time from (common/clock.h).
#ifdef RINGKV_TEST_CLOCK
  // Test builds: the system clock moved by an offset a test sets (admin /test/clock).
  OffsetClock test_clock_;
  const Clock& clock_ = test_clock_;
#else
  const Clock& clock_ = Clock::System();
#endif
  // TEST HOOK: replies to data calls held back this many ms (--test-reply-delay-ms, in every
  // build; admin /test/reply-delay changes it in test builds).
  std::atomic<uint32_t> test_reply_delay_ms_{0};
  // The namespace catalog as the data path reads it: Namespaces publishes each change here.
  // Before the engine, whose compactions ask it which tombstones to reap at once.
  PublishedCatalog catalog_;
  // The purge rule the engine asks (purge_guard.h); attached to gossip once that exists,
  // detached before it goes, destroyed after the engine.
  std::unique_ptr<PurgeGuard> purge_;
  std::unique_ptr<storage::StorageEngine> engine_;
  std::unique_ptr<HintStore> hints_;
  std::unique_ptr<ReplicaStore> store_;
  kj::AsyncIoContext io_;
  wire::PoolOptions pool_;  // how this node connects to the others
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<Namespaces> namespaces_;
  std::unique_ptr<Users> users_;
  std::unique_ptr<Gossiper> gossiper_;
  std::unique_ptr<HintedHandoff> handoff_;
  std::unique_ptr<AntiEntropy> anti_entropy_;
  std::unique_ptr<Streamer> streamer_;
  std::unique_ptr<NamespaceEraser> eraser_;
  std::unique_ptr<Backups> backups_;        // used by worker jobs
  std::unique_ptr<BackupRestore> restore_;  // used by maintenance jobs
  std::unique_ptr<Maintenance> maintenance_;
  std::unique_ptr<WorkerPool> workers_;  // its jobs use the parts above: drained before they go
  RpcMetrics metrics_;
  AutoscaleLog autoscale_log_;  // what an autoscaler reported (admin endpoint)
  VerifyLog verify_log_;        // what kv verify runs reported (admin endpoint)
  ConnectionStats connections_;
  // What logins are checked against now: the files' contents, replaced on SIGHUP.
  RequiredCredentials required_{security_.credentials};
  NodeServices services_;
  kj::Own<kj::TlsContext> tls_;
  // The TLS contexts a reload replaced: connections made with them may still use them.
  std::vector<kj::Own<kj::TlsContext>> retired_tls_;
  std::unique_ptr<RpcListener> listener_;
  std::unique_ptr<AdminHttp> admin_;
  bool shut_down_ = false;
  Status close_status_;
};

}  // namespace ringkv
