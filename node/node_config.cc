#include "node/node_config.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "common/config.h"
#include "common/security.h"

namespace ringkv {
namespace {

namespace json = boost::json;

// One option: its flag/key name, help text, and how to bind it to CLI11 and read it from JSON.
struct OptionSpec {
  std::string name;  // flag "--name", JSON key "name"
  std::string help;
  std::function<std::string(const NodeConfig&)> default_text;
  std::function<void(CLI::App&, NodeConfig&)> bind_flag;
  std::function<Status(NodeConfig&, const json::value&)> read_json;
};

template <typename T>
Status ReadJson(const json::value& v, T* out, const std::string& name) {
  try {
    *out = json::value_to<T>(v);
  } catch (const std::exception&) {
    return Status::InvalidArgument("config key '" + name + "' has the wrong type");
  }
  return Status::OK();
}

template <typename T>
OptionSpec Field(std::string name, T NodeConfig::*member, std::string help) {
  OptionSpec spec;
  spec.name = name;
  spec.help = help;
  spec.default_text = [member](const NodeConfig& c) {
    std::ostringstream out;
    if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      for (size_t i = 0; i < (c.*member).size(); ++i) out << (i ? "," : "") << (c.*member)[i];
    } else {
      out << c.*member;
    }
    return out.str();
  };
  spec.bind_flag = [name, member, help](CLI::App& app, NodeConfig& c) {
    auto* opt = app.add_option("--" + name, c.*member, help);
    if constexpr (std::is_same_v<T, std::vector<std::string>>) opt->delimiter(',');
  };
  spec.read_json = [name, member](NodeConfig& c, const json::value& v) { return ReadJson(v, &(c.*member), name); };
  return spec;
}

const std::vector<OptionSpec>& Options() {
  static const std::vector<OptionSpec> options = {
      Field("id", &NodeConfig::id, "unique, stable id of this node (required)"),
      Field("listen", &NodeConfig::listen, "host:port the RPC server listens on"),
      Field("data", &NodeConfig::data_dir, "data directory (required); refuses one of another node or cluster"),
      Field("seeds", &NodeConfig::seeds,
            "a new cluster's founding members as id@host:port[/dc[/rack]], comma-separated"),
      Field("join", &NodeConfig::join, "host:port of a member: join that running cluster (streams data in)"),
      Field("replication-factor", &NodeConfig::replication_factor,
            "replicas per key that nodes stream, hand off and repair for (clients' N should match)"),
      Field("dc-replication", &NodeConfig::dc_replication,
            "multi-DC placement: replicas per DC as dc:count, comma-separated (e.g. west:3,east:3); "
            "empty = replication-factor nodes regardless of DC. Every node must be given the same"),
      Field("cluster-name", &NodeConfig::cluster_name, "cluster name; requests for another cluster are refused"),
      Field("dc", &NodeConfig::dc, "datacenter label"),
      Field("rack", &NodeConfig::rack, "rack label"),
      Field("vnodes", &NodeConfig::vnodes, "tokens this node claims on the ring (its weight)"),
      Field("durability", &NodeConfig::durability,
            "WAL durability: none (buffered), batch (written before the reply, fsync every 5 ms) or always (fsync "
            "before the reply)"),
      Field("memtable-mb", &NodeConfig::memtable_mb, "memtable size that triggers a flush, MB"),
      Field("block-cache-mb", &NodeConfig::block_cache_mb, "SSTable block cache, MB"),
      Field("worker-threads", &NodeConfig::worker_threads, "threads running storage calls off the event loop"),
      Field("log-level", &NodeConfig::log_level, "trace, debug, info, warn or error"),
      Field("max-connections", &NodeConfig::max_connections,
            "RPC connections served at once; more are closed on accept"),
      Field("max-message-mb", &NodeConfig::max_message_mb,
            "largest RPC message accepted, MB; a larger one ends its connection"),
      Field("max-inflight-total-mb", &NodeConfig::max_inflight_total_mb,
            "all connections together: MB of requests in flight, shared evenly (each at least 64 KB)"),
      Field("max-inflight-mb", &NodeConfig::max_inflight_mb,
            "per connection: MB of requests in flight before the node stops reading from it (backpressure)"),
      Field("admin", &NodeConfig::admin,
            "admin HTTP endpoint (health, metrics, JSON, dashboard): host:port, or a port on 127.0.0.1; empty = off"),
      Field("gossip-interval-ms", &NodeConfig::gossip_interval_ms, "heartbeat and gossip round period, ms"),
      Field("gossip-fanout", &NodeConfig::gossip_fanout, "peers contacted per gossip round"),
      Field("suspect-after-ms", &NodeConfig::suspect_after_ms,
            "no heartbeat news for this long marks a node SUSPECT (clients route around it), ms"),
      Field("down-after-ms", &NodeConfig::down_after_ms,
            "no heartbeat news for this long marks a node DOWN (it keeps its ring ownership), ms"),
      Field("max-write-age-s", &NodeConfig::max_write_age_s,
            "a write attempt stamped longer ago than this by the client's clock is refused: a request held up "
            "in a paused node or behind a partition is never applied after the client gave up on it; clients "
            "whose clocks run behind by more get errors (at most 300), s"),
      Field("hint-window-s", &NodeConfig::hint_window_s, "hints older than this are dropped; repair covers them, s"),
      Field("handoff-interval-ms", &NodeConfig::handoff_interval_ms, "how often hints are offered to live targets, ms"),
      Field("repair-interval-s", &NodeConfig::repair_interval_s,
            "background Merkle repair with each peer every this many seconds; 0 = off"),
      Field("repair-depth", &NodeConfig::repair_depth,
            "Merkle tree depth (2^depth leaves); 0 = chosen from the key count"),
      Field("repair-keys-per-s", &NodeConfig::repair_keys_per_s, "entries per second a background repair may move"),
      Field("repair-cross-dc-keys-per-s", &NodeConfig::repair_cross_dc_keys_per_s,
            "entries per second a background repair may move with a peer in another DC (WAN budget)"),
      Field(
          "simulated-wan-delay-ms", &NodeConfig::simulated_wan_delay_ms,
          "tests and demos: wait this long before each batch shipped to another DC (a WAN where tc netem is missing)"),
      Field("test-reply-delay-ms", &NodeConfig::test_reply_delay_ms,
            "TEST HOOK, never in production: hold back every reply to a data call (get, put, replicate) this "
            "long, on a timer, to make this node a slow replica; 0 = off"),
      Field("cluster-secret-file", &NodeConfig::cluster_secret_file,
            "file (chmod 600) holding the cluster secret nodes present to each other; without it a "
            "process cannot gossip, stream or repair with this node. Empty = nodes not authenticated. "
            "Reloaded on SIGHUP"),
      Field("client-token-file", &NodeConfig::client_token_file,
            "file (chmod 600) holding the token clients and the admin endpoint require; needs "
            "--cluster-secret-file; also the bootstrap admin credential for kv user add. Empty = clients not "
            "authenticated. Reloaded on SIGHUP (new logins; open connections keep theirs)"),
      Field("admin-auth", &NodeConfig::admin_auth,
            "admin endpoint: auto = the client token is required for all but /health when bound beyond "
            "loopback; always = also on loopback"),
      Field("tls-ca", &NodeConfig::tls_ca,
            "PEM file of the cluster CA; set = every RPC connection is mutual TLS, and the admin "
            "endpoint HTTPS with client certificates. The TLS files are reloaded on SIGHUP"),
      Field("tls-cert", &NodeConfig::tls_cert, "PEM certificate of this node, signed by the CA"),
      Field("tls-key", &NodeConfig::tls_key, "PEM private key of --tls-cert"),
      Field("tls-server-name", &NodeConfig::tls_server_name,
            "name (DNS SAN) every node's certificate carries; connecting nodes check it"),
  };
  return options;
}

}  // namespace

