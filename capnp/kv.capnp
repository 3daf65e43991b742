# ringkv's wire contract: the storage node's data API and the ring snapshot clients fetch.
#
# The SDK is the coordinator: it computes a key's preference list and talks to each replica
# directly. A put goes to the first reachable replica in a `coordinatePuts` item (that
# replica assigns the write its dot and stores it), then the resulting versioned value goes
# to the other replicas as `replicate`. A get asks replicas with `get` and reconciles in the
# SDK.
#
# Errors are values: every result carries an `Error` (code `ok` on success). Exceptions
# never cross the wire for expected failures (bad input, not found, storage errors); a
# capnp exception means the connection or the peer itself failed.
@0x9e60394c85c33c6f;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("ringkv::wire");

const protocolVersion :UInt16 = 1;
# Sent in every request. A node refuses a higher major version than it speaks, and a
# request for another cluster, with `wrongCluster` / `unsupportedVersion`.

struct RequestHeader {
  protocolVersion @0 :UInt16;
  clusterName @1 :Text;    # empty: any cluster (the first call of a client, before it knows)
  ringVersion @2 :UInt64;
  # The ring version the sender routed this request with. A node whose ring is newer
  # refuses a routed request with `staleRing` (the sender refreshes its ring and retries),
  # so a client that missed a join or leave cannot write to a node that is no longer a
  # replica. 0: not routed by the ring (node-to-node traffic, admin calls).
}

enum ErrorCode {
  ok @0;
  notFound @1;
  invalidArgument @2;      # oversized key/value, malformed context...
  corruption @3;           # a damaged file on the node; the message names it
  ioError @4;
  busy @5;                 # overloaded or shutting down; retry elsewhere
  wrongCluster @6;
  unsupportedVersion @7;
  internal @8;
  staleRing @9;            # routed with an older ring than the node's: refresh and retry
  unauthenticated @10;     # no or wrong client token / cluster secret / user password for this call
  permissionDenied @11;    # authenticated, but the user's role does not allow this call on this namespace
}

struct Error {
  code @0 :ErrorCode;
  message @1 :Text;
}

# ---- versions ----

struct ClockEntry {
  # One entry of a version vector: `node` has issued writes 1..counter for the key.
  node @0 :Text;
  counter @1 :UInt64;
  timestampMs @2 :UInt64;  # when the entry last advanced (for Dynamo-style pruning)
}

struct Sibling {
  # One write not superseded by any write the holder has seen.
  dotNode @0 :Text;        # the replica that coordinated the write...
  dotCounter @1 :UInt64;   # ...and its sequence for this key: together, the write's name
  writeId @2 :UInt64;      # chosen by the client per logical put; a retry reuses it
  timestampMs @3 :UInt64;  # the client's wall clock at the put (LWW and tombstone aging)
  tombstone @4 :Bool;      # a delete (or an expired value: tombstone with expiresAtMs set)
  value @5 :Data;
  expiresAtMs @6 :UInt64;  # absolute expiry, ms since the epoch (stamp + TTL); 0: never
}

struct WriteRef {
  writeId @0 :UInt64;
  timestampMs @1 :UInt64;  # the write's stamp (Sibling.timestampMs)
}

struct VersionedValue {
  # Everything a replica knows about one key: a dotted version vector set.
  context @0 :List(ClockEntry);   # covers every write the holder has seen for the key
  siblings @1 :List(Sibling);     # empty: nothing stored (never written, or reaped)
  retired @2 :List(WriteRef);
  # Writes the holder has seen superseded, by id. A sibling with one of these ids is
  # dropped wherever it meets this value (a late duplicate of a superseded write), and a
  # coordinatePut of one applies nothing. Kept for a bounded time and number per key.
  retiredFloorMs @3 :UInt64;
  # Ids of writes stamped at or before this were forgotten: such a write is not coordinated
  # again unless the holder has it live.
  lastWriterWins @4 :Bool;
  # Written in LWW mode: every merge of this value, wherever it happens (read repair, hints,
  # Merkle repair, streaming), keeps only the newest sibling.
}

