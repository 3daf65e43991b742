#pragma once
// ringkv::Client — the SDK an application links. It is the coordinator of every request:
// it holds the ring, computes each key's preference list (N distinct nodes clockwise from
// the key's hash), talks to those replicas directly over Cap'n Proto RPC, waits for W acks
// or R replies, reconciles versions (dotted version vectors: concurrent writes come back
// as siblings with a context, never silently dropped), and repairs stale replicas it read.
//
// Thread-safe. All network work runs on one internal KJ event-loop thread; the sync calls
// block the calling thread until the request completes, the async calls return a
// std::future. Errors are values:
//   QuorumNotReached  every replica asked has settled and fewer than W/R succeeded
//                     (acked()/needed(); the message lists each replica's outcome once)
//   TimedOut          the request's timeout passed first (acked()/needed() as above)
//   Unavailable       no replica could be reached at all (connections refused or failed)
//   InvalidArgument   bad input (oversized key or value, malformed context, bad levels, a
//                     TTL ≤ 0 or over 10 years),
//                     or a write stamped beyond the nodes' --max-write-age, or a sync call
//                     made inside a callback (see below): nothing written
//   StaleRing         the ring changed under the request three times in a row
//   Unauthenticated   the cluster requires a token (or a user) this client lacks
//   PermissionDenied  the user's role does not allow the call on the namespace (nothing done)
//   Exists            PutIfAbsent found a live value: nothing written
// Transient failures (QuorumNotReached, Unavailable, an attempt's TimedOut) are retried
// first, inside the request's timeout (RetryPolicy; not a get while fewer than R of its
// replicas are reachable); the status is the last attempt's, with "gave up after K
// attempts" appended when there were several.
//
// This header, ringkv/status.h, ringkv/tls_files.h, ringkv/metrics.h and ringkv/tracing.h
// are the SDK's whole public contract (installed under include/ringkv/; an app links
// ringkv::sdk). Nothing here names a Cap'n Proto, KJ or other internal type: the client's
// machinery is behind Client::Impl.

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ringkv/metrics.h"
#include "ringkv/namespace.h"
#include "ringkv/status.h"
#include "ringkv/tls_files.h"
#include "ringkv/tracing.h"

