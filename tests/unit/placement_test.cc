// Placement without a cluster: a key's replicas, fallbacks, pending replicas during a join,
// and how per-DC replication turns a consistency level into what is counted.

#include <algorithm>

#include <catch2/catch.hpp>

#include "sdk/placement.h"

using namespace ringkv;
using namespace ringkv::sdk;

namespace {

std::vector<RingNode> Nodes(const std::vector<std::pair<std::string, std::string>>& id_dc) {
  std::vector<RingNode> out;
  for (size_t i = 0; i < id_dc.size(); ++i) {
    RingNode n;
    n.id = id_dc[i].first;
    n.address = "127.0.0." + std::to_string(i + 1) + ":7000";
    n.dc = id_dc[i].second;
    out.push_back(n);
  }
  return out;
}

RingView View(const std::vector<std::pair<std::string, std::string>>& id_dc, DcReplication per_dc = {}) {
  auto ring = Ring::Bootstrap(Nodes(id_dc), 16);
  REQUIRE(ring.ok());
  RingView view;
  view.version = 1;
  view.ring = *ring;
  view.future = *ring;
  view.dc_replication = std::move(per_dc);
  return view;
}

std::vector<std::string> Ids(const std::vector<Replica>& v) {
  std::vector<std::string> out;
  for (const Replica& r : v) out.push_back(r.id);
  return out;
}

}  // namespace

TEST_CASE("a key's replicas are the first N distinct nodes clockwise and the rest are its fallbacks") {
  RingView view = View({{"n1", "dc1"}, {"n2", "dc1"}, {"n3", "dc1"}, {"n4", "dc1"}, {"n5", "dc1"}});
  view.liveness["n4"] = Liveness::kDown;
  Targets t = PlaceKey(view, "some-key", 3);
  std::vector<std::string> expected;
  for (const RingNode* n : view.ring.PreferenceList("some-key", 5)) expected.push_back(n->id);
  CHECK(Ids(t.replicas) == std::vector<std::string>(expected.begin(), expected.begin() + 3));
  CHECK(Ids(t.fallbacks) == std::vector<std::string>(expected.begin() + 3, expected.end()));
  CHECK(t.pending.empty());
  CHECK(t.down == std::vector<std::string>{"n4"});
}

TEST_CASE("a read is placed on the same replicas as a write but without the ring's other nodes") {
  for (DcReplication per_dc : {DcReplication{}, DcReplication{{"dc1", 2}, {"dc2", 1}}}) {
    RingView view = View({{"n1", "dc1"}, {"n2", "dc1"}, {"n3", "dc2"}, {"n4", "dc1"}, {"n5", "dc2"}}, per_dc);
    view.liveness["n2"] = Liveness::kSuspect;
    for (const std::string key : {"a", "some-key", "cart:42"}) {
      INFO(key << (per_dc.empty() ? "" : ", per-DC replication"));
      Targets write = PlaceKey(view, key, 3);
      Targets read = PlaceKey(view, key, 3, Placing::kRead);
      CHECK(Ids(read.replicas) == Ids(write.replicas));
      CHECK(Ids(read.pending) == Ids(write.pending));
      CHECK(read.down == write.down);
      CHECK(write.fallbacks.size() == 2);  // five nodes, three replicas
      CHECK(read.fallbacks.empty());
    }
  }
}

TEST_CASE("during a join the joining node is a pending replica of the keys it will own") {
  RingView view = View({{"n1", "dc1"}, {"n2", "dc1"}, {"n3", "dc1"}});
  RingNode joiner;
  joiner.id = "n4";
  joiner.address = "127.0.0.4:7000";
  joiner.tokens = Ring::AllocateTokens(view.ring, "n4", 16);
  auto nodes = view.ring.nodes();
  nodes.push_back(joiner);
  auto future = Ring::FromNodes(nodes, 2);
  REQUIRE(future.ok());
  view.future = *future;
  int with_pending = 0;
  for (int i = 0; i < 200; ++i) {
    std::string key = "k" + std::to_string(i);
    Targets t = PlaceKey(view, key, 2);
    bool joiner_will_own = false;
    for (const RingNode* n : view.future.PreferenceList(key, 2)) joiner_will_own = joiner_will_own || n->id == "n4";
    CHECK((Ids(t.pending) == std::vector<std::string>{"n4"}) == joiner_will_own);
    CHECK(std::none_of(t.replicas.begin(), t.replicas.end(), [](const Replica& r) { return r.id == "n4"; }));
    Targets read = PlaceKey(view, key, 2, Placing::kRead);  // a read: the same, without fallbacks
    CHECK(Ids(read.pending) == Ids(t.pending));
    CHECK(Ids(read.replicas) == Ids(t.replicas));
    CHECK(read.fallbacks.empty());
    with_pending += joiner_will_own;
  }
  CHECK(with_pending > 0);  // the join moves some keys
}

