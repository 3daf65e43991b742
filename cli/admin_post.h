#pragma once
// PostToAdmin: how kv reports to the nodes' admin endpoints (`kv autoscale --report-to`
// posts its decisions to /v1/autoscale, `kv verify --report-to` its results to /v1/verify),
// which keep them for their dashboards and /metrics. Plain HTTP, one request per call,
// bounded by a 2 s deadline.

#include <string>

#include "ringkv/status.h"

namespace ringkv::cli {

// POSTs the JSON `body` to http://`address``path` (address: host:port), with
// "Authorization: Bearer `token`" when the token is not empty. OK on HTTP 200; otherwise an
// error saying why it was not recorded (InvalidArgument for an address without a port,
// IOError with the status and body of another answer, Unavailable when nothing answered).
Status PostToAdmin(const std::string& address, const std::string& path, const std::string& body,
                   const std::string& token);

}  // namespace ringkv::cli
