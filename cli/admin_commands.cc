// kv's admin commands: what an operator runs to see and change the cluster.

#include <boost/json.hpp>
#include <charconv>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <span>
#include <sstream>

#include "cli/commands.h"

namespace ringkv::cli {
namespace {

namespace json = boost::json;

std::map<std::string, double> StatsOf(Client& c, const std::string& node) {
  std::map<std::string, double> out;
  if (auto stats = c.NodeStats(node); stats.ok()) {
    for (const auto& s : *stats) out[s.name] = s.value;
  }
  return out;
}

// "12.3 MB": a node's load (bytes of SSTables on disk), or "?" when it cannot be asked.
std::string Bytes(std::optional<double> bytes) {
  if (!bytes) return "?";
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = *bytes;
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  std::ostringstream s;
  s << std::fixed << std::setprecision(u == 0 ? 0 : 1) << v << " " << units[u];
  return s.str();
}

std::string Percent(double fraction) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << fraction * 100 << "%";
  return s.str();
}

int ClusterStatus(Client& c, const Output& o) {
  (void)c.RefreshRing();
  auto members = c.Members();
  json::array rows;
  if (!o.json) {
    *o.out << std::left << std::setw(12) << "node" << std::setw(22) << "address" << std::setw(6) << "dc" << std::setw(9)
           << "status" << std::setw(10) << "state" << std::setw(11) << "load" << std::setw(11) << "ownership"
           << "hints queued\n";
  }
  for (const auto& m : members) {
    auto stats = m.status == "up" ? StatsOf(c, m.id) : std::map<std::string, double>{};
    double hints = stats.count("hints_queued_total") ? stats["hints_queued_total"] : 0;
    std::optional<double> load;
    if (stats.count("sstable_bytes")) load = stats["sstable_bytes"] + stats["memtable_bytes"];
    if (o.json) {
      json::object row{{"id", m.id},       {"address", m.address},     {"dc", m.dc},           {"status", m.status},
                       {"state", m.state}, {"ownership", m.ownership}, {"hints_queued", hints}};
      row["load_bytes"] = load ? json::value(*load) : json::value(nullptr);
      rows.push_back(std::move(row));
    } else {
      *o.out << std::setw(12) << m.id << std::setw(22) << m.address << std::setw(6) << m.dc << std::setw(9) << m.status
             << std::setw(10) << m.state << std::setw(11) << Bytes(load) << std::setw(11) << Percent(m.ownership)
             << hints << "\n";
    }
  }
  if (o.json) *o.out << json::serialize(json::object{{"version", c.RingVersion()}, {"nodes", rows}}) << "\n";
  return kExitOk;
}

int Hints(Client& c, const Output& o) {
  json::object all;
  for (const auto& m : c.Members()) {
    auto stats = StatsOf(c, m.id);
    json::object node;
    for (const auto& [name, value] : stats) {
      if (name.rfind("hints_", 0) == 0) node[name] = static_cast<uint64_t>(value);
    }
    if (o.json) {
      all[m.id] = node;
      continue;
    }
    *o.out << m.id << ":";
    if (stats.empty()) *o.out << " (no answer)";
    for (const auto& [name, value] : stats) {
      if (name.rfind("hints_", 0) == 0) *o.out << " " << name << "=" << value;
    }
    *o.out << "\n";
  }
  if (o.json) *o.out << json::serialize(all) << "\n";
  return kExitOk;
}

Result<std::pair<uint64_t, uint64_t>> ParseRange(const std::string& s) {
  auto token = [](std::string_view t, uint64_t* out) {
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), *out);
    return ec == std::errc() && end == t.data() + t.size() && !t.empty();
  };
  auto colon = s.find(':');
  std::pair<uint64_t, uint64_t> range;
  if (colon == std::string::npos || !token(std::string_view(s).substr(0, colon), &range.first) ||
      !token(std::string_view(s).substr(colon + 1), &range.second)) {
    return Status::InvalidArgument("range must be START:END with unsigned 64-bit tokens, not '" + s + "'");
  }
  return range;
}