TEST_CASE("without per-DC replication placement leaves the spec as given") {
  RingView view = View({{"n1", "dc1"}, {"n2", "dc1"}, {"n3", "dc1"}});
  QuorumSpec spec;
  spec.level = Consistency::kLocalQuorum;
  Targets t = PlaceKey(view, "k", 3);
  REQUIRE(PlaceForDcs(view, "", false, &spec, &t).ok());
  CHECK(spec.w == 2);
  CHECK(spec.need_per_dc.empty());
  CHECK(t.replicas.size() == 3);
}

namespace {
RingView TwoDcs() {
  return View({{"w1", "west"},
               {"w2", "west"},
               {"w3", "west"},
               {"w4", "west"},
               {"e1", "east"},
               {"e2", "east"},
               {"e3", "east"},
               {"e4", "east"}},
              {{"west", 3}, {"east", 3}});
}
}  // namespace

TEST_CASE("LOCAL_QUORUM puts ask the local replicas only, need a local quorum and ship to the other DC") {
  RingView view = TwoDcs();
  QuorumSpec spec;
  spec.level = Consistency::kLocalQuorum;
  Targets t = PlaceKey(view, "k", 6);
  REQUIRE(t.replicas.size() == 6);
  REQUIRE(PlaceForDcs(view, "west", /*for_get=*/false, &spec, &t).ok());
  CHECK(spec.n == 6);
  CHECK(spec.need_per_dc == std::map<std::string, int>{{"west", 2}});
  CHECK(spec.ship_to_dcs == std::vector<std::string>{"east"});
  CHECK(t.replicas.size() == 3);
  CHECK(std::all_of(t.replicas.begin(), t.replicas.end(), [](const Replica& r) { return r.dc == "west"; }));
  REQUIRE(t.fallbacks.size() == 2);
  CHECK(t.fallbacks.front().dc == "west");  // hints land locally first
}

TEST_CASE("LOCAL_QUORUM reads need R from the local DC only") {
  RingView view = TwoDcs();
  QuorumSpec spec;
  spec.level = Consistency::kLocalQuorum;
  Targets t = PlaceKey(view, "k", 6);
  REQUIRE(PlaceForDcs(view, "east", /*for_get=*/true, &spec, &t).ok());
  CHECK(spec.r == 2);
  CHECK(spec.need_per_dc.empty());
  CHECK(spec.ship_to_dcs.empty());
  CHECK(t.replicas.size() == 3);
}

TEST_CASE("EACH_QUORUM needs a quorum in every DC and asks every replica") {
  RingView view = TwoDcs();
  QuorumSpec spec;
  spec.level = Consistency::kEachQuorum;
  Targets t = PlaceKey(view, "k", 6);
  REQUIRE(PlaceForDcs(view, "west", false, &spec, &t).ok());
  CHECK(spec.need_per_dc == std::map<std::string, int>{{"east", 2}, {"west", 2}});
  CHECK(spec.w == 4);
  CHECK(t.replicas.size() == 6);
  CHECK(t.replicas.front().dc == "west");  // a local replica coordinates
}

TEST_CASE("with per-DC replication and no level the default is LOCAL_QUORUM, explicit W is capped at N") {
  RingView view = TwoDcs();
  QuorumSpec def;
  Targets t = PlaceKey(view, "k", 6);
  REQUIRE(PlaceForDcs(view, "west", false, &def, &t).ok());
  CHECK(def.need_per_dc == std::map<std::string, int>{{"west", 2}});

  QuorumSpec explicit_w;
  explicit_w.explicit_wr = true;
  explicit_w.w = 9;
  Targets t2 = PlaceKey(view, "k", 6);
  REQUIRE(PlaceForDcs(view, "west", false, &explicit_w, &t2).ok());
  CHECK(explicit_w.w == 6);
  CHECK(explicit_w.need_per_dc.empty());
}

TEST_CASE("a LOCAL level without a local DC holding replicas is refused") {
  RingView view = TwoDcs();
  QuorumSpec spec;
  spec.level = Consistency::kLocalOne;
  Targets t = PlaceKey(view, "k", 6);
  Status st = PlaceForDcs(view, "north", false, &spec, &t);
  CHECK(st.IsInvalidArgument());
  CHECK_THAT(st.message(), Catch::Contains("local_dc") && Catch::Contains("north"));
}
