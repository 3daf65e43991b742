#pragma once
// The Dynamo paper's Table 2 form for cluster_bench --tail: average and p99.9 latency of
// reads (get-only) and writes (put-only) at N=3 W=2 R=2 on the running local cluster,
// fault-free, with one replica slowed by the node's test hook (its data replies held back
// `slow_ms`, admin /test/reply-delay) and with one replica paused (SIGSTOP). With
// hedging "both" each condition is measured with the client's hedging on and off,
// interleaved (off = the behaviour before latency-aware replica choice: every replica
// asked at once, the next coordinator only after replica_timeout). The preload is compacted
// first; the conditions then take turns within each repeat (each repeat starting with the
// next condition), and after each the bench waits
// for every hint to be delivered, so no condition meets another's backlog. Printed: the
// table (medians), throughput, and the issue 15 goals as ratios to fault-free (the median of
// each repeat's ratio to its own fault-free run): get p99.9 <= 2x and throughput >= 0.8x,
// put p99.9 <= 3x.

#include <cstdint>
#include <string>

#include "tests/cluster/local_cluster.h"

namespace ringkv::bench {

struct TailOptions {
  uint64_t ops = 20000;  // per run
  int concurrency = 64;
  int value_size = 100;
  uint64_t keys = 100000;
  int repeat = 3;
  int slow_ms = 20;
  std::string hedging = "both";  // on, off or both
};

// REQUIRES: a running cluster of at least 3 nodes built with the test hooks (admin /test/*).
// Returns a process exit status (0 when it ran, whether or not the goals were met).
int RunTailTable(testing::LocalCluster& cluster, const TailOptions& options);

}  // namespace ringkv::bench
