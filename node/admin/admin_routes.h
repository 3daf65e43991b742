#pragma once
// The admin endpoint's handlers, apart from the HTTP server that carries them: a request
// line in, a status, content type and body out. Pure reads of thread-safe node state, so
// the Beast thread calls them directly; tests and fuzzers call them without sockets.
//
//   GET /            the dashboard page (embedded, no external resources)
//   GET /health      200 {"status":"ok"} or 503 {"status":"unavailable","reasons":[...]}
//   GET /metrics     Prometheus text format
//   GET /v1/members  members as this node's gossip sees them
//   GET /v1/ring     ring version, replication factor, each node's tokens and ownership
//   GET /v1/stats    the metrics as one JSON object {"name{labels}": value}
//   GET /v1/autoscale   the last decisions an autoscaler posted, and their counts by action
//   POST /v1/autoscale  an autoscaler's decision {"action","node","reason","time_ms"} (node/rpc/autoscale_log.h)
//   GET /v1/verify      the last consistency checks kv verify posted, and the run counts
//   POST /v1/verify     a kv verify run's result {"time_ms","namespace","seconds","ops","failed_ops",
//                       "acked_writes","reads","lost","phantom","stale","resurrected","staleness_max_ms",
//                       "staleness_median_ms"} (node/rpc/verify_log.h); missing figures count as 0
//
// With services.admin_token set, everything but /health answers 401 unless the request
// carries the token: "Authorization: Bearer TOKEN", or ?token=TOKEN (so a browser can open
// the dashboard; the page passes it on to its own requests).

#include <string>
#include <string_view>

#include "node/rpc/rpc_server.h"

namespace ringkv {

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// `authorization`: the request's Authorization header (empty if none); `body`: the request's body.
HttpReply HandleAdminRequest(const NodeServices& services, std::string_view method, std::string_view target,
                             std::string_view authorization = {}, std::string_view body = {});

// Why the node should not take traffic now; empty when healthy.
std::vector<std::string> UnhealthyReasons(const NodeServices& services);

}  // namespace ringkv