namespace ringkv {

// With one DC the LOCAL_* levels equal their plain forms. With per-DC replication (nodes
// started with --dc-replication) N is the sum over DCs and the client's `local_dc` picks
// the DC that LOCAL_* count in; a write still goes to every replica, but only the counted
// acks are waited for, so LOCAL_* never wait on a remote DC.
enum class Consistency {
  kOne,          // W or R = 1, any DC
  kQuorum,       // floor(N/2) + 1, any DCs
  kAll,          // N
  kLocalQuorum,  // a quorum of the local DC's replicas (the default with per-DC replication)
  kLocalOne,     // one of the local DC's replicas
  kEachQuorum,   // a quorum in every DC
};

// Per-request overrides; unset fields take the client's defaults.
struct RequestOptions {
  std::optional<Consistency> level;  // sets W (puts) / R (gets) from N
  std::optional<int> n, w, r;        // explicit values win over `level`
  std::optional<std::chrono::milliseconds> timeout;
  // The namespace the key lives in (ringkv/namespace.h); empty: "default". A named
  // namespace's settings give N, W and R (unless set above), the conflict mode and the value
  // limit; the default namespace keeps the client's n/w/r. The conflict mode is always the
  // namespace's (`kv ns alter default conflict=lww` for the default one): the nodes apply it,
  // so every client writes a namespace under the same rule.
  std::string ns;
  // Puts only: the value expires this long after the write's stamp (this client's wall
  // clock when the put is made); unset: the namespace's default TTL, if it has one. From
  // then on every read (any replica, any level) finds it absent, and nothing brings it back.
  // Must be > 0 and ≤ 10 years (InvalidArgument, nothing sent); a delete takes none.
  // The expiry is absolute: a reader whose clock is ahead of the writer's sees the value
  // expire early by the difference (docs/architecture.md, "TTL").
  std::optional<std::chrono::milliseconds> ttl;
};

// How a get or put that failed for a reason that may pass is tried again (Client::Get,
// Put, Delete, their async forms, and the reads and writes of Update and PutIfAbsent).
// Retried: QuorumNotReached, Unavailable, and an attempt's TimedOut while the request's
// deadline has time left; not a get while fewer than R of its replicas are reachable (the
// connection health checks say so): it would fail the same way at once. Never retried:
// InvalidArgument, Unauthenticated, PermissionDenied, Exists, Aborted and every other
// error (StaleRing refreshes the ring and retries up to three times, apart from this
// policy). A put's retries carry the same write (its write id, stamp and context): a
// replica that stored an earlier attempt keeps one version, never a duplicate sibling.
// Every attempt and wait fits inside the request's timeout: the request never ends later
// than without retries.
struct RetryPolicy {
  int max_attempts = 3;  // attempts per request, the first included; 1: never retry
  // Retry k (k = 1, 2, ...) waits b_k * (1 - jitter * u) first, with u uniform in [0, 1) and
  // b_k = min(max_backoff, initial_backoff * 2^(k-1)): exponential backoff, and jitter that
  // spreads clients which failed together. jitter 0: exactly b_k; 1: uniform in (0, b_k].
  std::chrono::milliseconds initial_backoff{20};
  std::chrono::milliseconds max_backoff{1000};
  double jitter = 0.5;
  // Each attempt's own limit; unset: the rest of the request's timeout (so an attempt that
  // times out ends the request). Set it below the timeout to retry an attempt that hangs.
  std::optional<std::chrono::milliseconds> attempt_timeout;
};

// How a request picks its replicas and hedges against a slow one (docs/sdk.md "Replica
// choice and hedging"). The client keeps, per node, a moving average and a recent p95 of
// its answer times and the age of its oldest unanswered call. A get asks the R fastest
// replicas (every replica for ALL; per DC for EACH_QUORUM) and one more after the hedge
// delay if the read is not answered by then, or at once when one fails; a put goes to the
// fastest replica as coordinator and to the next after the hedge delay (the same write: one
// version). The hedge delay is the p95 of the replicas asked, within [min_delay, max_delay].
// A node whose oldest unanswered call is older than suspect_after is asked last.
// enabled = false: every get asks all its replicas at once and a put moves to the next
// coordinator only when one fails or passes replica_timeout (the behaviour before hedging).
// Hedges are capped by budget_ratio. InvalidArgument from Connect for min_delay <= 0,
// min_delay > max_delay, suspect_after <= 0 or budget_ratio outside [0, 1].
struct HedgingOptions {
  bool enabled = true;
  std::chrono::milliseconds min_delay{2};
  std::chrono::milliseconds max_delay{50};
  std::chrono::milliseconds suspect_after{100};
  // Hedge puts too (a second coordinator after the delay). The write keeps its id, stamp and
  // context, so it stays one version; a second coordinator's value goes to the replicas as
  // well, so every replica ends with the same bytes (docs/sdk.md, "Replica choice").
  bool hedge_puts = true;
  // Hedges may add at most this share of the requests made (a burst of 10 aside): each
  // request earns this much of a hedge and each hedge spends one. A slow batch or a cluster
  // slow everywhere so cannot double its load. 0: never hedge (replica choice stays).
  double budget_ratio = 0.1;
};

struct ClientOptions {
  std::vector<std::string> seeds;  // host:port of any nodes; the ring is learned from them
  std::string cluster_name;        // empty: accept the seeds' cluster
  int n = 3, w = 2, r = 2;
  // Sloppy quorum: a write for a replica that is down or slow goes to the next healthy node
  // as a hint (and counts toward W). false = strict: only the key's N replicas count.
  bool sloppy_quorum = true;
  std::chrono::milliseconds timeout{2000};
  // A replica that has not answered a write within this is treated as down for it: its copy
  // goes out as a hint, and the client routes around the node for a second.
  std::chrono::milliseconds replica_timeout{500};
  // Connection health: every health_interval each node connection is pinged; a node that
  // does not answer within twice replica_timeout (at least 1 s: a node busy on a loaded
  // machine is not cut off; paused or cut off it is) is unreachable: requests
  // waiting on it and new calls to it fail at once (Unavailable for that replica, so a get
  // whose R replicas are unreachable fails with QuorumNotReached, or Unavailable when none
  // is reachable, instead of waiting for its timeout), and it is probed on a fresh connection every health_interval
  // until it answers (after a heal: within about one interval). 0: off (only timeouts and refused connections mark a
  // node down).
  std::chrono::milliseconds health_interval{250};
  std::chrono::milliseconds ring_refresh{5000};
  std::string bind_host;  // local address for outgoing connections (empty: any)
  std::string local_dc;   // this client's datacenter: what LOCAL_* levels count in
  // Tests and demos only: every call to a node outside local_dc waits this long before it
  // is sent, emulating a WAN round trip where `tc netem` is not available.
  std::chrono::milliseconds simulated_wan_delay{0};
  // Fault injection and tests: added to this client's wall clock when it stamps writes,
  // simulating a skewed clock (the stamp picks the LWW winner and ages tombstones).
  std::chrono::milliseconds clock_offset{0};
  // Security (docs/security.md). The client token, if the cluster requires one: without it
  // (or with a wrong one) every call fails with Unauthenticated. Or a user of the cluster
  // (kv user add) and its password, instead of the token: then every call is checked
  // against the user's roles, and one they do not allow fails with PermissionDenied
  // (nothing written). Unknown user or wrong password: Unauthenticated. With tls.ca_file set, every
  // connection is TLS: nodes must present a certificate of that CA naming
  // tls.server_name, and this client presents tls.cert_file (nodes require one).
  std::string token;
  std::string user;
  std::string password;
  TlsFiles tls;
  // Retries of transient failures (see RetryPolicy); InvalidArgument from Connect for
  // max_attempts < 1, a negative backoff, initial_backoff > max_backoff, jitter outside
  // [0, 1] or an attempt_timeout <= 0.
  RetryPolicy retry;
  // Latency-aware replica choice and hedged requests (see HedgingOptions).
  HedgingOptions hedging;
  // Tracing hooks (ringkv/tracing.h): a span per request and per call to a replica, on the
  // client's loop thread. Null (the default): no spans, nothing allocated for them.
  std::shared_ptr<Tracer> tracer;
};

// The causal context of a read: pass it to the put that replaces what was read, so that
// put supersedes exactly those versions. Opaque; may be stored (Encode/Decode).
class Context {
 public:
  Context() = default;
  explicit Context(std::string bytes) : bytes_(std::move(bytes)) {}
  const std::string& bytes() const { return bytes_; }
  bool empty() const { return bytes_.empty(); }
  // Hex, for shells and logs.
  std::string ToHex() const;
  static Result<Context> FromHex(std::string_view hex);