struct KeyedValue {
  key @0 :Data;
  value @1 :VersionedValue;
  hintFor @2 :Text;
  # Non-empty: the sender could not reach node `hintFor`, one of the key's replicas; the
  # receiver keeps the value as a hint (apart from its own data) and hands it over when
  # gossip shows that node alive again (sloppy quorum + hinted handoff).
}

struct GetResult {
  error @0 :Error;         # notFound when the replica holds nothing for the key
  value @1 :VersionedValue;
}

struct PutItem {
  key @0 :Data;
  context @1 :List(ClockEntry);
  write @2 :Sibling;
  hintFor @3 :Text;
  # Non-empty: none of the key's replicas could coordinate; this node (a fallback)
  # coordinates the write into a hint for replica `hintFor` instead of its own data.
  shipToDcs @4 :List(Text);
  # Multi-DC: the client wrote only to its own DC's replicas; before acking, the
  # coordinator queues the result durably for each DC named here (hint target "dc:NAME"),
  # and its handoff ships it to one node of that DC, which fans it out to the key's
  # replicas there (a KeyedValue with hintFor "dc:NAME").
  supersedes @5 :List(WriteRef);
  # The writes the client read (its context): superseded by id as well as by `context`,
  # so a duplicate of one of them under a dot the context lacks cannot survive this write.
  # A write stamped more than the node's --max-write-age ago is refused (invalidArgument):
  # an attempt the client gave up on must not be applied after its retry was superseded.
}

struct PutItemResult {
  error @0 :Error;
  result @1 :VersionedValue;
}

# ---- membership ----

enum NodeStatus {
  # Liveness as the answering node's gossip sees it (for routing only: a down node keeps
  # its ring ownership until it is removed).
  up @0;
  suspect @1;              # no heartbeat news for the suspect timeout
  down @2;                 # no heartbeat news for the down timeout
}

enum RingState {
  normal @0;
  joining @1;              # owns its tokens only after streaming; writes already go to it
  leaving @2;              # decommissioning: streams its data away, still owns its tokens
  left @3;                 # gone after a decommission (gossip only)
  removed @4;              # removed by an operator while dead (gossip only)
}

struct NodeInfo {
  id @0 :Text;
  address @1 :Text;        # host:port of the node's RPC endpoint
  dc @2 :Text;
  rack @3 :Text;
  tokens @4 :List(UInt64); # the node's vnodes on the 64-bit ring
  status @5 :NodeStatus;
  ringState @6 :RingState;
  weight @7 :UInt32;       # the node's share weight (its vnodes); 0: its token count
}

struct RingSnapshot {
  version @0 :UInt64;      # grows with every change; clients keep the highest they saw
  clusterName @1 :Text;
  nodes @2 :List(NodeInfo);
  replicationFactor @3 :UInt8;  # replicas per key the nodes stream and repair for
  dcReplication @4 :List(DcReplicas);  # multi-DC placement; empty: replicationFactor nodes anywhere
  namespaces @5 :List(NamespaceRecord);  # the answering node's catalog, dropped ones included
}

struct DcReplicas {
  dc @0 :Text;
  replicas @1 :UInt8;
}

struct MemberRecord {
  # What gossip carries about one node, authored by that node (except a removal). A
  # receiver keeps the record with the larger (generation, ringEpoch, heartbeat).
  id @0 :Text;
  address @1 :Text;
  dc @2 :Text;
  rack @3 :Text;
  tokens @4 :List(UInt64);
  generation @5 :UInt64;   # the node's incarnation: a restart raises it
  heartbeat @6 :UInt64;    # bumped by the node every gossip interval
  ringState @7 :RingState;
  ringEpoch @8 :UInt64;    # bumped on every change of tokens or ring state
  pendingHints @9 :List(PendingHints);  # empty from older nodes: none pending
  weight @10 :UInt32;      # the vnodes it joined with; 0: its token count
  heirs @11 :List(TokenHeir);  # a leaving node's: who takes over each token
}

struct TokenHeir {
  token @0 :UInt64;
  heir @1 :Text;           # node id
}

