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
#include "common/verify_summary.h"

namespace ringkv::cli {

// The summary the nodes keep (common/verify_summary.h), and what only kv verify shows.
struct VerifyReport : VerifySummary {
  size_t keys = 0, concurrency = 0;
  uint64_t final_reads_at_quorum = 0;        // keys whose final read at ALL failed and was made at quorum
  uint64_t keys_cleaned = 0, keys_left = 0;  // canary keys deleted afterwards, and those whose delete failed
  std::vector<std::string> violations;       // "lost canary-...: ..." for the first kMaxListed

  static constexpr size_t kMaxListed = 10;
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
