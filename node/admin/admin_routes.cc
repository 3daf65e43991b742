#include "node/admin/admin_routes.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "node/rpc/credentials.h"

#include "common/verify_summary_json.h"
#include "node/admin/dashboard_page.h"
#include "node/rpc/node_stats.h"
#include "node/storage/engine.h"

namespace ringkv {
namespace {

namespace json = boost::json;

HttpReply Json(int status, const json::value& v) { return {status, "application/json", json::serialize(v) + "\n"}; }

HttpReply Error(int status, std::string message) { return Json(status, json::object{{"error", std::move(message)}}); }

// A token's position on the circle as a fraction in [0, 1): what a drawing needs, and
// exact enough in a JSON double (a raw 64-bit token is not).
double Position(uint64_t token) { return static_cast<double>(token) / 18446744073709551616.0; }

json::value Members(const NodeServices& s) {
  auto view = s.membership->View();
  auto ownership = view->ring.Ownership();
  json::array out;
  for (const MemberRecord& r : s.membership->Snapshot()) {
    auto owned = ownership.find(r.id);
    out.push_back(json::object{{"id", r.id},
                               {"address", r.address},
                               {"dc", r.dc},
                               {"rack", r.rack},
                               {"status", MemberStatusName(s.membership->StatusOf(r.id))},
                               {"state", RingStateName(r.ring_state)},
                               {"generation", r.generation},
                               {"heartbeat", r.heartbeat},
                               {"vnodes", r.tokens.size()},
                               {"ownership", owned == ownership.end() ? 0.0 : owned->second},
                               {"self", r.id == s.node_id}});
  }
  return out;
}

json::value RingJson(const NodeServices& s) {
  auto view = s.membership->View();
  auto ownership = view->ring.Ownership();
  json::array nodes;
  auto describe = [&](const RingNode& n) {
    json::array tokens;
    for (uint64_t t : n.tokens) tokens.push_back(Position(t));
    auto owned = ownership.find(n.id);
    nodes.push_back(json::object{{"id", n.id},
                                 {"address", n.address},
                                 {"dc", n.dc},
                                 {"owner", view->ring.Find(n.id) != nullptr},  // false: still joining
                                 {"ownership", owned == ownership.end() ? 0.0 : owned->second},
                                 {"tokens", std::move(tokens)}});
  };
  for (const RingNode& n : view->future.nodes()) describe(n);  // owners now, and joining nodes
  for (const RingNode& n : view->ring.nodes()) {               // leaving nodes are in `ring` only
    if (!view->future.Find(n.id)) describe(n);
  }
  return json::object{{"version", view->version},
                      {"cluster", view->cluster_name},
                      {"replication_factor", view->replication_factor},
                      {"node", s.node_id},
                      {"nodes", std::move(nodes)}};
}

json::value StatsJson(const NodeServices& s) {
  json::object out;
  for (const MetricSample& m : CollectNodeSamples(s)) out[m.Key()] = m.value;
  return json::object{{"node", s.node_id}, {"stats", std::move(out)}};
}

// The purge rule's state: what blocks tombstones from being purged (node/repair/purge_guard.h).
// Informational: it never makes the node unhealthy.
json::value PurgeJson(const NodeServices& s) {
  uint64_t awaiting = s.engine ? s.engine->Info().tombstones_awaiting_proof : 0;
  ProofGaps gaps = s.purge ? s.purge->Gaps() : ProofGaps{};
  json::array missing;
  for (const auto& id : gaps.missing) missing.push_back(json::value(id));
  json::object out{{"tombstones_awaiting_proof", awaiting},
                   {"ranges", gaps.ranges},
                   {"ranges_unproven", gaps.unproven},
                   {"replicas_without_proof", std::move(missing)}};
  if (awaiting > 0) {
    out["advice"] =
        "tombstones past their grace are kept until every replica of their range has been repaired with; "
        "a replica that is gone for good must be removed from the ring (kv remove-node), then run kv repair";
  }
  return out;
}

HttpReply Health(const NodeServices& s) {
  std::vector<std::string> reasons = UnhealthyReasons(s);
  if (reasons.empty()) return Json(200, json::object{{"status", "ok"}, {"node", s.node_id}, {"purge", PurgeJson(s)}});
  json::array list;
  for (auto& r : reasons) list.push_back(json::value(r));
  return Json(
      503, json::object{
               {"status", "unavailable"}, {"node", s.node_id}, {"reasons", std::move(list)}, {"purge", PurgeJson(s)}});
}

json::value AutoscaleJson(const NodeServices& s) {
  json::array decisions;
  json::object counts;
  if (s.autoscale) {
    for (const AutoscaleEntry& e : s.autoscale->Recent()) {
      decisions.push_back(
          json::object{{"time_ms", e.time_ms}, {"action", e.action}, {"node", e.node}, {"reason", e.reason}});
    }
    auto n = s.autoscale->Counts();
    for (size_t i = 0; i < n.size(); ++i) counts[AutoscaleLog::kActions[i]] = n[i];
  }
  return json::object{{"decisions", std::move(decisions)}, {"counts", std::move(counts)}};
}

// POST /v1/autoscale {"action":"add","node":"auto1","reason":"...","time_ms":1700000000000}
HttpReply RecordAutoscale(const NodeServices& s, std::string_view body) {
  if (!s.autoscale) return Error(404, "this node keeps no autoscale decisions");
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return Error(400, "the body must be a JSON object {action, node, reason, time_ms}");
  const json::object& o = v.as_object();
  AutoscaleEntry e;
  auto text = [&](const char* key, std::string* out) {
    if (const json::value* f = o.if_contains(key); f && f->is_string()) *out = std::string(f->as_string());
  };
  text("action", &e.action);
  text("node", &e.node);
  text("reason", &e.reason);
  if (const json::value* t = o.if_contains("time_ms"); t && t->is_int64()) e.time_ms = t->as_int64();
  Status st = s.autoscale->Record(std::move(e));
  if (!st.ok()) return Error(400, st.message());
  return Json(200, json::object{{"recorded", true}});
}

json::value VerifyJson(const NodeServices& s) {
  json::array runs;
  uint64_t total = 0, inconsistent = 0;
  if (s.verify) {
    for (const VerifySummary& r : s.verify->Recent()) runs.push_back(VerifySummaryJson(r));
    total = s.verify->runs();
    inconsistent = s.verify->inconsistent_runs();
  }
  return json::object{{"runs", std::move(runs)}, {"total", total}, {"inconsistent", inconsistent}};
}

// POST /v1/verify (admin_routes.h lists the fields)
HttpReply RecordVerify(const NodeServices& s, std::string_view body) {
  if (!s.verify) return Error(404, "this node keeps no verify results");
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return Error(400, "the body must be a JSON object of a kv verify run's figures");
  Result<VerifySummary> r = VerifySummaryFromJson(v.as_object());
  if (!r.ok()) return Error(400, r.status().message());
  Status st = s.verify->Record(std::move(r).value());
  if (!st.ok()) return Error(400, st.message());
  return Json(200, json::object{{"recorded", true}});
}

#ifdef RINGKV_TEST_CLOCK
// The value of `name` in the query of `target`, or empty.
std::string_view QueryParam(std::string_view target, std::string_view name) {
  auto query = target.find('?');
  if (query == std::string_view::npos) return {};
  std::string_view rest = target.substr(query + 1);
  while (!rest.empty()) {
    std::string_view param = rest.substr(0, rest.find('&'));
    if (param.size() > name.size() && param.substr(0, name.size()) == name && param[name.size()] == '=') {
      return param.substr(name.size() + 1);
    }
    rest.remove_prefix(std::min(rest.size(), param.size() + 1));
  }
  return {};
}

// Test builds only: /test/clock?offset_ms=N moves the node's wall clock; /test/reply-delay?ms=N
// holds back the node's data replies N ms (the tail-latency test hook; 0 = off); /test/compact
// compacts its data engine now (blocking this admin thread meanwhile).
std::optional<HttpReply> TestRoute(const NodeServices& s, std::string_view path, std::string_view target) {
  if (path == "/test/clock") {
    if (!s.test_clock) return Error(404, "this node has no test clock");
    std::string text(QueryParam(target, "offset_ms"));
    char* end = nullptr;
    long long offset = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0') return Error(400, "give offset_ms=MILLISECONDS");
    s.test_clock->SetOffsetMs(offset);
    return Json(200, json::object{{"offset_ms", offset}});
  }
  if (path == "/test/reply-delay") {  // the test hook of kvnode --test-reply-delay-ms, at runtime
    if (!s.test_reply_delay_ms) return Error(404, "this node has no reply-delay hook");
    std::string text(QueryParam(target, "ms"));
    char* end = nullptr;
    long long ms = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || ms < 0 || ms > 60'000) return Error(400, "give ms=0..60000");
    s.test_reply_delay_ms->store(static_cast<uint32_t>(ms));
    return Json(200, json::object{{"reply_delay_ms", ms}});
  }
  if (path == "/test/compact") {
    if (!s.engine) return Error(404, "no engine");
    Status st = s.engine->CompactAll();
    if (!st.ok()) return Error(500, st.ToString());
    const auto& stats = s.engine->stats();
    storage::EngineInfo info = s.engine->Info();
    return Json(200, json::object{{"tombstones_dropped", stats.tombstones_dropped.load()},
                                  {"tombstones_awaiting_proof", info.tombstones_awaiting_proof},
                                  {"table_bytes", info.table_bytes},
                                  {"blob_bytes", info.blob_bytes}});
  }
  return std::nullopt;
}
#endif

}  // namespace

std::vector<std::string> UnhealthyReasons(const NodeServices& s) {
  std::vector<std::string> reasons;
  switch (s.membership->Self().ring_state) {
    case RingState::kNormal:
      break;
    case RingState::kJoining:
      reasons.push_back("joining: still streaming the ranges it will own");
      break;
    case RingState::kLeaving:
      reasons.push_back("leaving: streaming its ranges away (decommission)");
      break;
    case RingState::kLeft:
    case RingState::kRemoved:
      reasons.push_back("no longer a member of the ring");
      break;
  }
  size_t others = 0, reachable = 0;
  for (const MemberRecord& r : s.membership->Snapshot()) {
    if (r.id == s.node_id || r.ring_state == RingState::kLeft || r.ring_state == RingState::kRemoved) continue;
    ++others;
    if (s.membership->StatusOf(r.id) == MemberStatus::kUp) ++reachable;
  }
  if (others > 0 && reachable == 0) reasons.push_back("isolated: no other member answers gossip");
  if (s.engine) {
    Status refused = s.engine->WriteError();
    if (!refused.ok()) reasons.push_back("storage refuses writes: " + refused.ToString());
  }
  return reasons;
}

// The token the endpoint requires now (empty: none).
std::string AdminToken(const NodeServices& s) {
  if (!s.admin_token.empty()) return s.admin_token;
  if (s.admin_requires_token && s.required != nullptr) return s.required->Get()->client_token;
  return {};
}

// The token from "Bearer TOKEN" or the query's token=TOKEN; empty if neither.
std::string_view PresentedToken(std::string_view target, std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) == kBearer) return authorization.substr(kBearer.size());
  auto query = target.find('?');
  if (query == std::string_view::npos) return {};
  std::string_view rest = target.substr(query + 1);
  while (!rest.empty()) {
    std::string_view param = rest.substr(0, rest.find('&'));
    if (param.substr(0, 6) == "token=") return param.substr(6);
    rest.remove_prefix(std::min(rest.size(), param.size() + 1));
  }
  return {};
}

