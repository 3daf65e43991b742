#pragma once
// VerifyReport: what one `kv verify` run found, from the consistency checker's report on its
// canary workload, and its two renderings: the text an operator reads and the JSON that
// --json prints and --report-to posts to the nodes' admin endpoints (POST /v1/verify, whose
// fields node/admin/admin_routes.h lists; the nodes export them as ringkv_verify_* metrics).
// Pure: no I/O.

#include <cstdint>
#include <string>
#include <vector>

#include "cli/consistency_checker.h"

namespace ringkv::cli {

struct VerifyReport {
  int64_t time_ms = 0;  // when the run ended (Unix ms)
  std::string ns;       // the namespace of the canary keys
  double seconds = 0;   // how long the workload ran
  size_t keys = 0, concurrency = 0;
  uint64_t ops = 0, failed_ops = 0, acked_writes = 0, reads = 0;
  uint64_t lost = 0, phantom = 0, stale = 0, resurrected = 0;
  double staleness_max_ms = 0, staleness_median_ms = 0;  // over the stale reads (0 without)
  uint64_t final_reads_at_quorum = 0;                    // keys whose final read at ALL failed and was made at quorum
  uint64_t keys_cleaned = 0, keys_left = 0;  // canary keys deleted afterwards, and those whose delete failed
  std::vector<std::string> violations;       // "lost canary-...: ..." for the first kMaxListed

  static constexpr size_t kMaxListed = 10;

  // No acknowledged write lost, no value made up or brought back (stale reads are allowed:
  // a level below quorum, or a sloppy quorum under failures, gives them).
  bool consistent() const { return lost == 0 && phantom == 0 && resurrected == 0; }
};

// The report of a run from the checker's: `history` is what the workload did.
VerifyReport MakeVerifyReport(const consistency::CheckReport& check, const std::vector<consistency::Op>& history);

// "consistent: 1210 ops (...) in 5.0 s on 16 keys of namespace ringkv-verify: lost 0, ..."
// and one line per listed violation.
std::string VerifyText(const VerifyReport& report);
// One JSON object (no newline): the POST /v1/verify fields plus consistent, keys,
// concurrency, final_reads_at_quorum, keys_cleaned, keys_left and violations.
std::string VerifyJson(const VerifyReport& report);

}  // namespace ringkv::cli