Result<Member> ParseMember(const std::string& spec) {
  std::string base = spec, topology;
  auto topology_at = spec.find('/');
  if (topology_at != std::string::npos) {
    base = spec.substr(0, topology_at);
    topology = spec.substr(topology_at + 1);
  }
  auto at = base.find('@');
  auto colon = base.rfind(':');
  if (at == std::string::npos || at == 0 || colon == std::string::npos || colon <= at + 1 || colon + 1 == base.size()) {
    return Status::InvalidArgument("member '" + spec + "' is not of the form id@host:port[/dc[/rack]]");
  }
  Member m{base.substr(0, at), base.substr(at + 1), "", ""};
  if (topology_at != std::string::npos) {
    auto slash = topology.find('/');
    m.dc = topology.substr(0, slash);
    if (slash != std::string::npos) m.rack = topology.substr(slash + 1);
    if (m.dc.empty() || m.rack.find('/') != std::string::npos) {
      return Status::InvalidArgument("member '" + spec + "': the topology part must be /dc or /dc/rack");
    }
  }
  return m;
}

Result<std::map<std::string, uint32_t, std::less<>>> ParseDcReplication(const std::vector<std::string>& specs) {
  std::map<std::string, uint32_t, std::less<>> out;
  for (const std::string& spec : specs) {
    auto colon = spec.rfind(':');
    std::string dc = colon == std::string::npos ? "" : spec.substr(0, colon);
    std::string count = colon == std::string::npos ? "" : spec.substr(colon + 1);
    bool digits = !count.empty() && count.size() <= 2 && std::all_of(count.begin(), count.end(), ::isdigit);
    if (dc.empty() || !digits || std::stoi(count) < 1 || std::stoi(count) > 16 || out.count(dc)) {
      return Status::InvalidArgument("--dc-replication '" + spec +
                                     "' must be dc:count with count in 1..16, each DC once (e.g. west:3,east:3)");
    }
    out[dc] = static_cast<uint32_t>(std::stoi(count));
  }
  return out;
}