int Repair(Client& c, const std::vector<std::string>& w, const Output& o) {
  std::vector<std::string> args(w.begin() + 1, w.end());
  std::pair<uint64_t, uint64_t> range{0, 0};
  if (!args.empty() && args.back().find(':') != std::string::npos) {
    auto parsed = ParseRange(args.back());
    if (!parsed.ok()) return Fail(o, parsed.status());
    range = *parsed;
    args.pop_back();
  }
  if (args.size() > 2) return Usage(o, "usage: repair [NODE [PEER]] [START:END]");
  std::vector<std::string> nodes;
  if (!args.empty())
    nodes.push_back(args[0]);
  else
    for (const auto& m : c.Members()) nodes.push_back(m.id);
  std::string peer = args.size() == 2 ? args[1] : "";
  json::array reports;
  for (const auto& node : nodes) {
    auto r = c.Repair(node, peer, range.first, range.second);
    if (!r.ok()) {
      if (!o.json) *o.err << node << ": ";
      return Fail(o, r.status());
    }
    if (o.json) {
      reports.push_back(json::object{{"node", node},
                                     {"peers", r->peers},
                                     {"keys_pulled", r->keys_pulled},
                                     {"keys_pushed", r->keys_pushed},
                                     {"bytes_sent", r->bytes_sent},
                                     {"bytes_received", r->bytes_received},
                                     {"tree_nodes", r->nodes_compared}});
    } else {
      *o.out << node << ": repaired with " << r->peers << " peer(s): pulled " << r->keys_pulled << ", pushed "
             << r->keys_pushed << " keys (" << r->bytes_sent << " bytes out, " << r->bytes_received << " in)\n";
    }
  }
  if (o.json) *o.out << json::serialize(reports) << "\n";
  return kExitOk;
}

int Node(Client& c, const std::vector<std::string>& w, const Output& o) {
  if (w.size() != 3 || (w[1] != "decommission" && w[1] != "remove")) {
    return Usage(o, "usage: node decommission ID | node remove ID");
  }
  Status s = w[1] == "decommission" ? c.Decommission(w[2]) : c.RemoveNode(w[2]);
  if (!s.ok()) return Fail(o, s);
  std::string what = w[1] == "decommission" ? "is leaving: it streams its data away, then exits"
                                            : "is removed from the ring; run `kv repair` to rebuild its replicas";
  if (o.json)
    *o.out << json::serialize(json::object{{"node", w[2]}, {"ok", true}}) << "\n";
  else
    *o.out << w[2] << " " << what << "\n";
  return kExitOk;
}

// "30s", "5m", "2h", "10d" or plain seconds.
Result<uint64_t> ParseSeconds(std::string_view what, std::string_view text) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  std::string_view unit(end, text.data() + text.size() - end);
  uint64_t scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
  if (ec != std::errc() || end == text.data() || scale == 0 || n > UINT64_MAX / scale) {
    return Status::InvalidArgument(std::string(what) + " must be a duration like 30s, 5m, 2h or 10d, not '" +
                                   std::string(text) + "'");
  }
  return n * scale;
}

// "512", "64KB", "1MB" (KB = 1024 bytes).
Result<uint64_t> ParseBytes(std::string_view what, std::string_view text) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  std::string_view unit(end, text.data() + text.size() - end);
  uint64_t scale = unit.empty() || unit == "B" ? 1 : unit == "KB" ? 1024 : unit == "MB" ? 1024 * 1024 : 0;
  if (ec != std::errc() || end == text.data() || scale == 0 || n > UINT64_MAX / scale) {
    return Status::InvalidArgument(std::string(what) + " must be a size like 512, 64KB or 1MB, not '" +
                                   std::string(text) + "'");
  }
  return n * scale;
}

Result<int> ParseCount(std::string_view what, std::string_view text) {
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Status::InvalidArgument(std::string(what) + " must be a number, not '" + std::string(text) + "'");
  }
  return n;
}

// Applies "key=value" words (n, w, r, conflict, ttl, max-value, grace) to `settings`.
Status ApplySettings(std::span<const std::string> words, NamespaceSettings* settings) {
  for (const std::string& word : words) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      return Status::InvalidArgument("'" + word + "' is not a setting; use key=value (n, w, r, conflict, ttl, " +
                                     "max-value, grace)");
    }
    std::string key = word.substr(0, eq);
    std::string_view value = std::string_view(word).substr(eq + 1);
    if (key == "n") {
      RINGKV_ASSIGN(settings->n, ParseCount("n", value));
    } else if (key == "w") {
      RINGKV_ASSIGN(settings->w, ParseCount("w", value));
    } else if (key == "r") {
      RINGKV_ASSIGN(settings->r, ParseCount("r", value));
    } else if (key == "conflict") {
      RINGKV_ASSIGN(settings->conflict, ParseConflictMode(value));
    } else if (key == "ttl") {
      RINGKV_ASSIGN(settings->default_ttl_s, ParseSeconds("ttl", value));
    } else if (key == "max-value") {
      RINGKV_ASSIGN(settings->max_value_bytes, ParseBytes("max-value", value));
    } else if (key == "grace") {
      RINGKV_ASSIGN(settings->tombstone_grace_s, ParseSeconds("grace", value));
    } else {
      return Status::InvalidArgument("unknown setting '" + key + "'; use n, w, r, conflict, ttl, max-value or grace");
    }
  }
  return ValidateSettings(*settings);
}

json::object ToJson(const NamespaceInfo& ns) {
  const NamespaceSettings& s = ns.settings;
  return json::object{{"name", ns.name},
                      {"n", s.n},
                      {"w", s.w},
                      {"r", s.r},
                      {"conflict", std::string(ConflictModeName(s.conflict))},
                      {"default_ttl_s", s.default_ttl_s},
                      {"max_value_bytes", s.max_value_bytes},
                      {"tombstone_grace_s", s.tombstone_grace_s}};
}

