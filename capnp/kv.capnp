# ringkv's wire contract: the storage node's data API and the ring snapshot clients fetch.
#
# The SDK is the coordinator: it computes a key's preference list and talks to each replica
# directly. A put goes to the first reachable replica as `coordinatePut` (that replica
# assigns the write its dot and stores it), then the resulting versioned value goes to the
# other replicas as `replicate`. A get asks replicas with `get` and reconciles in the SDK.
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
  tombstone @4 :Bool;      # a delete
  value @5 :Data;
}

struct VersionedValue {
  # Everything a replica knows about one key: a dotted version vector set.
  context @0 :List(ClockEntry);   # covers every write the holder has seen for the key
  siblings @1 :List(Sibling);     # empty: nothing stored (never written, or reaped)
}

struct KeyedValue {
  key @0 :Data;
  value @1 :VersionedValue;
}

struct GetResult {
  error @0 :Error;         # notFound when the replica holds nothing for the key
  value @1 :VersionedValue;
}

struct PutItem {
  key @0 :Data;
  context @1 :List(ClockEntry);
  write @2 :Sibling;
}

struct PutItemResult {
  error @0 :Error;
  result @1 :VersionedValue;
}

# ---- membership ----

enum NodeStatus {
  up @0;
  suspect @1;
  down @2;
  joining @3;
  leaving @4;
}

struct NodeInfo {
  id @0 :Text;
  address @1 :Text;        # host:port of the node's RPC endpoint
  dc @2 :Text;
  rack @3 :Text;
  tokens @4 :List(UInt64); # the node's vnodes on the 64-bit ring
  status @5 :NodeStatus;
}

struct RingSnapshot {
  version @0 :UInt64;      # grows with every change; clients keep the highest they saw
  clusterName @1 :Text;
  nodes @2 :List(NodeInfo);
}

# ---- the node ----

interface Node {
  coordinatePut @0 (header :RequestHeader, key :Data, context :List(ClockEntry),
                    write :Sibling, lastWriterWins :Bool)
      -> (error :Error, result :VersionedValue);
  # Applies a client write as this replica: removes the siblings `context` covers, gives the
  # write a new dot (dotNode/dotCounter of `write` are ignored), stores, and returns the
  # key's resulting versioned value for the SDK to send to the other replicas. With
  # lastWriterWins, only the newest sibling by (timestamp, dot) is kept.

  replicate @1 (header :RequestHeader, entries :List(KeyedValue), lastWriterWins :Bool)
      -> (errors :List(Error));
  # Merges each versioned value into this replica's state for its key (used for the N-1
  # other replicas of a put and for read repair). One error per entry, in order.

  get @2 (header :RequestHeader, keys :List(Data)) -> (results :List(GetResult));
  # This replica's versioned value for each key, in order.

  ring @3 (header :RequestHeader) -> (error :Error, ring :RingSnapshot);
  # The ring as this node knows it.

  ping @4 (header :RequestHeader) -> (error :Error, nodeId :Text, protocolVersion :UInt16);

  coordinatePuts @5 (header :RequestHeader, puts :List(PutItem), lastWriterWins :Bool)
      -> (results :List(PutItemResult));
  # coordinatePut for many keys in one message (the SDK coalesces concurrent puts to a node).
  # One result per item, in order; each item succeeds or fails on its own.
}