Result<NodeConfig> LoadNodeConfigJson(const std::string& json_text, NodeConfig base) {
  boost::system::error_code ec;
  json::value root = json::parse(json_text, ec);
  if (ec) return Status::InvalidArgument("config file is not valid JSON: " + ec.message());
  if (!root.is_object()) return Status::InvalidArgument("config file must hold a JSON object");
  for (const auto& entry : root.as_object()) {  // not a structured binding: clang 14 cannot capture one
    std::string_view key = entry.key();
    auto it = std::find_if(Options().begin(), Options().end(), [&](const OptionSpec& o) { return o.name == key; });
    if (it == Options().end()) return Status::InvalidArgument("unknown config key '" + std::string(key) + "'");
    RINGKV_TRY(it->read_json(base, entry.value()));
  }
  return base;
}

namespace {

Status ValidateSecurity(const NodeConfig& c) {
  if (c.admin_auth != "auto" && c.admin_auth != "always") {
    return Status::InvalidArgument("--admin-auth must be auto or always, not '" + c.admin_auth + "'");
  }
  if (!c.client_token_file.empty() && c.cluster_secret_file.empty()) {
    return Status::InvalidArgument(
        "--client-token-file needs --cluster-secret-file too: without a cluster secret "
        "anyone could call the node-to-node methods and read every key");
  }
  if (!c.admin.empty() && AdminNeedsToken(c) && c.client_token_file.empty()) {
    return Status::InvalidArgument("the admin endpoint " + c.admin +
                                   " is reachable beyond loopback (or --admin-auth always): it needs "
                                   "--client-token-file to check callers against");
  }
  bool any_tls = !c.tls_ca.empty() || !c.tls_cert.empty() || !c.tls_key.empty();
  if (any_tls && (c.tls_ca.empty() || c.tls_cert.empty() || c.tls_key.empty())) {
    return Status::InvalidArgument("TLS needs all of --tls-ca, --tls-cert and --tls-key");
  }
  return Status::OK();
}

}  // namespace

bool AdminNeedsToken(const NodeConfig& c) {
  if (c.admin_auth == "always") return true;
  auto colon = c.admin.rfind(':');
  std::string host = colon == std::string::npos ? "127.0.0.1" : c.admin.substr(0, colon);  // a bare port: loopback
  return !IsLoopbackHost(host);
}