 private:
  std::string bytes_;
};

// One version of a key as a read found it: a value, or a delete concurrent with the others.
struct SiblingInfo {
  std::string id;           // short, stable name of the write: "<coordinating node>:<counter>"
  uint64_t written_ms = 0;  // the writer's wall clock at the put (ms since the Unix epoch)
  bool tombstone = false;   // a delete: not in GetResult::values
  std::string value;        // empty for a tombstone
  uint64_t expires_ms = 0;  // when a value written with a TTL expires (ms since the Unix epoch); 0: never
};

struct GetResult {
  bool found = false;               // false: never written, or deleted
  std::vector<std::string> values;  // more than one: concurrent writes (siblings) to resolve
  // Every version read, values and concurrent deletes alike, oldest write first; for
  // reasoning about siblings (who wrote when) without opening the context.
  std::vector<SiblingInfo> siblings;
  Context context;  // put with this to replace all of `values`
  int replies = 0;  // replicas that answered
  bool has_siblings() const { return values.size() > 1; }
};

struct PutResult {
  Context context;  // the context of the new version (for a later put by the same writer)
  int acks = 0;
};

// Client::Update's function: given what a read found (every sibling, or found == false),
// the new value, or std::nullopt to write nothing. It runs on the thread that called
// Update. An exception it throws ends the Update with InvalidArgument (carrying what() of
// a std::exception), and nothing is written.
using UpdateFunction = std::function<std::optional<std::string>(const GetResult& current)>;

struct UpdateResult {
  bool written = false;  // false: the function returned std::nullopt and nothing was sent
  GetResult read;        // what the function was given
  PutResult put;         // the write, when `written`
};

// Paged scans (Client::Scan). A scan walks one namespace in user-key byte order.
inline constexpr size_t kMaxScanPageSize = 10'000;

// The most entries one batch call (Client::MultiGet, MultiPut, MultiDelete) takes.
inline constexpr size_t kMaxBatchEntries = 10'000;

struct ScanOptions {
  // Only keys that start with it. Keys are placed by hash, so a prefix scan still asks
  // every node: it reads less from each, not fewer of them.
  std::string prefix;
  size_t page_size = 100;  // keys per page, 1..kMaxScanPageSize
  // ScanPage::cursor of the previous page; empty: from the first key. Only valid for the
  // same namespace (and incarnation of it) and prefix.
  std::string cursor;
  // R as for a get: each key returned was read from at least R of its replicas (default:
  // the namespace's R). `timeout` bounds each round of calls to the nodes.
  std::optional<Consistency> level;
  std::optional<int> r;
  std::optional<std::chrono::milliseconds> timeout;
};

struct ScanItem {
  std::string key;  // the user key
  GetResult value;  // as Get returns it: values (siblings stay siblings), versions, context
};

struct ScanPage {
  std::vector<ScanItem> items;  // in key order; may hold fewer than page_size (even none)
  std::string cursor;           // pass to the next Scan; empty: the scan is complete
  bool done() const { return cursor.empty(); }
};

struct KeyCount {
  uint64_t approximate_keys = 0;  // keys with a live value, estimated from the nodes' counts
  int nodes_counted = 0;          // nodes that answered
  int nodes = 0;                  // nodes in the ring
};

struct RingMember {
  std::string id, address, dc;
  double ownership = 0;  // fraction of the key space it is primary for
  size_t vnodes = 0;
  std::string status = "up";     // up | suspect | down, as gossip reports it
  std::string state = "normal";  // normal | joining | leaving
};

struct NamespaceInfo {
  std::string name;
  NamespaceSettings settings;
};

// A user of the cluster (Client::ListUsers): its grants, namespace ("*": every namespace)
// -> role ("read", "write" or "admin").
struct UserInfo {
  std::string name;
  std::map<std::string, std::string> grants;
};

struct NodeStat {
  std::string name;  // Prometheus style, labels included
  double value = 0;
};

struct RepairReport {
  uint32_t peers = 0;
  uint64_t nodes_compared = 0, digests_exchanged = 0, keys_pulled = 0, keys_pushed = 0;
  uint64_t bytes_sent = 0, bytes_received = 0;
};

// One node's part of a backup (Client::CreateBackup, ListBackups).
struct BackupInfo {
  std::string node;
  std::string name;
  uint64_t created_ms = 0;  // the node's wall clock when it was taken
  uint64_t tables = 0;      // table and blob files it links (data and hints)
  uint64_t bytes = 0;
  bool complete = false;  // false: taking it failed or was cut short; delete it
  std::string dir;        // where it is on the node's host (<data>/backups/NAME)
};

// What a restore wrote (Client::RestoreBackup).
struct RestoreReport {
  uint32_t parts = 0;      // node parts read
  uint64_t keys = 0;       // keys read from their data
  uint64_t hints = 0;      // hints read from their hint stores
  uint64_t sets_sent = 0;  // sibling sets replicated (one per key and replica)
};

class Client {
 public:
  // Fetches the ring from the first seed that answers; Unavailable if none does.
  static Result<std::unique_ptr<Client>> Connect(ClientOptions options);
  // Waits, at most `timeout`, for the replica calls and hint placements acknowledged puts
  // still have in flight (the copies for replicas beyond W), so that a process that exits
  // right after a put does not drop the copy for a slow or down replica; then closes.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Result<GetResult> Get(const std::string& key, const RequestOptions& options = {});
  Result<PutResult> Put(const std::string& key, const std::string& value, const Context& context = {},
                        const RequestOptions& options = {});
  // Deleting writes a tombstone that supersedes the versions `context` covers.
  Result<PutResult> Delete(const std::string& key, const Context& context = {}, const RequestOptions& options = {});

