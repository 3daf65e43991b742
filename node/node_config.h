#pragma once
// The storage node's configuration. One table of options (node_config.cc) is the single
// source of truth: it defines the command-line flags, the keys of the JSON config file and
// the reference in docs/configuration.md (`kvnode --print-config-reference`).
// Precedence: defaults < config file < command-line flags.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ringkv/status.h"

namespace ringkv {

struct NodeConfig {
  std::string id;
  std::string listen = "127.0.0.1:7001";
  std::string data_dir;
  // A new cluster's founding members as id@host:port: started together, they derive the
  // same ring. Later members join with --join instead.
  std::vector<std::string> seeds;
  std::string join;                         // host:port of any member: join the running cluster
  uint32_t replication_factor = 3;          // replicas per key the nodes stream, hand off and repair for
  std::vector<std::string> dc_replication;  // multi-DC: "dc:replicas" per DC, e.g. west:3,east:3
  std::string cluster_name = "ringkv";
  std::string dc = "dc1";
  std::string rack;
  uint32_t vnodes = 256;
  std::string durability = "batch";
  uint32_t memtable_mb = 32;
  uint32_t block_cache_mb = 64;
  uint32_t worker_threads = 2;
  std::string log_level = "info";
  std::string admin;                     // admin HTTP endpoint "host:port" or "port" (127.0.0.1); empty = off
  uint32_t max_connections = 1024;       // RPC connections at once; more are closed on accept
  uint32_t max_message_mb = 32;          // a larger RPC message ends its connection
  uint32_t max_inflight_mb = 16;         // per connection: requests in flight before the node stops reading
  uint32_t max_inflight_total_mb = 256;  // all connections together, shared evenly
  // Membership and failure handling.
  uint32_t gossip_interval_ms = 1000;
  uint32_t gossip_fanout = 3;
  uint32_t suspect_after_ms = 5000;
  uint32_t down_after_ms = 30000;
  // A write attempt stamped longer ago than this (by the client's clock) is refused: a late
  // duplicate of an attempt the client gave up on must not be applied (docs/architecture.md).
  uint32_t max_write_age_s = 60;
  uint32_t hint_window_s = 3 * 3600;  // hints older than this are dropped (repair covers them)
  uint32_t handoff_interval_ms = 1000;
  uint32_t repair_interval_s = 3600;           // background Merkle repair with every peer; 0 = off
  uint32_t repair_depth = 0;                   // Merkle tree depth; 0 = from the key count
  uint32_t repair_keys_per_s = 20000;          // rate limit of entries a background repair moves
  uint32_t repair_cross_dc_keys_per_s = 5000;  // the same with a peer in another DC
  uint32_t simulated_wan_delay_ms = 0;         // tests: delay before each page shipped to another DC
  // TEST HOOK: every reply to a data call (get, put, replicate) is held back this long, on a
  // timer (the loop keeps serving): a slow replica for tail-latency tests and benches. Also
  // settable at runtime in test builds (admin /test/reply-delay?ms=N).
  uint32_t test_reply_delay_ms = 0;
  // Security (docs/security.md).
  std::string cluster_secret_file;        // nodes must present this secret to each other
  std::string client_token_file;          // clients (SDK, kv, admin endpoint) must present this token
  std::string admin_auth = "auto";        // auto: token required beyond loopback; always: everywhere
  std::string tls_ca, tls_cert, tls_key;  // PEM files; tls_ca set = TLS (mutual) on every connection
  std::string tls_server_name = "ringkv";
  std::string config_file;
};

struct Member {
  std::string id;
  std::string address;
  std::string dc, rack;  // empty: not given (the node's own gossip brings them)
};

// Parses flags (and the file named by --config). Returns InvalidArgument with a clear
// message for unknown flags or keys, bad values or missing required settings; --help and
// --print-config-reference print and set `exit_early`.
Result<NodeConfig> ParseNodeConfig(int argc, const char* const* argv, bool* exit_early);
Result<NodeConfig> LoadNodeConfigJson(const std::string& json_text, NodeConfig base);
Status ValidateNodeConfig(const NodeConfig& config);
// Whether the admin endpoint must check the client token on all but /health: it is bound
// beyond loopback, or --admin-auth always.
bool AdminNeedsToken(const NodeConfig& config);
// ["west:3", "east:2"] -> {west: 3, east: 2}; InvalidArgument for anything else.
Result<std::map<std::string, uint32_t, std::less<>>> ParseDcReplication(const std::vector<std::string>& specs);
// "id@host:port[/dc[/rack]]" -> Member. Multi-DC founders should name their DC, so that
// every founder places replicas by DC from the first request on.
Result<Member> ParseMember(const std::string& spec);
// Markdown table of every option: flag, JSON key, default, meaning.
std::string NodeConfigReference();

}  // namespace ringkv
