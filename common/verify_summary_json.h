#pragma once
// The JSON form of a VerifySummary: what `kv verify --json` prints (with more fields) and
// --report-to posts, and what a node's POST /v1/verify reads and GET /v1/verify answers.

#include <boost/json/object.hpp>

#include "common/verify_summary.h"
#include "ringkv/status.h"

namespace ringkv {

// time_ms, namespace, seconds, the counts, the staleness figures, and consistent.
boost::json::object VerifySummaryJson(const VerifySummary& summary);

// The same fields of a posted object, each optional (absent: 0; consistent is derived, not
// read). InvalidArgument when a count is not a non-negative integer, or seconds or a
// staleness figure not a number.
Result<VerifySummary> VerifySummaryFromJson(const boost::json::object& o);

}  // namespace ringkv
