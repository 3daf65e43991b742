#pragma once
// NodeServer: the storage node's Cap'n Proto `Node` interface (capnp/kv.capnp).
//
// Runs on the node's KJ event loop. Data calls (rpc_server.cc) first try to answer on the
// loop without blocking (memtable and block-cache hits, no fsync wait, an uncontended
// key); only what would block goes to the WorkerPool, and completes as a promise.
// Cluster calls (rpc_cluster.cc) — gossip, streaming, Merkle sessions, admin — go to the
// component that owns them; long jobs run on the maintenance thread.
//
// Requests from another cluster or a newer protocol are refused as error values; a
// request routed with an older ring than ours gets staleRing; bad input (oversized
// key/value, malformed clock) comes back as invalidArgument.

#include <kj/timer.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "capnp/convert.h"
#include "capnp/kv.capnp.h"
#include "common/offset_clock.h"
#include "common/scan_range.h"
#include "node/cluster/membership.h"
#include "node/cluster/namespaces.h"
#include "node/cluster/users.h"
#include "node/repair/anti_entropy.h"
#include "node/repair/backup_restore.h"
#include "node/repair/backups.h"
#include "node/repair/hinted_handoff.h"
#include "node/repair/maintenance.h"
#include "node/repair/namespace_eraser.h"
#include "node/repair/purge_guard.h"
#include "node/repair/streaming.h"
#include "node/replica/hint_store.h"
#include "node/replica/replica_store.h"
#include "node/rpc/autoscale_log.h"
#include "node/rpc/credentials.h"
#include "node/rpc/metrics.h"
#include "node/rpc/rpc_listener.h"
#include "node/rpc/verify_log.h"
#include "node/runtime/worker_pool.h"

namespace ringkv {

// What the server needs; owned by the caller, outlives the server.
struct NodeServices {
  ReplicaStore* store = nullptr;
  HintStore* hints = nullptr;
  WorkerPool* workers = nullptr;
  Membership* membership = nullptr;
  Namespaces* namespaces = nullptr;
  Users* users = nullptr;  // null: no user logins (only the token and the secret)
  Streamer* streamer = nullptr;
  AntiEntropy* anti_entropy = nullptr;
  Maintenance* maintenance = nullptr;
  HintedHandoff* handoff = nullptr;   // for cross-DC lag
  NamespaceEraser* eraser = nullptr;  // for its metrics; may be null
  ConnectionStats* connections = nullptr;
  storage::StorageEngine* engine = nullptr;  // for storage metrics
  RpcMetrics* metrics = nullptr;
  std::string node_id;
  std::string cluster_name;
  std::string dc;
  std::string admin_token;  // the admin endpoint requires it for all but /health; empty = see below
  // With admin_requires_token: the admin endpoint requires the client token `required`
  // holds now (it changes on a reload).
  const RequiredCredentials* required = nullptr;
  bool admin_requires_token = false;
  uint64_t max_write_age_ms = 60'000;  // older write attempts are refused (CheckWriteAge)
  // The node's clock: write ages, hint stamps, gossip merges. Never null; outlives the server.
  const Clock* clock = &Clock::System();
  PurgeGuard* purge = nullptr;        // the purge rule's state, for /health and metrics; may be null
  OffsetClock* test_clock = nullptr;  // test builds only (node.h): what /test/clock moves
  AutoscaleLog* autoscale = nullptr;  // decisions an autoscaler posted (admin endpoint); may be null
  VerifyLog* verify = nullptr;        // results kv verify posted (admin endpoint); may be null
  Backups* backups = nullptr;         // this node's backup parts; null: backup calls are NotSupported
  BackupRestore* restore = nullptr;   // restores into this cluster; null: NotSupported
  // TEST HOOK (kvnode --test-reply-delay-ms, admin /test/reply-delay): every reply to a data
  // call (get, put, replicate) is held back this many ms on `timer` — a slow replica for
  // tail-latency tests; the loop keeps serving meanwhile. Null or 0: replies go out at once.
  std::atomic<uint32_t>* test_reply_delay_ms = nullptr;
  kj::Timer* timer = nullptr;  // the node's loop timer (for the hook above)
};

class NodeServer final : public wire::Node::Server {
 public:
  // `access`: what this connection's credential granted (node/rpc/gate.h).
  NodeServer(NodeServices services, Access access) : s_(std::move(services)), access_(access) {}
  // A login as `principal` (a user's grants are checked on every call).
  NodeServer(NodeServices services, Principal principal)
      : s_(std::move(services)), access_(principal.access), principal_(std::move(principal)) {}

