// NodeServer in process (a local capability, no network), on a ManualClock: the write-age
// limit (--max-write-age) is measured by the node's clock.

#include <kj/async-io.h>

#include <catch2/catch.hpp>

#include "capnp/request_header.h"
#include "engine_test_util.h"
#include "node/rpc/rpc_server.h"

using namespace ringkv;
using ringkv::testing::TempDir;

namespace {

// Coordinates one blind put (write `id`, stamped `stamp_ms`) through `node`; the item's error.
Status PutStamped(wire::Node::Client& node, kj::WaitScope& wait, uint64_t id, uint64_t stamp_ms) {
  auto req = node.coordinatePutsRequest();
  wire::FillRequestHeader(req.initHeader(), "test");
  auto item = req.initPuts(1)[0];
  item.setKey(wire::AsData("k"));
  Sibling write;
  write.value = "v";
  write.write_id = id;
  write.timestamp_ms = stamp_ms;
  wire::ToWire(write, item.initWrite());
  auto reply = req.send().wait(wait);
  REQUIRE(reply.getResults().size() == 1);
  return wire::FromWire(reply.getResults()[0].getError());
}

// A blind put of `value` to `key` with the retired request flag set: the node must ignore it.
Status PutAskingLww(wire::Node::Client& node, kj::WaitScope& wait, const std::string& key, const std::string& value,
                    uint64_t id, uint64_t stamp_ms) {
  auto req = node.coordinatePutsRequest();
  wire::FillRequestHeader(req.initHeader(), "test");
  req.setLastWriterWins(true);
  auto item = req.initPuts(1)[0];
  item.setKey(wire::AsData(key));
  Sibling write;
  write.value = value;
  write.write_id = id;
  write.timestamp_ms = stamp_ms;
  wire::ToWire(write, item.initWrite());
  auto reply = req.send().wait(wait);
  REQUIRE(reply.getResults().size() == 1);
  return wire::FromWire(reply.getResults()[0].getError());
}

}  // namespace

TEST_CASE("a node resolves writes by the namespace's conflict mode and ignores the request's retired lww flag") {
  TempDir dir;
  auto options = storage::SmallOptions();
  options.max_value_bytes = ReplicaStore::kMaxSetBytes;
  auto engine = storage::OpenOrDie(dir.file("engine"), options);
  ManualClock clock;
  ReplicaStore store(engine.get(), "n1", clock);
  auto namespaces = Namespaces::Open({dir.file("NAMESPACES"), "n1", {}, nullptr});
  REQUIRE(namespaces.ok());
  auto io = kj::setupAsyncIo();
  WorkerPool workers(1);
  NodeServices services;
  services.store = &store;
  services.workers = &workers;
  services.namespaces = namespaces->get();
  services.node_id = "n1";
  services.cluster_name = "test";
  services.clock = &clock;
  wire::Node::Client node = kj::heap<NodeServer>(services, Access::kPeer);
  const uint64_t now = clock.WallMs();
  auto siblings_of = [&](const std::string& key) { return (*store.Get(key))->siblings().size(); };

  // The default namespace is siblings: a client asking for LWW gets siblings all the same.
  REQUIRE(PutAskingLww(node, io.waitScope, "k", "first", 1, now).ok());
  REQUIRE(PutAskingLww(node, io.waitScope, "k", "second", 2, now + 1).ok());
  CHECK(siblings_of("k") == 2);

  // An lww namespace: one value, whoever writes, by coordinated put and by replicate.
  NamespaceSettings lww;
  lww.conflict = ConflictMode::kLastWriterWins;
  auto carts = (*namespaces)->Create("carts", lww, now);
  REQUIRE(carts.ok());
  std::string key = StoredKey("carts", carts->incarnation, "k");
  REQUIRE(PutAskingLww(node, io.waitScope, key, "first", 3, now).ok());
  REQUIRE(PutAskingLww(node, io.waitScope, key, "second", 4, now + 1).ok());
  CHECK(siblings_of(key) == 1);
  SiblingSet concurrent;  // two siblings, as a peer in siblings mode might hold them
  Sibling a, b;
  a.value = "peer-a", a.timestamp_ms = now + 5, a.write_id = 5;
  b.value = "peer-b", b.timestamp_ms = now + 6, b.write_id = 6;
  concurrent.Update({}, "n2", a, 1);
  concurrent.Update({}, "n3", b, 1);
  REQUIRE(concurrent.siblings().size() == 2);
  std::string replicated = StoredKey("carts", carts->incarnation, "r");
  auto req = node.replicateRequest();
  wire::FillRequestHeader(req.initHeader(), "test");
  auto entry = req.initEntries(1)[0];
  entry.setKey(wire::AsData(replicated));
  wire::ToWire(concurrent, entry.initValue());
  auto reply = req.send().wait(io.waitScope);
  REQUIRE(wire::FromWire(reply.getErrors()[0]).ok());
  REQUIRE(siblings_of(replicated) == 1);
  CHECK((*store.Get(replicated))->siblings()[0].value == "peer-b");
  workers.Shutdown();
}

TEST_CASE("a node refuses a write attempt once its clock is past the attempt's stamp by more than the max write age") {
  TempDir dir;
  auto options = storage::SmallOptions();
  options.max_value_bytes = ReplicaStore::kMaxSetBytes;
  auto engine = storage::OpenOrDie(dir.path(), options);
  ManualClock clock;
  ReplicaStore store(engine.get(), "n1", clock);
  auto io = kj::setupAsyncIo();
  WorkerPool workers(1);
  NodeServices services;
  services.store = &store;
  services.workers = &workers;
  services.node_id = "n1";
  services.cluster_name = "test";
  services.max_write_age_ms = 60'000;
  services.clock = &clock;
  wire::Node::Client node = kj::heap<NodeServer>(services, Access::kPeer);

  const uint64_t stamp = clock.WallMs();
  clock.Advance(std::chrono::milliseconds(60'000));
  CHECK(PutStamped(node, io.waitScope, 1, stamp).ok());  // exactly the max age: taken
  clock.Advance(std::chrono::milliseconds(1));
  CHECK(PutStamped(node, io.waitScope, 2, stamp + 1).ok());   // stamped 60 s ago: still taken
  Status refused = PutStamped(node, io.waitScope, 3, stamp);  // 60.001 s ago
  REQUIRE(refused.IsInvalidArgument());
  CHECK_THAT(refused.message(), Catch::Contains("60001 ms ago") && Catch::Contains("--max-write-age"));
  auto held = store.Get("k");
  REQUIRE(held.ok());
  REQUIRE(held->has_value());
  CHECK((*held)->siblings().size() == 2);  // the refused attempt wrote nothing
  workers.Shutdown();
}