Status ValidateNodeConfig(const NodeConfig& c) {
  if (c.id.empty()) return Status::InvalidArgument("--id is required");
  if (c.id.find_first_of("@,: ") != std::string::npos) {
    return Status::InvalidArgument("node id '" + c.id + "' may not contain '@', ',', ':' or spaces");
  }
  if (c.data_dir.empty()) return Status::InvalidArgument("--data is required");
  if (c.listen.rfind(':') == std::string::npos) return Status::InvalidArgument("--listen must be host:port");
  Durability d;
  if (!ParseDurability(c.durability, &d)) {
    return Status::InvalidArgument("--durability must be none, batch or always, not '" + c.durability + "'");
  }
  if (c.vnodes == 0 || c.vnodes > 4096) return Status::InvalidArgument("--vnodes must be in 1..4096");
  if (c.worker_threads == 0 || c.worker_threads > 64)
    return Status::InvalidArgument("--worker-threads must be in 1..64");
  for (const auto& s : c.seeds) RINGKV_TRY(ParseMember(s).status());
  if (!c.join.empty() && c.join.rfind(':') == std::string::npos)
    return Status::InvalidArgument("--join must be host:port");
  RINGKV_TRY(ParseDcReplication(c.dc_replication).status());
  if (c.max_connections == 0 || c.max_message_mb == 0 || c.max_message_mb > 1024 || c.max_inflight_mb == 0 ||
      c.max_inflight_total_mb == 0) {
    return Status::InvalidArgument(
        "--max-connections, --max-inflight-mb and --max-inflight-total-mb must be positive, --max-message-mb in "
        "1..1024");
  }
  if (c.replication_factor == 0 || c.replication_factor > 16) {
    return Status::InvalidArgument("--replication-factor must be in 1..16");
  }
  if (c.gossip_interval_ms == 0 || c.gossip_fanout == 0) {
    return Status::InvalidArgument("--gossip-interval-ms and --gossip-fanout must be positive");
  }
  if (c.suspect_after_ms <= c.gossip_interval_ms || c.down_after_ms < c.suspect_after_ms) {
    return Status::InvalidArgument("need gossip-interval-ms < suspect-after-ms <= down-after-ms");
  }
  if (c.repair_depth > 24) return Status::InvalidArgument("--repair-depth must be in 0..24");
  if (c.max_write_age_s == 0 || c.max_write_age_s > 300) {
    // Superseded write ids are kept for 10 minutes (ReplicaStore::kRetiredRetentionMs):
    // twice the largest age leaves as much again for clock skew between nodes.
    return Status::InvalidArgument("--max-write-age-s must be in 1..300");
  }
  if (c.handoff_interval_ms == 0 || c.repair_keys_per_s == 0) {
    return Status::InvalidArgument("--handoff-interval-ms and --repair-keys-per-s must be positive");
  }
  return ValidateSecurity(c);
}

Result<NodeConfig> ParseNodeConfig(int argc, const char* const* argv, bool* exit_early) {
  *exit_early = false;
  NodeConfig config;
  CLI::App app("kvnode: a ringkv storage node");
  for (const auto& o : Options()) o.bind_flag(app, config);
  app.add_option("--config", config.config_file, "JSON config file; flags override its keys");
  bool print_reference = false;
  app.add_flag("--print-config-reference", print_reference, "print every option as a Markdown table and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    *exit_early = true;
    return config;
  } catch (const CLI::ParseError& e) {
    return Status::InvalidArgument(e.what());
  }
  if (print_reference) {
    std::cout << NodeConfigReference();
    *exit_early = true;
    return config;
  }
  if (!config.config_file.empty()) {
    std::ifstream in(config.config_file);
    if (!in) return Status::InvalidArgument("cannot read config file " + config.config_file);
    std::stringstream text;
    text << in.rdbuf();
    RINGKV_ASSIGN(NodeConfig from_file, LoadNodeConfigJson(text.str(), NodeConfig{}));
    // Flags win: parse them again over the file's values.
    from_file.config_file = config.config_file;
    CLI::App again("kvnode");
    for (const auto& o : Options()) o.bind_flag(again, from_file);
    again.add_option("--config", from_file.config_file);
    again.add_flag("--print-config-reference", print_reference);
    try {
      again.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return Status::InvalidArgument(e.what());
    }
    config = std::move(from_file);
  }
  RINGKV_TRY(ValidateNodeConfig(config));
  return config;
}

std::string NodeConfigReference() {
  std::ostringstream out;
  NodeConfig defaults;
  out << "| flag | JSON key | default | meaning |\n| --- | --- | --- | --- |\n";
  for (const auto& o : Options()) {
    std::string def = o.default_text(defaults);
    out << "| `--" << o.name << "` | `\"" << o.name << "\"` | " << (def.empty() ? "" : "`" + def + "`") << " | "
        << o.help << " |\n";
  }
  out << "| `--config` | | | JSON file holding any of the keys above |\n";
  return out.str();
}

}  // namespace ringkv