 protected:
  kj::Promise<void> coordinatePuts(CoordinatePutsContext context) override;
  kj::Promise<void> replicate(ReplicateContext context) override;
  kj::Promise<void> get(GetContext context) override;
  kj::Promise<void> ring(RingContext context) override;
  kj::Promise<void> ping(PingContext context) override;

  kj::Promise<void> gossip(GossipContext context) override;
  kj::Promise<void> streamKeys(StreamKeysContext context) override;
  kj::Promise<void> merkleOpen(MerkleOpenContext context) override;
  kj::Promise<void> merkleNodes(MerkleNodesContext context) override;
  kj::Promise<void> merkleDigests(MerkleDigestsContext context) override;
  kj::Promise<void> repair(RepairContext context) override;
  kj::Promise<void> decommission(DecommissionContext context) override;
  kj::Promise<void> removeNode(RemoveNodeContext context) override;
  kj::Promise<void> stats(StatsContext context) override;
  kj::Promise<void> changeNamespace(ChangeNamespaceContext context) override;
  // Scans (rpc_scan.cc).
  kj::Promise<void> scan(ScanContext context) override;
  kj::Promise<void> countKeys(CountKeysContext context) override;
  // Users (rpc_users.cc).
  kj::Promise<void> changeUser(ChangeUserContext context) override;
  kj::Promise<void> listUsers(ListUsersContext context) override;
  // Backups (rpc_backup.cc).
  kj::Promise<void> backup(BackupContext context) override;
  kj::Promise<void> restoreBackup(RestoreBackupContext context) override;

 private:
  // The connection's access (at least `need`), cluster name and protocol version; for
  // routed requests also the ring version.
  Status CheckHeader(wire::RequestHeader::Reader header, Access need = Access::kClient, bool routed = false);
  Status CheckAccess(Access need);
  // For a user's connection: that its role on namespace `ns` is at least `need`
  // (PermissionDenied naming both otherwise). OK for the token and the secret.
  Status CheckRole(Role need, std::string_view ns);
  // The namespace of a stored key, for CheckRole.
  Status CheckKeyRole(Role need, std::string_view stored_key);
  // Admin calls: the header, then the admin role on every namespace.
  Status CheckAdmin(wire::RequestHeader::Reader header);
  // The catalog as of now, for one request (null without namespaces, in some tests).
  std::shared_ptr<const NamespaceCatalog> Catalog() const;
  // The stored-key ranges a scan call may read (common/scan_range.h): InvalidArgument for a
  // bad name, prefix or position, or a namespace this node knows dropped or re-created.
  Result<std::vector<StoredKeyRange>> ScanRangesFor(wire::ScanRange::Reader range) const;

  // Runs each op without blocking first; the ones that would block run on a worker, then
  // `reply` gets every result in order.
  template <typename T>
  using Op = std::function<Result<T>(ReplicaStore::Mode)>;
  // The call is counted in metrics as `rpc`.
  template <typename T>
  kj::Promise<void> RunOps(RpcOp rpc, std::vector<Op<T>> ops, std::function<void(std::vector<Result<T>>)> reply);

  // The test hook's wait before a data call's reply goes out (READY_NOW when off).
  kj::Promise<void> TestReplyDelay() const;

  NodeServices s_;
  Access access_;
  Principal principal_;          // access_ and, for a user's login, who
  bool refusal_logged_ = false;  // one warning per connection
};

}  // namespace ringkv