  // Read-modify-write (docs/sdk.md "Read-modify-write"): reads `key` (at options' R),
  // calls `fn` with the result, and puts what it returns with the read's context, so the
  // write replaces exactly the versions `fn` saw. Not a transaction: a write made by
  // someone else between the read and the put is not lost, it stays as a sibling of this
  // one (the next read returns both). options.timeout bounds the whole call (read, `fn`
  // and put); the read and the put are retried per ClientOptions::retry, the put with its
  // one write id, and `fn` runs exactly once. Sync only: InvalidArgument inside a callback.
  Result<UpdateResult> Update(const std::string& key, const UpdateFunction& fn, const RequestOptions& options = {});
  // Creates `key` unless it holds a value: reads it at options' R and, when the read finds
  // a live value, returns Exists (nothing written); otherwise puts `value` with the read's
  // context (so it replaces a delete it saw). Not linearizable: two creators racing past
  // their reads both succeed and their values stay as siblings (never one silently lost),
  // and a value on replicas the read did not reach is not seen. options.timeout bounds the
  // read and the put together; a ttl applies to the put.
  Result<PutResult> PutIfAbsent(const std::string& key, const std::string& value, const RequestOptions& options = {});

  // One page of namespace `ns` ("default" for keys written without one): the live keys after
  // options.cursor, each read from R of its replicas and merged as Get merges (siblings stay
  // siblings; deleted keys never appear). Continue with the returned cursor until it is
  // empty. A key that exists for the whole scan is returned exactly once, whatever nodes
  // fail or join between pages (as long as R replicas of every range answer); one written
  // or deleted during the scan may or may not appear. The client holds one page at a time.
  // InvalidArgument: unknown namespace, page_size 0 or over kMaxScanPageSize, a malformed
  // cursor or one of another scan (namespace, prefix, or a dropped-and-re-created
  // namespace); QuorumNotReached: a token range has fewer than R live replicas. Stale
  // replicas are not repaired by a scan (read repair is for Get).
  Result<ScanPage> Scan(const std::string& ns, const ScanOptions& options = {});
  // The approximate number of keys with a live value in `ns`: every node counts the keys it
  // holds (a full read of its part of the namespace), and the sum is divided by N and
  // scaled up for nodes that did not answer. Replicas that lag, and deletes not yet seen
  // everywhere, make it approximate. Unavailable when no node answered.
  Result<KeyCount> CountKeys(const std::string& ns);

