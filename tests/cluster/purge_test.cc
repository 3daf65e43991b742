// Issue 13, "Deletes that stay deleted": a tombstone is purged only when its node knows
// every replica holds it (node/repair/purge_guard.h), never by age alone.
//
// The case that fails in stores that purge after a fixed grace (Cassandra's gc_grace): one
// replica is down while a key is deleted on the other two; the grace passes and they
// compact; the replica comes back holding the old value (or wiped); repair must not spread
// the old value. The nodes' wall clocks are moved past the grace through the test-only
// admin endpoint /test/clock (common/offset_clock.h), and compactions are run now through
// /test/compact, so no case waits for real time.

#include <chrono>
#include <cstdint>
#include <string>

#include <catch2/catch.hpp>

#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/http_client.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;

namespace {

// Past the default namespace's tombstone grace (10 days) and the hint window (3 h).
constexpr int64_t kPastGraceMs = int64_t{11} * 24 * 3600 * 1000;

// The integer after "name": in a JSON body, or -1.
int64_t JsonInt(const std::string& body, const std::string& name) {
  auto at = body.find("\"" + name + "\":");
  if (at == std::string::npos) return -1;
  return std::stoll(body.substr(at + name.size() + 3));
}

void SetClockOffset(const LocalCluster& cluster, int i, int64_t offset_ms) {
  auto reply = HttpGet(cluster.admin_address(i), "/test/clock?offset_ms=" + std::to_string(offset_ms));
  INFO((reply.ok() ? reply->body : reply.status().ToString()));
  REQUIRE((reply.ok() && reply->status == 200));
}

struct Compaction {
  int64_t dropped = 0;  // tombstones dropped since the node started
  int64_t awaiting = 0;
  int64_t bytes = 0;  // tables and blob files after it
};

Compaction Compact(const LocalCluster& cluster, int i) {
  auto body = CompactNode(cluster, i);
  INFO(body.status().ToString());
  REQUIRE(body.ok());
  return {JsonInt(*body, "tombstones_dropped"), JsonInt(*body, "tombstones_awaiting_proof"),
          JsonInt(*body, "table_bytes") + JsonInt(*body, "blob_bytes")};
}

// Repair initiated by every node with every peer; retried until all are up for it.
void RepairFromEveryNode(Client& client, const LocalCluster& cluster) {
  for (int i = 0; i < cluster.size(); ++i) {
    Status last;
    bool done = Eventually(30s, [&] {
      auto r = client.Repair(cluster.id(i));
      last = r.status();
      return r.ok();
    });
    INFO("repair from " << cluster.id(i) << ": " << last.ToString());
    REQUIRE(done);
  }
}

// K is absent at every level and on every replica, read directly.
void RequireDeletedEverywhere(Client& client, const LocalCluster& cluster, const std::string& key) {
  for (Consistency level : {Consistency::kOne, Consistency::kQuorum, Consistency::kAll}) {
    RequestOptions o;
    o.level = level;
    auto got = client.Get(key, o);
    INFO("level " << static_cast<int>(level) << ": " << (got.ok() ? "" : got.status().ToString()));
    REQUIRE(got.ok());
    CHECK_FALSE(got->found);
  }
  for (int i = 0; i < cluster.size(); ++i) {
    auto held = ReadReplicaDirectly(cluster.address(i), key);
    INFO(cluster.id(i) << " holds "
                       << (held.ok() ? std::to_string(held->size()) + " values" : held.status().ToString()));
    CHECK(((!held.ok() && held.status().IsNotFound()) || (held.ok() && held->empty())));
  }
}

enum class Comeback { kWithOldValue, kWiped };
// How the key goes while the replica is away: a delete, or a newer value with a TTL that
// expires (an expired value is deleted at its expiry and purged by the same rule).
enum class Gone { kDeleted, kExpired };

void ReplicaDownPastGrace(Comeback comeback, Gone gone = Gone::kDeleted) {
  auto cluster = StartCluster(FastCluster(3));
  auto client = ConnectTo(*cluster);
  const std::string key = "deleted-while-away";
  RequestOptions all;
  all.level = Consistency::kAll;
  REQUIRE(client->Put(key, "old value", {}, all).ok());

  constexpr int kAway = 2;
  REQUIRE(cluster->Stop(kAway).ok());
  auto read = client->Get(key);
  REQUIRE(read.ok());
  if (gone == Gone::kDeleted) {
    REQUIRE(client->Delete(key, read->context).ok());  // W=2: the two that are up
  } else {
    RequestOptions expiring;
    expiring.ttl = 1h;  // long expired once the clocks move on by the grace
    REQUIRE(client->Put(key, "newer, expiring value", read->context, expiring).ok());
  }

  // The grace passes (and the hints for the away replica expire); the two compact.
  for (int i : {0, 1}) SetClockOffset(*cluster, i, kPastGraceMs);
  for (int i : {0, 1}) {
    Compaction c = Compact(*cluster, i);
    INFO(cluster->id(i) << ": no proof that " << cluster->id(kAway) << " holds the tombstone");
    CHECK(c.dropped == 0);
    CHECK(c.awaiting >= 1);
  }

  if (comeback == Comeback::kWiped) REQUIRE(cluster->Wipe(kAway).ok());
  REQUIRE(cluster->Restart(kAway).ok());
  SetClockOffset(*cluster, kAway, kPastGraceMs);
  RepairFromEveryNode(*client, *cluster);
  RequireDeletedEverywhere(*client, *cluster, key);

  // With every replica repaired with, the proof is complete: the tombstone goes — once
  // gossip has told the node of the returned replica's new incarnation, which the sessions
  // were recorded under (until then the proof is not current, and nothing is purged).
  for (int i : {0, 1}) {
    Compaction c;
    bool purged = Eventually(20s, [&] {
      c = Compact(*cluster, i);
      return c.dropped >= 1 && c.awaiting == 0;
    });
    INFO(cluster->id(i) << ": " << c.dropped << " tombstones dropped, " << c.awaiting << " awaiting proof");
    CHECK(purged);
  }
  RepairFromEveryNode(*client, *cluster);
  RequireDeletedEverywhere(*client, *cluster, key);
}

}  // namespace