struct PendingHints {
  # The hints (or cross-DC queue entries, target "dc:NAME") a node holds for one target:
  # the stamp of the oldest. A tombstone is not purged while one older is pending for a
  # replica of its key (node/repair/purge_guard.h).
  target @0 :Text;
  oldestMs @1 :UInt64;
}

# ---- namespaces (common/namespace_catalog.h) ----

enum ConflictMode {
  siblings @0;             # concurrent writes are kept as siblings
  lww @1;                  # the newest stamp wins
}

struct NamespaceSettings {
  n @0 :UInt8;
  w @1 :UInt8;
  r @2 :UInt8;
  conflict @3 :ConflictMode;
  defaultTtlS @4 :UInt64;  # 0: no expiry
  maxValueBytes @5 :UInt64;
  tombstoneGraceS @6 :UInt64;
}

struct NamespaceRecord {
  # One namespace as the catalog holds it; gossip keeps the larger (version, author).
  name @0 :Text;
  settings @1 :NamespaceSettings;
  version @2 :UInt64;
  author @3 :Text;
  incarnation @4 :UInt64;  # part of the namespace's stored keys
  dropped @5 :Bool;
}

enum NamespaceOp {
  create @0;
  alter @1;
  drop @2;
}

# ---- anti-entropy ----

struct TokenRange {
  start @0 :UInt64;        # exclusive
  end @1 :UInt64;          # inclusive; start == end: the whole ring
}

struct MerkleNode {
  hash @0 :UInt64;
  count @1 :UInt32;        # keys below the node
}

struct KeyDigest {
  key @0 :Data;
  versionHash @1 :UInt64;
}

struct RepairStats {
  peers @0 :UInt32;
  nodesCompared @1 :UInt64;
  digestsExchanged @2 :UInt64;
  keysPulled @3 :UInt64;
  keysPushed @4 :UInt64;
  bytesSent @5 :UInt64;
  bytesReceived @6 :UInt64;
}

enum BackupOp {
  create @0;
  list @1;
  delete @2;
}

struct BackupInfo {
  node @0 :Text;
  name @1 :Text;
  createdMs @2 :UInt64;    # the node's wall clock when it was taken
  tables @3 :UInt64;       # table and blob files linked (data and hints)
  bytes @4 :UInt64;
  complete @5 :Bool;       # false: taking it failed or was cut short (delete it)
  dir @6 :Text;            # where it is on the node's host: <data>/backups/NAME
}

struct RestoreReport {
  parts @0 :UInt32;        # node parts read
  keys @1 :UInt64;         # keys read from the parts' data
  hints @2 :UInt64;        # hints read from the parts' hint stores
  setsSent @3 :UInt64;     # sibling sets replicated (a key to each of its replicas)
}

struct Stat {
  name @0 :Text;           # Prometheus style, labels included: hints_queued{target="n2"}
  value @1 :Float64;
}

# ---- the node ----

interface Node {
  retiredCoordinatePut @0 () -> ();
  # Retired: the single-key form of coordinatePuts, which had no caller and lacked hintFor,
  # shipToDcs and supersedes. The ordinal stays reserved; a node answers `unimplemented`.

  replicate @1 (header :RequestHeader, entries :List(KeyedValue), lastWriterWins :Bool)
      -> (errors :List(Error));
  # Merges each versioned value into this replica's state for its key (used for the N-1
  # other replicas of a put and for read repair). One error per entry, in order. The
  # node resolves by the key's namespace (its conflict mode in the node's catalog);
  # `lastWriterWins` is retired: ignored, kept so older clients' requests still parse.
  # A value for a key of a dropped namespace incarnation is discarded (OK, not stored).

  get @2 (header :RequestHeader, keys :List(Data)) -> (results :List(GetResult));
  # This replica's versioned value for each key, in order.

  ring @3 (header :RequestHeader) -> (error :Error, ring :RingSnapshot);
  # The ring as this node knows it.

  ping @4 (header :RequestHeader) -> (error :Error, nodeId :Text, protocolVersion :UInt16);