void PrintNamespaces(const std::vector<NamespaceInfo>& all, const Output& o) {
  *o.out << std::left << std::setw(20) << "namespace" << std::setw(4) << "n" << std::setw(4) << "w" << std::setw(4)
         << "r" << std::setw(10) << "conflict" << std::setw(12) << "ttl (s)" << std::setw(12) << "max value"
         << "grace (s)\n";
  for (const NamespaceInfo& ns : all) {
    const NamespaceSettings& s = ns.settings;
    *o.out << std::setw(20) << ns.name << std::setw(4) << s.n << std::setw(4) << s.w << std::setw(4) << s.r
           << std::setw(10) << ConflictModeName(s.conflict) << std::setw(12)
           << (s.default_ttl_s ? std::to_string(s.default_ttl_s) : "-") << std::setw(12)
           << Bytes(static_cast<double>(s.max_value_bytes)) << s.tombstone_grace_s << "\n";
  }
}

Result<NamespaceInfo> FindNamespace(Client& c, const std::string& name) {
  RINGKV_ASSIGN(auto all, c.ListNamespaces());
  for (NamespaceInfo& ns : all) {
    if (ns.name == name) return std::move(ns);
  }
  return Status::NotFound("namespace '" + name + "' does not exist");
}

constexpr const char* kNsUsage =
    "usage: ns list | ns show NAME | ns create NAME [key=value...] | ns alter NAME key=value... | ns drop NAME "
    "(keys: n, w, r, conflict=siblings|lww, ttl=30s, max-value=64KB, grace=10d)";

int Namespace(Client& c, const std::vector<std::string>& w, const Output& o) {
  const std::string sub = w.size() > 1 ? w[1] : "";
  if (sub == "list" && w.size() == 2) {
    auto all = c.ListNamespaces();
    if (!all.ok()) return Fail(o, all.status());
    if (!o.json) {
      PrintNamespaces(*all, o);
      return kExitOk;
    }
    json::array rows;
    for (const NamespaceInfo& ns : *all) rows.push_back(ToJson(ns));
    *o.out << json::serialize(rows) << "\n";
    return kExitOk;
  }
  if (w.size() < 3) return Usage(o, kNsUsage);
  const std::string& name = w[2];
  std::span<const std::string> settings_words(w.begin() + 3, w.end());
  if (sub == "show" && w.size() == 3) {
    auto ns = FindNamespace(c, name);
    if (!ns.ok()) return Fail(o, ns.status());
    auto count = c.CountKeys(name);  // approximate; the settings are shown even when it fails
    if (o.json) {
      json::object shown = ToJson(*ns);
      shown["approximate_keys"] = count.ok() ? json::value(count->approximate_keys) : json::value(nullptr);
      *o.out << json::serialize(shown) << "\n";
    } else {
      PrintNamespaces({*ns}, o);
      if (count.ok())
        *o.out << "about " << count->approximate_keys << " keys (counted by " << count->nodes_counted << " of "
               << count->nodes << " nodes)\n";
      else
        *o.out << "keys: unknown (" << count.status().ToString() << ")\n";
    }
    return kExitOk;
  }
  Status done;
  if (sub == "create") {
    NamespaceSettings settings;
    if (Status s = ApplySettings(settings_words, &settings); !s.ok()) return Fail(o, s);
    done = c.CreateNamespace(name, settings);
  } else if (sub == "alter" && !settings_words.empty()) {
    auto ns = FindNamespace(c, name);
    if (!ns.ok()) return Fail(o, ns.status());
    if (Status s = ApplySettings(settings_words, &ns->settings); !s.ok()) return Fail(o, s);
    done = c.AlterNamespace(name, ns->settings);
  } else if (sub == "drop" && w.size() == 3) {
    done = c.DropNamespace(name);
  } else {
    return Usage(o, kNsUsage);
  }
  if (!done.ok()) return Fail(o, done);
  if (o.json)
    *o.out << json::serialize(json::object{{"namespace", name}, {"ok", true}}) << "\n";
  else
    *o.out << "namespace " << name << (sub == "create" ? " created" : sub == "alter" ? " altered" : " dropped") << "\n";
  return kExitOk;
}

}  // namespace

int RunAdminCommand(Client& client, const std::vector<std::string>& words, const Output& out) {
  const std::string& cmd = words[0];
  if (cmd == "cluster") {
    if (words.size() != 2 || words[1] != "status") return Usage(out, "usage: cluster status");
    return ClusterStatus(client, out);
  }
  if (cmd == "hints") return Hints(client, out);
  if (cmd == "repair") return Repair(client, words, out);
  if (cmd == "node") return Node(client, words, out);
  if (cmd == "ns") return Namespace(client, words, out);
  return -1;
}

}  // namespace ringkv::cli
