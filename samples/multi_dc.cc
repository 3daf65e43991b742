// multi_dc: one application instance per datacenter, each writing and reading at
// LOCAL_QUORUM (the multi-DC default), so neither ever waits on the WAN.
//   multi_dc HOST:PORT[,...]
// The cluster's nodes must be started with per-DC replication, e.g.
//   kvnode ... --dc west --dc-replication west:3,east:3 --seeds n1@127.0.0.1:7001/west,...,n4@127.0.0.4:7001/east,...
// (scripts/cluster.sh up -n 6 --dcs west,east does exactly that).
//
// 1. a client in each DC (ClientOptions::local_dc)
// 2. the west writes at LOCAL_QUORUM: acked by two west replicas; the coordinator ships
//    the version to the east, where it shows up shortly after
// 3. both DCs write the same key from the same version: siblings everywhere, merged once
// 4. EACH_QUORUM when a write must be in both DCs before the app goes on

#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <thread>

#include "ringkv/client.h"
#include "sample_util.h"

using namespace ringkv;

namespace {

int Fail(const char* step, const Status& s) { return samples::Fail("multi_dc", step, s); }

// Reads `key` from `client` until it has `want` values (bounded), or gives up.
Result<GetResult> WaitFor(Client& client, const std::string& key, size_t want) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    auto got = client.Get(key);
    if (!got.ok() && got.status().code() != StatusCode::kNotFound) return got;
    if (got.ok() && got->values.size() >= want) return got;
    if (std::chrono::steady_clock::now() > deadline) return Status::TimedOut(key + " did not arrive");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

int main(int argc, char** argv) {
  ClientOptions options = samples::OptionsFromArgs(argc, argv);
  auto probe = Client::Connect(options);
  if (!probe.ok()) return Fail("connect", probe.status());
  std::set<std::string> dcs;
  for (const RingMember& m : (*probe)->Members()) dcs.insert(m.dc);
  if (dcs.size() != 2) {
    std::fprintf(stderr, "multi_dc: needs a cluster of exactly two DCs (found %zu)\n", dcs.size());
    return 2;
  }
  std::string west_dc = *dcs.begin(), east_dc = *dcs.rbegin();
  options.local_dc = west_dc;
  auto west = Client::Connect(options);
  options.local_dc = east_dc;
  auto east = Client::Connect(options);
  if (!west.ok() || !east.ok()) return Fail("connect", west.ok() ? east.status() : west.status());
  std::printf("1. clients in %s and %s\n", west_dc.c_str(), east_dc.c_str());

  const std::string key = "profile:" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  auto start = std::chrono::steady_clock::now();
  auto put = (*west)->Put(key, "theme=dark");
  if (!put.ok()) return Fail("local put", put.status());
  double put_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  auto seen = WaitFor(**east, key, 1);
  if (!seen.ok()) return Fail("read in the other DC", seen.status());
  double seen_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("2. %s wrote %s at LOCAL_QUORUM in %.2f ms (%d acks); %s read it %.0f ms after the write\n",
              west_dc.c_str(), key.c_str(), put_ms, put->acks, east_dc.c_str(), seen_ms);

  // Both DCs update the profile from the same version, without hearing of each other.
  auto a = (*west)->PutAsync(key, "theme=dark;lang=en", seen->context);
  auto b = (*east)->PutAsync(key, "theme=light", seen->context);
  if (Status s = a.get().status(); !s.ok()) return Fail("west update", s);
  if (Status s = b.get().status(); !s.ok()) return Fail("east update", s);
  auto both = WaitFor(**west, key, 2);
  if (!both.ok()) return Fail("siblings", both.status());
  std::printf("3. concurrent updates in both DCs: %zu siblings [%s] [%s]\n", both->values.size(),
              both->values[0].c_str(), both->values[1].c_str());
  RequestOptions each;
  each.level = Consistency::kEachQuorum;
  auto merged = (*west)->Put(key, "theme=light;lang=en", both->context, each);
  if (!merged.ok()) return Fail("merge at EACH_QUORUM", merged.status());
  auto after = (*east)->Get(key);
  if (!after.ok()) return Fail("read merge", after.status());
  std::printf("4. merge written at EACH_QUORUM (a quorum in both DCs before the ack): %s reads [%s]\n", east_dc.c_str(),
              after->values.empty() ? "" : after->values[0].c_str());

  bool ok = both->values.size() == 2 && after->values == std::vector<std::string>{"theme=light;lang=en"};
  std::printf("%s\n", ok ? "multi_dc ok" : "multi_dc: UNEXPECTED RESULT");
  return ok ? 0 : 1;
}