  coordinatePuts @5 (header :RequestHeader, puts :List(PutItem), lastWriterWins :Bool)
      -> (results :List(PutItemResult));
  # Applies client writes as this replica, one PutItem each (the SDK coalesces concurrent
  # puts to a node): removes the siblings the item's context covers (and the writes it
  # names in `supersedes`), gives the write a new dot (dotNode/dotCounter of `write` are
  # ignored), stores, and returns the key's resulting versioned value for the SDK to send to
  # the other replicas. In a namespace whose conflict mode is lww (as this node's catalog
  # holds it), only the newest sibling by (timestamp, dot) is kept; `lastWriterWins` is
  # retired: ignored, kept so older clients' requests still parse. A put to a dropped
  # namespace incarnation is refused (invalidArgument). One result per item, in order; each
  # item succeeds or fails on its own.

  # ---- between nodes ----

  gossip @6 (header :RequestHeader, records :List(MemberRecord), namespaces :List(NamespaceRecord),
             users :List(UserRecord))
      -> (error :Error, records :List(MemberRecord), namespaces :List(NamespaceRecord), users :List(UserRecord));
  # Push-pull: the receiver merges the sender's membership table, namespace catalog and
  # user catalog and answers with its own.

  streamKeys @7 (header :RequestHeader, forNode :Text, skip :List(Text), afterKey :Data,
                 maxBytes :UInt32)
      -> (error :Error, entries :List(KeyedValue), nextKey :Data, done :Bool);
  # For a joining node: a page of the keys `forNode` will hold once it has joined and for
  # which this node is the designated source (the replica it displaces, else the first
  # other old replica not in `skip`). Keys after `afterKey`, about `maxBytes` per page.
  # `busy` while this node does not yet know `forNode` as joining.

  merkleOpen @8 (header :RequestHeader, peer :Text, range :TokenRange, depth :UInt8)
      -> (error :Error, session :UInt64, root :MerkleNode, generation :UInt64);
  # Builds this node's Merkle tree over the keys it shares with `peer` in `range`.
  # `generation`: this node's incarnation (its gossip generation), which the initiator's
  # purge proof records the session under; 0 from a node older than the field.
  merkleNodes @9 (header :RequestHeader, session :UInt64, level :UInt8, indices :List(UInt32))
      -> (error :Error, hashes :List(UInt64));
  # For each differing node (level, index): the hashes of its two children, left first.
  merkleDigests @10 (header :RequestHeader, session :UInt64, level :UInt8, indices :List(UInt32))
      -> (error :Error, digests :List(KeyDigest));
  # The repair session's entries move with `get` (pull) and `replicate` (push).

  # ---- admin ----

  repair @11 (header :RequestHeader, peer :Text, range :TokenRange)
      -> (error :Error, stats :RepairStats);
  # Runs Merkle repair now between this node and `peer` (empty: every node it shares keys
  # with) over `range`; answers when done.

  decommission @12 (header :RequestHeader) -> (error :Error);
  # Starts this node's leave: it becomes `leaving`, streams its data to the nodes that take
  # over, then `left`, and exits. Progress shows in the ring.

  removeNode @13 (header :RequestHeader, nodeId :Text) -> (error :Error);
  # Removes a dead node from the ring (its ranges pass to the next nodes; run repair).

  stats @14 (header :RequestHeader) -> (error :Error, stats :List(Stat));
  # Counters and gauges: hints, repair, streaming, membership.

  changeNamespace @15 (header :RequestHeader, op :NamespaceOp, name :Text, settings :NamespaceSettings)
      -> (error :Error, record :NamespaceRecord);
  # Creates, alters or drops a namespace in this node's catalog. Answers once the change is
  # saved on this node; gossip spreads it to the others.

  # ---- scans (sdk/scan.cc coordinates them) ----

  scan @16 (header :RequestHeader, range :ScanRange, maxEntries :UInt32, maxBytes :UInt32)
      -> (error :Error, entries :List(KeyedValue), more :Bool);
  # This replica's versioned values for the stored keys of one namespace, in key order:
  # those of `range` (the node computes the stored-key ranges itself, so no key of another
  # namespace is ever returned). Sets that are all tombstones are included: the SDK must
  # see a delete to drop an older value another replica still holds. At most `maxEntries`
  # (1..10,000) entries and about `maxBytes` (clamped to 64 KB..16 MB; at least one entry)
  # per reply; `more` is true when keys of the range remain past the last one returned.
  # Routed like a get: `staleRing` when the sender's ring is older. `invalidArgument` when
  # this node knows the namespace dropped or under another incarnation.

