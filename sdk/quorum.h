#pragma once
// The SDK's quorum coordination for one request, on the client's event loop.
//
// Put: the first reachable replica of the preference list coordinates (gives the write its
// dot and stores it); the resulting versioned value then goes to the other replicas in
// parallel. Succeeds once W replicas (the coordinator included) have it; replicas that
// answer later still get it. Fails with QuorumNotReached{acked, W} when too many replicas
// fail, or when the timeout passes first.
//
// Get: asks every replica of the preference list, returns once R have answered, merging
// their versioned values (concurrent versions stay as siblings). When all have answered
// (or at the timeout), replicas whose state differs from the merge get the merged value
// (read repair).

#include <kj/async.h>
#include <kj/timer.h>

#include <string>
#include <vector>

#include "common/vector_clock.h"
#include "sdk/client.h"
#include "sdk/connection_pool.h"
#include "sdk/request_batcher.h"

namespace ringkv::sdk {

struct Replica {
  std::string id;
  std::string address;
};

struct QuorumSpec {
  int n = 3;
  int w = 2;
  int r = 2;
  bool lww = false;
  std::chrono::milliseconds timeout{2000};
  std::string cluster_name;
};

struct RequestEnv {
  ConnectionPool* pool;
  RequestBatcher* batcher;  // gets and replicates go through it, coalesced per node
  kj::Timer* timer;
};

kj::Promise<Result<PutResult>> QuorumPut(RequestEnv env, std::vector<Replica> replicas, std::string key,
                                         Sibling write, VersionVector context, QuorumSpec spec);

kj::Promise<Result<GetResult>> QuorumGet(RequestEnv env, std::vector<Replica> replicas, std::string key,
                                         QuorumSpec spec);

// The app's view of a merged versioned value.
GetResult ToGetResult(const SiblingSet& merged, int replies);

}  // namespace ringkv::sdk