  std::future<Result<GetResult>> GetAsync(const std::string& key, const RequestOptions& options = {});
  std::future<Result<PutResult>> PutAsync(const std::string& key, const std::string& value, const Context& context = {},
                                          const RequestOptions& options = {});
  std::future<Result<PutResult>> DeleteAsync(const std::string& key, const Context& context = {},
                                             const RequestOptions& options = {});

  // Callback forms: `done` runs on the client's event-loop thread — keep it short, never
  // block in it. It may issue further requests (they start at once, without a thread hop),
  // which is how a load generator keeps many requests in flight from one thread.
  // Inside a callback, use only these callback forms and the non-blocking calls (Members,
  // RingVersion, PreferenceList): every sync call (Get, Put, Delete, RefreshRing and the
  // admin calls) returns InvalidArgument there at once instead of waiting for the loop it
  // runs on, and a std::future from the other async forms must not be waited on there.
  // A callback may destroy the client (its last use of it): the loop thread then cannot
  // join itself, so it is detached and ends by itself, freeing the client, once the
  // callback returns; requests still in flight end without calling back. Do not let the
  // process exit in that moment (destroy clients from an application thread to join).
  using GetCallback = std::function<void(Result<GetResult>)>;
  using PutCallback = std::function<void(Result<PutResult>)>;
  void GetAsync(const std::string& key, const RequestOptions& options, GetCallback done);
  void PutAsync(const std::string& key, const std::string& value, const Context& context, const RequestOptions& options,
                PutCallback done);
  void DeleteAsync(const std::string& key, const Context& context, const RequestOptions& options, PutCallback done);

