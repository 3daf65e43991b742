#include "node/rpc/verify_log.h"

#include <cmath>

namespace ringkv {
namespace {

bool NonNegative(double x) { return std::isfinite(x) && x >= 0; }

}  // namespace

Status VerifyLog::Record(VerifySummary result) {
  if (result.ns.size() > kMaxNamespace) {
    return Status::InvalidArgument("a verify result's namespace is over 64 bytes");
  }
  if (!NonNegative(result.seconds) || !NonNegative(result.staleness_max_ms) ||
      !NonNegative(result.staleness_median_ms)) {
    return Status::InvalidArgument("a verify result's seconds and staleness must be finite and not negative");
  }
  bool consistent = result.consistent();
  MutexLock lock(&mu_);
  ++runs_;
  if (!consistent) ++inconsistent_;
  recent_.push_back(std::move(result));
  while (recent_.size() > kKept) recent_.pop_front();
  return Status::OK();
}

std::vector<VerifySummary> VerifyLog::Recent() const {
  MutexLock lock(&mu_);
  return {recent_.begin(), recent_.end()};
}

uint64_t VerifyLog::runs() const {
  MutexLock lock(&mu_);
  return runs_;
}

uint64_t VerifyLog::inconsistent_runs() const {
  MutexLock lock(&mu_);
  return inconsistent_;
}

std::vector<MetricSample> VerifySamples(const VerifyLog& log) {
  std::vector<MetricSample> out;
  uint64_t runs = log.runs(), inconsistent = log.inconsistent_runs();
  const char* runs_help = "consistency checks (kv verify --report-to) posted to this node, by result";
  out.push_back({"verify_runs_total", "result=\"consistent\"", static_cast<double>(runs - inconsistent),
                 MetricSample::kCounter, runs_help});
  out.push_back({"verify_runs_total", "result=\"inconsistent\"", static_cast<double>(inconsistent),
                 MetricSample::kCounter, runs_help});
  std::vector<VerifySummary> recent = log.Recent();
  if (recent.empty()) return out;
  const VerifySummary& last = recent.back();
  auto gauge = [&out](const char* name, double v, const char* help) {
    out.push_back({name, "", v, MetricSample::kGauge, help});
  };
  gauge("verify_lost", static_cast<double>(last.lost), "the last kv verify run: acknowledged writes lost");
  gauge("verify_phantom", static_cast<double>(last.phantom), "the last kv verify run: values read that nobody wrote");
  gauge("verify_stale_reads", static_cast<double>(last.stale),
        "the last kv verify run: reads that missed a write acknowledged before they began");
  gauge("verify_resurrected", static_cast<double>(last.resurrected),
        "the last kv verify run: replaced values that came back");
  gauge("verify_ops", static_cast<double>(last.ops), "the last kv verify run: operations of its canary workload");
  gauge("verify_failed_ops", static_cast<double>(last.failed_ops),
        "the last kv verify run: operations that failed (refused or timed out, not lost)");
  gauge("verify_staleness_max_ms", last.staleness_max_ms,
        "the last kv verify run: the most a stale read lagged behind the write it missed, ms");
  gauge("verify_staleness_median_ms", last.staleness_median_ms,
        "the last kv verify run: the median lag of its stale reads, ms");
  gauge("verify_last_run_timestamp_seconds", static_cast<double>(last.time_ms) / 1000.0,
        "when the last kv verify run posted here ended (Unix time)");
  return out;
}

}  // namespace ringkv
