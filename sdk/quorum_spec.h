#pragma once
// QuorumSpec: what one request needs — N, W/R (or acks per DC), consistency level, sloppy
// or strict, timeouts — and the RouteHeader it carries. Built by the client from its
// options and the request's (Client::Impl::Spec), refined by placement
// (sdk/placement.h), counted against by the tallies (sdk/put_tally.h, sdk/get_tally.h).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ringkv/client.h"

namespace ringkv::sdk {

// What every routed request carries: the cluster and the ring version it was routed with.
struct RouteHeader {
  std::string cluster;
  uint64_t ring_version = 0;
};

struct QuorumSpec {
  int n = 3;
  int w = 2;
  int r = 2;
  bool lww = false;  // the namespace's conflict mode: how a get merges the replicas' answers
  bool sloppy = true;
  std::chrono::milliseconds timeout{2000};
  std::chrono::milliseconds replica_timeout{500};
  RouteHeader header;
  std::optional<Consistency> level;  // as asked; placement may turn it into need_per_dc
  bool explicit_wr = false;          // W or R given as numbers
  // Multi-DC: acks (puts) or replies (gets) needed per DC, counted by the DC of the replica
  // they stand for; when set, it replaces w/r as the condition for success.
  std::map<std::string, int> need_per_dc;
  // Multi-DC LOCAL_* puts: the remote DCs the coordinator must ship the write to (the
  // targets then hold the local DC's replicas only).
  std::vector<std::string> ship_to_dcs;
  // Test knob for a simulated WAN: a call to a node outside `local_dc` waits this long first.
  std::chrono::milliseconds wan_delay{0};
  std::string local_dc;
  // Added to the system clock wherever this client reads the time (ClientOptions::clock_offset):
  // a get hides values that have expired by it.
  std::chrono::milliseconds clock_offset{0};
};

// This client's wall clock, ms since the epoch, shifted by `offset` (never below 1): the
// stamp of its writes and the time its reads expire values by.
uint64_t ClientWallMs(std::chrono::milliseconds offset);

}  // namespace ringkv::sdk