HttpReply HandleAdminRequest(const NodeServices& s, std::string_view method, std::string_view target,
                             std::string_view authorization, std::string_view body) {
  std::string_view path = target.substr(0, target.find('?'));
  bool post = method == "POST" && (path == "/v1/autoscale" || path == "/v1/verify");
  if (method != "GET" && method != "HEAD" && !post)
    return Error(405, "only GET is served here (and POST /v1/autoscale, /v1/verify)");
  const std::string token = AdminToken(s);
  if (path != "/health" && !token.empty() && !ConstantTimeEquals(PresentedToken(target, authorization), token)) {
    return Error(401, "this endpoint requires the client token: Authorization: Bearer TOKEN (or ?token=TOKEN)");
  }
  if (post) return path == "/v1/verify" ? RecordVerify(s, body) : RecordAutoscale(s, body);
  if (path == "/" || path == "/index.html") return {200, "text/html; charset=utf-8", std::string(DashboardPage())};
  if (path == "/health") return Health(s);
  if (path == "/metrics") return {200, "text/plain; version=0.0.4", PrometheusText(CollectNodeSamples(s))};
  if (path == "/v1/members") return Json(200, Members(s));
  if (path == "/v1/ring") return Json(200, RingJson(s));
  if (path == "/v1/stats") return Json(200, StatsJson(s));
  if (path == "/v1/autoscale") return Json(200, AutoscaleJson(s));
  if (path == "/v1/verify") return Json(200, VerifyJson(s));
#ifdef RINGKV_TEST_CLOCK
  if (auto reply = TestRoute(s, path, target)) return *reply;
#endif
  return Error(404, "no such page: " + std::string(path) +
                        " (try /, /health, /metrics, /v1/members, /v1/ring, /v1/stats, /v1/autoscale, /v1/verify)");
}

}  // namespace ringkv