  countKeys @17 (header :RequestHeader, range :ScanRange) -> (error :Error, keys :UInt64);

  # ---- users (admin; node/cluster/user_catalog.h) ----

  changeUser @18 (header :RequestHeader, op :UserOp, name :Text, password :Data, role :Role, namespace :Text)
      -> (error :Error, user :UserInfo);
  # add (name, password; with role != none also a grant of `role` on `namespace`), grant
  # (`role` on `namespace`, "*" for all), revoke (the grant on `namespace`) or remove a user.
  # Answers once the change is saved on this node; gossip spreads it to the others.
  listUsers @19 (header :RequestHeader) -> (error :Error, users :List(UserInfo));
  # The live users of this node's catalog and their grants (never a hash).

  # ---- backups (admin; node/repair/backups.h, docs/operations.md) ----

  backup @20 (header :RequestHeader, op :BackupOp, name :Text) -> (error :Error, backups :List(BackupInfo));
  # create: takes this node's part of backup `name` (hard links of the live tables, a copy
  # of the hints, membership, namespaces and users) under <data>/backups/NAME and answers
  # with it once it is durable; list: every backup this node holds; delete: removes `name`.
  restoreBackup @21 (header :RequestHeader, dirs :List(Text)) -> (error :Error, report :RestoreReport);
  # Reads every node's part of one backup (`dirs`: directories this node can read, one per
  # node of the backed-up cluster) and writes each key's versions, tombstones and held
  # hints to the key's replicas on this cluster's ring with `replicate` (a merge: running
  # it twice, or parts that overlap, change nothing more). Checks every part first: one
  # missing, incomplete or of another backup is `invalidArgument`, and nothing is written.
  # How many keys of the range this node holds with at least one live value (an exact
  # count of one node's replicas, read from its engine; the SDK turns the nodes' counts
  # into an approximate count of the namespace).
}

struct ScanRange {
  namespace @0 :Text;       # "default" or a namespace name
  incarnation @1 :UInt64;   # the namespace's incarnation (0 for default)
  prefix @2 :Data;          # user-key prefix; empty: all keys
  afterKey @3 :Data;        # user key; only keys after it (empty: from the first)
}

# ---- users ----

enum Role {
  none @0;
  read @1;                 # get, scan, count
  write @2;                # also put, delete, replicate
  admin @3;                # also every admin call (on "*" only)
}

struct UserGrant {
  namespace @0 :Text;      # a namespace name, or "*" for every namespace
  role @1 :Role;
}

struct UserRecord {
  # One user as the catalog holds it (gossip only: between nodes that share the secret).
  # Gossip keeps the larger (version, author).
  name @0 :Text;
  salt @1 :Data;
  hash @2 :Data;           # PBKDF2-HMAC-SHA256(password, salt, iterations)
  iterations @3 :UInt32;
  grants @4 :List(UserGrant);
  version @5 :UInt64;
  author @6 :Text;
  removed @7 :Bool;
}

struct UserInfo {
  name @0 :Text;
  grants @1 :List(UserGrant);
}

enum UserOp {
  add @0;
  grant @1;
  revoke @2;
  remove @3;
}

interface Gate {
  # The bootstrap capability of every node: a connection's first call presents a credential
  # and gets the node's interface back (pipelined, so it costs no round trip). What the
  # credential grants (node/rpc/credentials.h): the cluster secret, every method; the client
  # token, data and admin methods; neither, when the cluster requires one, nothing. A
  # call beyond what the connection was granted answers `unauthenticated`.
  login @0 (credential :Data, user :Text) -> (node :Node);
  # `user` non-empty: `credential` is that user's password, and the connection gets what the
  # user's grants allow (checked again on every call, so a revoke applies at once); a call
  # the role does not allow answers `permissionDenied`.
}
