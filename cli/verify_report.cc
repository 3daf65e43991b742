#include "cli/verify_report.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>

#include "common/verify_summary_json.h"

namespace ringkv::cli {

namespace json = boost::json;

VerifyReport MakeVerifyReport(const consistency::CheckReport& check, const std::vector<consistency::Op>& history) {
  VerifyReport r;
  r.ops = check.ops;
  r.failed_ops = static_cast<uint64_t>(
      std::count_if(history.begin(), history.end(), [](const consistency::Op& op) { return !op.ok; }));
  r.acked_writes = check.acked_puts + check.acked_deletes;
  r.reads = check.reads;
  r.lost = check.Count("lost");
  r.phantom = check.Count("phantom");
  r.stale = check.Count("stale");
  r.resurrected = check.Count("resurrected");
  r.staleness_max_ms = static_cast<double>(check.MaxStaleLag().count());
  r.staleness_median_ms = static_cast<double>(check.MedianStaleLag().count());
  for (const consistency::Violation& v : check.violations) {
    if (r.violations.size() == VerifyReport::kMaxListed) break;
    r.violations.push_back(v.kind + " " + v.key + ": " + v.detail);
  }
  return r;
}

std::string VerifyText(const VerifyReport& r) {
  char head[512];
  std::snprintf(head, sizeof head,
                "%s: %llu ops (%llu failed, %llu acknowledged writes, %llu reads checked for freshness) in %.1f s "
                "on %zu keys of namespace %s\n"
                "  lost %llu, phantom %llu, resurrected %llu, stale reads %llu (staleness max %.0f ms, median %.0f "
                "ms)\n",
                r.consistent() ? "consistent" : "INCONSISTENT", static_cast<unsigned long long>(r.ops),
                static_cast<unsigned long long>(r.failed_ops), static_cast<unsigned long long>(r.acked_writes),
                static_cast<unsigned long long>(r.reads), r.seconds, r.keys, r.ns.c_str(),
                static_cast<unsigned long long>(r.lost), static_cast<unsigned long long>(r.phantom),
                static_cast<unsigned long long>(r.resurrected), static_cast<unsigned long long>(r.stale),
                r.staleness_max_ms, r.staleness_median_ms);
  std::string out = head;
  if (r.final_reads_at_quorum > 0) {
    out += "  " + std::to_string(r.final_reads_at_quorum) +
           " keys were read at quorum at the end (a read at ALL failed: a replica is down)\n";
  }
  out += "  canary keys deleted: " + std::to_string(r.keys_cleaned);
  if (r.keys_left > 0) out += " (" + std::to_string(r.keys_left) + " could not be deleted and remain)";
  out += "\n";
  for (const std::string& v : r.violations) out += "  " + v + "\n";
  return out;
}

std::string VerifyJson(const VerifyReport& r) {
  json::array violations;
  for (const std::string& v : r.violations) violations.push_back(json::value(v));
  json::object o = VerifySummaryJson(r);
  o["keys"] = r.keys;
  o["concurrency"] = r.concurrency;
  o["final_reads_at_quorum"] = r.final_reads_at_quorum;
  o["keys_cleaned"] = r.keys_cleaned;
  o["keys_left"] = r.keys_left;
  o["violations"] = std::move(violations);
  return json::serialize(o);
}

}  // namespace ringkv::cli
