#pragma once
// VerifySummary: the figures of one `kv verify` run, as they travel from the verifier to
// the nodes (POST /v1/verify) and back out (GET /v1/verify, the dashboard, the
// ringkv_verify_* metrics). common/verify_summary_json.h is their one JSON codec.

#include <cstdint>
#include <string>

namespace ringkv {

struct VerifySummary {
  int64_t time_ms = 0;  // when the run ended (Unix ms, the verifier's clock)
  std::string ns;       // the namespace the canary keys lived in
  double seconds = 0;   // how long the workload ran
  uint64_t ops = 0, failed_ops = 0, acked_writes = 0, reads = 0;
  uint64_t lost = 0, phantom = 0, stale = 0, resurrected = 0;
  // Over the stale reads: how long before each read began the write it missed had been
  // acknowledged, the largest and the median (0 without stale reads).
  double staleness_max_ms = 0, staleness_median_ms = 0;

  // No acknowledged write lost, no value made up or brought back. Stale reads are reported,
  // not failed: a level below quorum (or a sloppy quorum under failures) allows them.
  bool consistent() const { return lost == 0 && phantom == 0 && resurrected == 0; }
};

}  // namespace ringkv
