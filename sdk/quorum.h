#pragma once
// The SDK's quorum coordination for one request, on the client's event loop.
//
// Replica choice (with ClientOptions::hedging on, sdk/replica_choice.h): requests ask the
// fastest replicas by the client's latency estimates (RequestEnv::latency, which times every
// call made here) and hedge to another after the hedge delay.
//
// Put: the fastest reachable replica coordinates (gives the write its dot and stores it); if
// it has not answered within the hedge delay the next replica coordinates the same write too
// (same write id: one version), and the first to answer continues the put. The context
// carries the writes the client read, which the write supersedes by id as well as by dot. The resulting versioned value
// then goes to the other replicas in parallel. A replica that is known down, fails, or does not answer within
// `replica_timeout` gets the value as a hint instead: it goes to the next healthy node
// clockwise (a fallback), which keeps it apart from its own data and hands it over once
// the replica is back (sloppy quorum + hinted handoff). W counts distinct nodes that hold
// the write, as a replica or as a hint holder; strict mode (sloppy = false) counts
// replicas only. When no replica can coordinate, a fallback coordinates into a hint.
// Nodes that will become replicas when a join or leave finishes (`pending`) get every
// write too and must all ack, so a handover loses nothing. The put fails with
// QuorumNotReached{acked, W} once every attempt has settled short of W, or at the timeout.
//
// Get: asks the R fastest replicas (all at ALL; per DC each DC's need), and the next one
// after the hedge delay or at once when one fails (hedging off: every replica at once);
// returns once R have answered, merging their versioned values (concurrent versions stay as
// siblings). When every replica asked has answered (or at the timeout), those whose state
// differs from the merge get the merged value (read repair).
//
// Errors (ringkv/client.h): TimedOut when the request's timeout passes first; Unavailable when
// every replica asked failed to connect; QuorumNotReached otherwise. The message names each
// replica once, with its final outcome (and the hint placed for it, if any).
//
// The counting — who holds the write, per DC, pending replicas, when a request has enough
// or never can — is in the pure tallies (sdk/put_tally.h, sdk/get_tally.h), the targets
// come from sdk/placement.h; this file does the calls and reports to them.
//
// A node whose ring is newer than the request's answers StaleRing; the request ends with
// that status so the client can refresh its ring and retry.

#include <kj/async.h>
#include <kj/timer.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "capnp/connection_pool.h"
#include "common/vector_clock.h"
#include "ringkv/client.h"
#include "sdk/hedge_budget.h"
#include "sdk/internal_errors.h"
#include "sdk/latency_tracker.h"
#include "sdk/outstanding_writes.h"
#include "sdk/placement.h"
#include "sdk/quorum_spec.h"
#include "sdk/request_batcher.h"
#include "sdk/request_trace.h"

namespace ringkv::sdk {

struct RequestEnv {
  wire::ConnectionPool* pool;
  RequestBatcher* batcher;  // every call goes through it, coalesced per node
  kj::Timer* timer;
  InternalErrors* errors;                    // an exception inside a request fails it at once, logged and counted here
  MetricsRecorder* metrics;                  // every replica call is counted here as it settles
  std::shared_ptr<RequestTrace> trace;       // the request's span, if traced: each replica call gets one too
  LatencyTracker* latency = nullptr;         // every replica call is timed here; null: not timed, not hedged
  HedgingOptions hedging;                    // the replica choice and hedge delays (ringkv/client.h)
  HedgeBudget* hedge_budget = nullptr;       // every hedge spends from it; null: hedges are not capped
  OutstandingWrites* outstanding = nullptr;  // a put is counted until its last call settles; null: not

  ReplicaCallReport Report(ReplicaCall call, const Replica& to, std::string_view hint_for = {}) const {
    return ReplicaCallReport(metrics, trace.get(), call, to, hint_for);
  }
};

kj::Promise<Result<PutResult>> QuorumPut(RequestEnv env, Targets targets, std::string key, Sibling write,
                                         CausalContext context, QuorumSpec spec);

kj::Promise<Result<GetResult>> QuorumGet(RequestEnv env, std::vector<Replica> replicas, std::string key,
                                         QuorumSpec spec);

// The app's view of a merged versioned value.
GetResult ToGetResult(const SiblingSet& merged, int replies);

}  // namespace ringkv::sdk