  // ---- batches (sdk/batch.cc; docs/sdk.md "Batches") ----
  // Many keys in one call. Each entry is the single-key request it names (its own replicas,
  // quorum, level, retries on a stale ring, read repair) and gets its own result, in the
  // order given: one key failing (QuorumNotReached, TimedOut, ...) fails only that key. All
  // entries start in the same turn of the client's loop, so the calls to each node travel
  // together: a get batch sends one `get` per node, a put batch one `coordinatePuts` per
  // coordinating node and then one `replicate` per node for each coordinating node's reply
  // (up to 128 keys or 4 MB of values per message; more take more messages).
  // The whole call is refused with InvalidArgument, nothing sent, when any entry is bad
  // input (what the single call refuses, named with the entry's index), the batch is empty
  // or holds over kMaxBatchEntries entries, or two entries name one key in one namespace.
  // `options` applies to every entry; an entry's own `options`, when set, replaces it
  // (not merged field by field). Besides bad input, the outer Result fails only as a single
  // call's would: a sync call inside a callback (InvalidArgument), an internal error (Aborted).
  struct PutEntry {
    std::string key;
    std::string value;
    Context context;  // as for Put: the versions this write replaces
    std::optional<RequestOptions> options;
  };
  struct DeleteEntry {
    std::string key;
    Context context;
    std::optional<RequestOptions> options;
  };
  using GetResults = std::vector<Result<GetResult>>;  // one per key, in order
  using PutResults = std::vector<Result<PutResult>>;  // one per entry, in order
  Result<GetResults> MultiGet(const std::vector<std::string>& keys, const RequestOptions& options = {});
  Result<PutResults> MultiPut(const std::vector<PutEntry>& entries, const RequestOptions& options = {});
  Result<PutResults> MultiDelete(const std::vector<DeleteEntry>& entries, const RequestOptions& options = {});
  std::future<Result<GetResults>> MultiGetAsync(const std::vector<std::string>& keys,
                                                const RequestOptions& options = {});
  std::future<Result<PutResults>> MultiPutAsync(const std::vector<PutEntry>& entries,
                                                const RequestOptions& options = {});
  std::future<Result<PutResults>> MultiDeleteAsync(const std::vector<DeleteEntry>& entries,
                                                   const RequestOptions& options = {});
  // Callback forms, with the rules of the single-key ones above; bad input calls `done` at
  // once (on the calling thread) with InvalidArgument.
  using MultiGetCallback = std::function<void(Result<GetResults>)>;
  using MultiPutCallback = std::function<void(Result<PutResults>)>;
  void MultiGetAsync(const std::vector<std::string>& keys, const RequestOptions& options, MultiGetCallback done);
  void MultiPutAsync(const std::vector<PutEntry>& entries, const RequestOptions& options, MultiPutCallback done);
  void MultiDeleteAsync(const std::vector<DeleteEntry>& entries, const RequestOptions& options, MultiPutCallback done);

  // Failures inside the client itself: an unexpected exception in its machinery, or one a
  // callback threw. Each was logged once (to stderr) and, if a request was waiting on it,
  // failed that request at once with Aborted. 0 in a healthy client.
  uint64_t InternalErrorCount() const;

  // What this client has seen since Connect (ringkv/metrics.h): per operation, requests,
  // errors by code, timeouts, retries, latency, replicas used and siblings per read; per
  // kind of replica call, calls, errors and timeouts. Any thread; cheap (no network).
  ClientMetrics Metrics() const;
  // The same as Prometheus text (format 0.0.4), for an app to serve on its /metrics.
  std::string MetricsText() const;

  std::vector<RingMember> Members();
  uint64_t RingVersion();
  Status RefreshRing();  // fetch the ring from a member now

