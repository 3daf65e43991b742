// kv's backup commands (kv backup create|list|delete|restore): every node's part of a
// cluster backup, and writing a backup into a cluster (docs/operations.md, "Backup and
// restore"). The nodes do the work; this checks first, so bad input changes nothing.

#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>

#include "cli/commands.h"

namespace ringkv::cli {
namespace {

namespace json = boost::json;

std::string IsoTime(uint64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream s;
  s << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return s.str();
}

json::object ToJson(const BackupInfo& b) {
  return json::object{{"node", b.node},     {"name", b.name},   {"created_ms", b.created_ms},
                      {"tables", b.tables}, {"bytes", b.bytes}, {"complete", b.complete},
                      {"dir", b.dir}};
}

// Every ring member's id, or Unavailable naming one that is not up: a backup needs every
// node's part (a restore checks that it has them all).
Result<std::vector<std::string>> AllNodesUp(Client& c) {
  (void)c.RefreshRing();
  std::vector<std::string> ids;
  for (const auto& m : c.Members()) {
    if (m.status != "up") {
      return Status::Unavailable("node " + m.id + " is " + m.status +
                                 ": a backup needs a part of every node; nothing was created");
    }
    ids.push_back(m.id);
  }
  if (ids.empty()) return Status::Unavailable("the ring has no members");
  return ids;
}

// Removes the parts made so far after a failed create, so that it changes nothing; `nodes`
// may name one that holds none (NotFound is what was wanted).
void RollBack(Client& c, const std::vector<std::string>& nodes, const std::string& name, const Output& o) {
  for (const std::string& node : nodes) {
    Status s = c.DeleteBackup(node, name);
    if (!s.ok() && !s.IsNotFound()) *o.err << "warning: cannot remove " << node << "'s part: " << s.ToString() << "\n";
  }
}

int Create(Client& c, const std::string& name, const Output& o) {
  auto nodes = AllNodesUp(c);
  if (!nodes.ok()) return Fail(o, nodes.status());
  for (const std::string& node : *nodes) {
    auto held = c.ListBackups(node);
    if (!held.ok()) return Fail(o, held.status().Annotated("asking " + node + "; nothing was created"));
    for (const BackupInfo& b : *held) {
      if (b.name == name) {
        return Fail(o, Status::Exists("backup '" + name + "' exists already (on " + node +
                                      "); nothing was created (kv backup delete " + name + " first)"));
      }
    }
  }
  std::vector<std::string> made;
  json::array rows;
  for (const std::string& node : *nodes) {
    auto part = c.CreateBackup(node, name);
    if (!part.ok()) {
      made.push_back(node);  // its part may exist after all (an answer lost, a failure part-way)
      RollBack(c, made, name, o);
      return Fail(o, part.status().Annotated("on " + node + "; the parts already made were removed"));
    }
    made.push_back(node);
    if (o.json)
      rows.push_back(ToJson(*part));
    else
      *o.out << node << ": backup " << name << ": " << part->tables << " files, " << part->bytes << " bytes in "
             << part->dir << "\n";
  }
  if (o.json) *o.out << json::serialize(rows) << "\n";
  return kExitOk;
}

int List(Client& c, const Output& o) {
  (void)c.RefreshRing();
  json::array rows;
  Status first_failure;
  if (!o.json) {
    *o.out << std::left << std::setw(12) << "node" << std::setw(20) << "backup" << std::setw(22) << "created"
           << std::setw(8) << "files" << std::setw(14) << "bytes"
           << "state\n";
  }
  for (const auto& m : c.Members()) {
    auto held = c.ListBackups(m.id);
    if (!held.ok()) {
      *o.err << m.id << ": " << held.status().ToString() << "\n";
      if (first_failure.ok()) first_failure = held.status();
      continue;
    }
    for (const BackupInfo& b : *held) {
      if (o.json) {
        rows.push_back(ToJson(b));
        continue;
      }
      *o.out << std::setw(12) << b.node << std::setw(20) << b.name << std::setw(22)
             << (b.complete ? IsoTime(b.created_ms) : "-") << std::setw(8) << b.tables << std::setw(14) << b.bytes
             << (b.complete ? "complete" : "incomplete") << "\n";
    }
  }
  if (o.json) *o.out << json::serialize(rows) << "\n";
  return first_failure.ok() ? kExitOk : ExitCodeFor(first_failure);
}

int Delete(Client& c, const std::string& name, const Output& o) {
  (void)c.RefreshRing();
  int deleted = 0;
  for (const auto& m : c.Members()) {
    Status s = c.DeleteBackup(m.id, name);
    if (s.IsNotFound()) continue;
    if (!s.ok()) return Fail(o, s.Annotated("on " + m.id));
    ++deleted;
    if (!o.json) *o.out << m.id << ": deleted backup " << name << "\n";
  }
  if (deleted == 0) return Fail(o, Status::NotFound("no node holds a backup '" + name + "'"));
  if (o.json) *o.out << json::serialize(json::object{{"name", name}, {"deleted", deleted}}) << "\n";
  return kExitOk;
}

int Restore(Client& c, const std::vector<std::string>& dirs, const Output& o) {
  (void)c.RefreshRing();
  std::string via;
  for (const auto& m : c.Members()) {
    if (m.status == "up") {
      via = m.id;
      break;
    }
  }
  if (via.empty()) return Fail(o, Status::Unavailable("no node of the cluster is up"));
  auto report = c.RestoreBackup(via, dirs);
  if (!report.ok()) return Fail(o, report.status());
  if (o.json) {
    *o.out << json::serialize(json::object{{"via", via},
                                           {"parts", report->parts},
                                           {"keys", report->keys},
                                           {"hints", report->hints},
                                           {"sets_sent", report->sets_sent}})
           << "\n";
  } else {
    *o.out << "restored " << report->parts << " part(s) through " << via << ": " << report->keys << " keys and "
           << report->hints << " hints read, " << report->sets_sent << " sets replicated\n";
  }
  return kExitOk;
}

}  // namespace

std::string BackupCommandHelp() {
  return "  backup create NAME      every node's part of backup NAME (hard links under its\n"
         "                          <data>/backups/NAME); every node must be up; exit 7: exists\n"
         "  backup list             every node's backups: created, files, bytes, complete or not\n"
         "  backup delete NAME      remove NAME from every node (exit 1: no node holds it)\n"
         "  backup restore DIR...   write a backup into this cluster (any size) through the\n"
         "                          replica path: DIR... are every old node's <data>/backups/NAME,\n"
         "                          readable on the first live node's host\n";
}

int RunBackupCommand(Client& client, const std::vector<std::string>& w, const Output& o) {
  if (w.empty() || w[0] != "backup") return -1;
  const std::string sub = w.size() > 1 ? w[1] : "";
  if (sub == "create" && w.size() == 3) return Create(client, w[2], o);
  if (sub == "list" && w.size() == 2) return List(client, o);
  if (sub == "delete" && w.size() == 3) return Delete(client, w[2], o);
  if (sub == "restore" && w.size() >= 3) return Restore(client, {w.begin() + 2, w.end()}, o);
  return Usage(o, "usage:\n" + BackupCommandHelp());
}

}  // namespace ringkv::cli
