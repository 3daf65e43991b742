#pragma once
// VerifyLog: the results of the consistency checks (`kv verify --report-to`) posted to this
// node's admin endpoint (POST /v1/verify), kept so that the dashboard, GET /v1/verify and
// /metrics show them. Memory only, the last kKept runs: a restart forgets them (kv verify's
// own output is the record). The node acts on none of it. Thread-safe.

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "common/verify_summary.h"
#include "node/rpc/metrics.h"
#include "ringkv/status.h"

namespace ringkv {

class VerifyLog {
 public:
  static constexpr size_t kKept = 16;
  static constexpr size_t kMaxNamespace = 64;  // bytes (kMaxNamespaceNameBytes)

  // InvalidArgument (nothing kept) for a namespace over kMaxNamespace bytes, or a negative
  // or non-finite duration or staleness.
  Status Record(VerifySummary result);
  std::vector<VerifySummary> Recent() const;  // oldest first
  // Runs recorded since the node started, and of them those that were not consistent().
  uint64_t runs() const;
  uint64_t inconsistent_runs() const;

 private:
  mutable Mutex mu_;
  std::deque<VerifySummary> recent_ GUARDED_BY(mu_);
  uint64_t runs_ GUARDED_BY(mu_) = 0;
  uint64_t inconsistent_ GUARDED_BY(mu_) = 0;
};

// The log as metrics (names without the ringkv_ prefix): verify_runs_total by result
// (consistent, inconsistent), and the last run's figures as gauges (verify_lost,
// verify_phantom, verify_stale_reads, verify_resurrected, verify_ops, verify_failed_ops,
// verify_staleness_max_ms, verify_staleness_median_ms, verify_last_run_timestamp_seconds);
// the gauges are absent until a run was recorded.
std::vector<MetricSample> VerifySamples(const VerifyLog& log);

}  // namespace ringkv