  // ---- admin: what `kv` runs against the nodes ----
  // A node's counters (hints queued/delivered, repair, streaming, members by status).
  Result<std::vector<NodeStat>> NodeStats(const std::string& node_id);
  // Merkle repair run by `node_id` with `peer` (empty: all its peers) over the token range
  // (start, end] (start == end: all); returns when done.
  Result<RepairReport> Repair(const std::string& node_id, const std::string& peer = {}, uint64_t range_start = 0,
                              uint64_t range_end = 0);
  // Starts a live node's leave: it streams its data away, then exits.
  Status Decommission(const std::string& node_id);
  // Removes a dead node from the ring (through any live node); run Repair afterwards.
  Status RemoveNode(const std::string& node_id);

  // Backups (docs/operations.md, "Backup and restore"). Each call goes to one node.
  // Takes `node_id`'s part of backup `name` (1-64 of [A-Za-z0-9._-], not starting with
  // '.'): every write the node acknowledged before the call, hard-linked under its
  // <data>/backups/NAME, durable when this returns; writes go on meanwhile. A name the node
  // holds already, or an invalid one, is InvalidArgument and nothing is made.
  Result<BackupInfo> CreateBackup(const std::string& node_id, const std::string& name);
  Result<std::vector<BackupInfo>> ListBackups(const std::string& node_id);
  // NotFound when the node holds no part `name`.
  Status DeleteBackup(const std::string& node_id, const std::string& name);
  // Has `node_id` write the backup whose parts are in `dirs` (one <data>/backups/NAME
  // directory per node of the backed-up cluster, readable on node_id's host) into this
  // cluster: every key to its replicas on this ring, merged. A part missing, incomplete or
  // of another backup is InvalidArgument and nothing is written. Running it again is harmless.
  Result<RestoreReport> RestoreBackup(const std::string& node_id, const std::vector<std::string>& dirs);
  std::vector<std::string> PreferenceList(const std::string& key, int n);

  // Namespaces (ringkv/namespace.h): each change goes to one live node, which answers once
  // it has saved it; gossip spreads it to the others within a few rounds. InvalidArgument
  // for a bad name or settings, a name in use, or a change of n; NotFound for an unknown
  // namespace.
  Status CreateNamespace(const std::string& name, const NamespaceSettings& settings);
  Status AlterNamespace(const std::string& name, const NamespaceSettings& settings);
  Status DropNamespace(const std::string& name);
  // The live namespaces, sorted by name, as `node_id` knows them (empty: any live node).
  Result<std::vector<NamespaceInfo>> ListNamespaces(const std::string& node_id = {});

  // Users (docs/security.md): admin role (or the client token) required, else
  // PermissionDenied. Each change goes to one live node, which answers once it has saved
  // it; gossip spreads it. Roles: "read" (get, scan), "write" (also put, delete), "admin"
  // (also the admin calls; on "*" only). A grant on namespace "*" covers every namespace.
  // AddUser with a role also grants it on `ns`. InvalidArgument: a bad name, a password
  // under 16 characters, an existing user, an unknown role; NotFound: an unknown user.
  Status AddUser(const std::string& name, const std::string& password, const std::string& role = {},
                 const std::string& ns = "*");
  Status GrantUser(const std::string& name, const std::string& role, const std::string& ns = "*");
  Status RevokeUser(const std::string& name, const std::string& ns = "*");
  Status RemoveUser(const std::string& name);
  Result<std::vector<UserInfo>> ListUsers();

 private:
  class Impl;    // the state on the client's event-loop thread (sdk/client_impl.h), never installed
  struct Batch;  // the batch calls' checking and starting (sdk/batch.cc)
  enum class NamespaceOp { kCreate, kAlter, kDrop };
  Status ChangeNamespace(NamespaceOp op, const std::string& name, const NamespaceSettings& settings);
  enum class UserOp { kAdd, kGrant, kRevoke, kRemove };
  Status ChangeUser(UserOp op, const std::string& name, const std::string& password, const std::string& role,
                    const std::string& ns);
  enum class BackupOp { kCreate, kList, kDelete };
  Result<std::vector<BackupInfo>> CallBackup(const std::string& node_id, BackupOp op, const std::string& name);
  // After a create's answer was lost (`lost`): the part once the node lists it complete, or
  // `lost` when the node never started it.
  Result<BackupInfo> AwaitBackupPart(const std::string& node_id, const std::string& name, Status lost);
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ringkv
