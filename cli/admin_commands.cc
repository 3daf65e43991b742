// kv's admin commands: what an operator runs to see and change the cluster.

#include <boost/json.hpp>
#include <charconv>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
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
  return -1;
}

}  // namespace ringkv::cli
