// NodeServer's scan calls in process (a local capability, no network): the same access
// check as a read, the namespace checks the node makes itself, and the entry limit.

#include <kj/async-io.h>

#include <catch2/catch.hpp>

#include "capnp/request_header.h"
#include "common/namespace.h"
#include "engine_test_util.h"
#include "node/rpc/rpc_server.h"

using namespace ringkv;
using ringkv::testing::TempDir;

namespace {

struct ScanReply {
  Status status;
  std::vector<std::string> keys;  // stored keys
  bool more = false;
};

ScanReply Scan(wire::Node::Client& node, kj::WaitScope& wait, const std::string& ns, uint64_t incarnation,
               uint32_t max_entries = 100) {
  auto req = node.scanRequest();
  wire::FillRequestHeader(req.initHeader(), "test");
  auto range = req.initRange();
  range.setNamespace(ns);
  range.setIncarnation(incarnation);
  req.setMaxEntries(max_entries);
  req.setMaxBytes(1 << 20);
  auto reply = req.send().wait(wait);
  ScanReply out{wire::FromWire(reply.getError()), {}, reply.getMore()};
  for (auto e : reply.getEntries()) out.keys.push_back(wire::ToBytes(e.getKey()));
  return out;
}

void Put(ReplicaStore& store, const std::string& stored_key) {
  Sibling write;
  write.value = "v";
  write.write_id = 1;
  write.timestamp_ms = 1;
  REQUIRE(store.CoordinatePut(stored_key, CausalContext{}, write, false).ok());
}

}  // namespace

TEST_CASE("a node serves a scan only to a connection allowed to read, and only what the namespace holds now") {
  TempDir dir;
  auto options = storage::SmallOptions();
  options.max_value_bytes = ReplicaStore::kMaxSetBytes;
  auto engine = storage::OpenOrDie(dir.path() + "/engine", options);
  ReplicaStore store(engine.get(), "n1");
  NamespacesOptions ns_options;
  ns_options.state_file = dir.path() + "/NAMESPACES";
  ns_options.self_id = "n1";
  auto namespaces = Namespaces::Open(ns_options);
  REQUIRE(namespaces.ok());
  auto carts = (*namespaces)->Create("carts", {}, 1000);
  REQUIRE(carts.ok());
  Put(store, StoredKey("carts", carts->incarnation, "a"));
  Put(store, StoredKey("carts", carts->incarnation, "b"));
  Put(store, "plain");

  auto io = kj::setupAsyncIo();
  WorkerPool workers(1);
  NodeServices services;
  services.store = &store;
  services.engine = engine.get();
  services.namespaces = namespaces->get();
  services.workers = &workers;
  services.node_id = "n1";
  services.cluster_name = "test";
  wire::Node::Client reader = kj::heap<NodeServer>(services, Access::kClient);
  wire::Node::Client nobody = kj::heap<NodeServer>(services, Access::kNone);

  ScanReply page = Scan(reader, io.waitScope, "carts", carts->incarnation);
  INFO(page.status.ToString());
  REQUIRE(page.status.ok());
  CHECK(page.keys == std::vector<std::string>{StoredKey("carts", carts->incarnation, "a"),
                                              StoredKey("carts", carts->incarnation, "b")});
  ScanReply first = Scan(reader, io.waitScope, "carts", carts->incarnation, 1);
  CHECK(first.keys.size() == 1);
  CHECK(first.more);
  CHECK(Scan(reader, io.waitScope, "carts", carts->incarnation, 0).status.IsInvalidArgument());
  CHECK(Scan(reader, io.waitScope, "default", 0).keys == std::vector<std::string>{"plain"});
  CHECK(Scan(reader, io.waitScope, "Bad Name", 1).status.IsInvalidArgument());
  // A namespace this node has not heard of yet (gossip is behind the client): read as asked.
  CHECK(Scan(reader, io.waitScope, "later", 7).status.ok());

  CHECK(Scan(nobody, io.waitScope, "carts", carts->incarnation).status.IsUnauthenticated());

  // Dropped, then re-created: the old incarnation is refused, the new one served.
  REQUIRE((*namespaces)->Drop("carts", 2000).ok());
  ScanReply dropped = Scan(reader, io.waitScope, "carts", carts->incarnation);
  CHECK(dropped.status.IsInvalidArgument());
  CHECK_THAT(dropped.status.message(), Catch::Contains("dropped"));
  auto again = (*namespaces)->Create("carts", {}, 3000);
  REQUIRE(again.ok());
  REQUIRE(again->incarnation > carts->incarnation);
  ScanReply stale = Scan(reader, io.waitScope, "carts", carts->incarnation);
  CHECK(stale.status.IsInvalidArgument());
  CHECK_THAT(stale.status.message(), Catch::Contains("re-created"));
  ScanReply fresh = Scan(reader, io.waitScope, "carts", again->incarnation);
  CHECK(fresh.status.ok());
  CHECK(fresh.keys.empty());
  workers.Shutdown();
}