TEST_CASE("a key deleted while a replica was down past the grace stays deleted when it returns with the old value",
          "[cluster][purge]") {
  ReplicaDownPastGrace(Comeback::kWithOldValue);
}

TEST_CASE("a key deleted while a replica was down past the grace stays deleted when it returns wiped",
          "[cluster][purge]") {
  ReplicaDownPastGrace(Comeback::kWiped);
}

TEST_CASE("tombstones do not pile up: repeated delete, repair and compaction cycles return to the live data's size",
          "[cluster][purge]") {
  auto cluster = StartCluster(FastCluster(3));
  constexpr int kLive = 300, kChurn = 300, kCycles = 3;
  const std::string value(1000, 'v');
  RequestOptions all;
  all.level = Consistency::kAll;

  int64_t offset = 0;
  auto client = ConnectTo(*cluster);
  for (int k = 0; k < kLive; ++k) REQUIRE(client->Put("live-" + std::to_string(k), value, {}, all).ok());
  int64_t live_bytes = 0;
  for (int i = 0; i < cluster->size(); ++i) live_bytes += Compact(*cluster, i).bytes;
  REQUIRE(live_bytes > 0);

  int64_t bytes = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    ClientOptions options;
    options.clock_offset = std::chrono::milliseconds(offset);  // the nodes' clocks moved: stamp writes alike
    auto writer = ConnectTo(*cluster, options);
    for (int k = 0; k < kChurn; ++k) {
      std::string key = "churn-" + std::to_string(cycle) + "-" + std::to_string(k);
      REQUIRE(writer->Put(key, value, {}, all).ok());
      auto read = writer->Get(key);
      REQUIRE(read.ok());
      REQUIRE(writer->Delete(key, read->context, all).ok());
    }
    RepairFromEveryNode(*writer, *cluster);  // the proof: sessions begun after the deletes
    offset += kPastGraceMs;
    for (int i = 0; i < cluster->size(); ++i) SetClockOffset(*cluster, i, offset);
    bytes = 0;
    for (int i = 0; i < cluster->size(); ++i) {
      Compaction c = Compact(*cluster, i);
      CHECK(c.awaiting == 0);
      bytes += c.bytes;
    }
  }
  INFO("live data " << live_bytes << " bytes, after " << kCycles << " cycles " << bytes << " bytes");
  CHECK(bytes * 10 <= live_bytes * 11);
}

TEST_CASE("a value that expired while a replica was down past the grace stays gone when it returns with an older value",
          "[cluster][purge]") {
  ReplicaDownPastGrace(Comeback::kWithOldValue, Gone::kExpired);
}
