#include "common/verify_summary_json.h"

namespace ringkv {

namespace json = boost::json;

namespace {

// The figure under `key`: a non-negative integer (absent: 0).
bool Count(const json::object& o, const char* key, uint64_t* out) {
  const json::value* v = o.if_contains(key);
  if (!v) return true;
  if (v->is_uint64())
    *out = v->as_uint64();
  else if (v->is_int64() && v->as_int64() >= 0)
    *out = static_cast<uint64_t>(v->as_int64());
  else
    return false;
  return true;
}

// A number under `key` (absent: 0), integer or not.
bool Number(const json::object& o, const char* key, double* out) {
  const json::value* v = o.if_contains(key);
  if (!v) return true;
  if (!v->is_number()) return false;
  *out = v->to_number<double>();
  return true;
}

}  // namespace

json::object VerifySummaryJson(const VerifySummary& s) {
  return json::object{{"time_ms", s.time_ms},
                      {"namespace", s.ns},
                      {"seconds", s.seconds},
                      {"ops", s.ops},
                      {"failed_ops", s.failed_ops},
                      {"acked_writes", s.acked_writes},
                      {"reads", s.reads},
                      {"lost", s.lost},
                      {"phantom", s.phantom},
                      {"stale", s.stale},
                      {"resurrected", s.resurrected},
                      {"staleness_max_ms", s.staleness_max_ms},
                      {"staleness_median_ms", s.staleness_median_ms},
                      {"consistent", s.consistent()}};
}

Result<VerifySummary> VerifySummaryFromJson(const json::object& o) {
  VerifySummary s;
  if (const json::value* t = o.if_contains("time_ms"); t && t->is_int64()) s.time_ms = t->as_int64();
  if (const json::value* n = o.if_contains("namespace"); n && n->is_string()) s.ns = std::string(n->as_string());
  bool ok = Number(o, "seconds", &s.seconds) && Count(o, "ops", &s.ops) && Count(o, "failed_ops", &s.failed_ops) &&
            Count(o, "acked_writes", &s.acked_writes) && Count(o, "reads", &s.reads) && Count(o, "lost", &s.lost) &&
            Count(o, "phantom", &s.phantom) && Count(o, "stale", &s.stale) && Count(o, "resurrected", &s.resurrected) &&
            Number(o, "staleness_max_ms", &s.staleness_max_ms) &&
            Number(o, "staleness_median_ms", &s.staleness_median_ms);
  if (!ok) {
    return Status::InvalidArgument(
        "a verify result's counts must be non-negative integers, and seconds and staleness numbers");
  }
  return s;
}

}  // namespace ringkv
