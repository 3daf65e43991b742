#include "cli/commands.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

#include <boost/json.hpp>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/crdt_commands.h"
#include "cli/scan_command.h"
#include "ringkv/limits.h"

namespace ringkv::cli {
namespace {

namespace json = boost::json;

}  // namespace

int Fail(const Output& o, const Status& s) {
  if (o.json) {
    *o.out << json::serialize(json::object{{"error", std::string(StatusCodeName(s.code()))}, {"message", s.message()}})
           << "\n";
  } else {
    *o.err << "error: " << s.ToString() << "\n";
  }
  return ExitCodeFor(s);
}

int Usage(const Output& o, const std::string& what) { return Fail(o, Status::InvalidArgument(what + " (try: help)")); }

namespace {

// "2026-11-29T07:30:01.123Z" for a write stamp.
std::string FormatStamp(uint64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03uZ", buf, static_cast<unsigned>(ms % 1000));
  return out;
}

int Get(Client& c, const std::vector<std::string>& w, const RequestOptions& req, const Output& o) {
  if (w.size() != 2) return Usage(o, "usage: get KEY");
  auto r = c.Get(w[1], req);
  if (!r.ok()) return Fail(o, r.status());
  if (o.json) {
    json::array values(r->values.begin(), r->values.end());
    json::array versions;
    uint64_t expires_ms = 0;  // when the last value expires, if every value has an expiry
    bool all_expire = r->found;
    for (const SiblingInfo& s : r->siblings) {
      json::object version{{"id", s.id}, {"written_ms", s.written_ms}, {"tombstone", s.tombstone}};
      if (s.expires_ms != 0) version["expires_ms"] = s.expires_ms;
      versions.push_back(std::move(version));
      if (s.tombstone) continue;
      all_expire = all_expire && s.expires_ms != 0;
      expires_ms = std::max(expires_ms, s.expires_ms);
    }
    json::object result{{"key", w[1]},          {"found", r->found},
                        {"values", values},     {"siblings", r->values.size()},
                        {"versions", versions}, {"context", r->context.ToHex()}};
    if (all_expire) result["expires_ms"] = expires_ms;
    *o.out << json::serialize(result) << "\n";
  } else if (!r->found) {
    *o.err << "(not found)\n";
  } else if (!r->has_siblings() && r->siblings.size() == 1) {
    *o.out << r->values[0] << "\n";
  } else {
    *o.out << r->siblings.size() << " siblings (concurrent writes); resolve with: put " << w[1] << " MERGED --context "
           << r->context.ToHex() << "\n";
    for (size_t i = 0; i < r->siblings.size(); ++i) {
      const SiblingInfo& s = r->siblings[i];
      *o.out << "  [" << i + 1 << "] " << (s.tombstone ? "(deleted)" : s.value) << "   " << s.id << ", written "
             << FormatStamp(s.written_ms);
      if (s.expires_ms != 0 && !s.tombstone) *o.out << ", expires " << FormatStamp(s.expires_ms);
      *o.out << "\n";
    }
  }
  return r->found ? kExitOk : kExitNotFound;
}

Result<Context> ParseContext(const std::string& hex) {
  if (hex.empty()) return Context();
  return Context::FromHex(hex);
}

// The context of what is stored now, for a put or delete given without --context. Read
// at the client's default R, not at the write's level: `put --level all` must attempt the
// write even when ALL cannot answer a read. A version this read misses is not lost: the
// write is concurrent with it and both come back as siblings.
Result<Context> CurrentContext(Client& c, const std::string& key, const RequestOptions& write) {
  RequestOptions read;
  read.timeout = write.timeout;
  read.ns = write.ns;  // the key's own namespace: the same key elsewhere is another key
  auto current = c.Get(key, read);
  if (current.ok()) return current->context;
  if (current.status().code() == StatusCode::kNotFound) return Context();
  return current.status();
}

// A put's value: the third word, or stdin when there is none or it is '-'.
std::string PutValue(const std::vector<std::string>& w) {
  if (w.size() == 3 && w[2] != "-") return w[2];
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

int PrintPut(const std::string& key, const PutResult& r, const Output& o) {
  if (o.json) {
    *o.out << json::serialize(json::object{{"key", key}, {"acks", r.acks}, {"context", r.context.ToHex()}}) << "\n";
  } else {
    *o.out << "OK (" << r.acks << " acks)\n";
  }
  return kExitOk;
}

int Put(Client& c, const std::vector<std::string>& w, const RequestOptions& req, const std::string& ctx_hex,
        const Output& o) {
  if (w.size() != 2 && w.size() != 3) return Usage(o, "usage: put KEY [VALUE | -]  (no VALUE or '-': read stdin)");
  std::string value = PutValue(w);
  auto ctx = ParseContext(ctx_hex);
  if (!ctx.ok()) return Fail(o, ctx.status());
  Context use = *ctx;
  if (ctx_hex.empty()) {  // replace what is there now (a blind write would add a sibling)
    auto current = CurrentContext(c, w[1], req);
    if (!current.ok()) return Fail(o, current.status());
    use = *current;
  }
  auto r = c.Put(w[1], value, use, req);
  if (!r.ok()) return Fail(o, r.status());
  return PrintPut(w[1], *r, o);
}

int Del(Client& c, const std::vector<std::string>& w, const RequestOptions& req, const std::string& ctx_hex,
        const Output& o) {
  if (w.size() != 2) return Usage(o, "usage: del KEY");
  auto ctx = ParseContext(ctx_hex);
  if (!ctx.ok()) return Fail(o, ctx.status());
  Context use = *ctx;
  if (use.empty()) {  // delete what is there now: read its context first
    auto current = CurrentContext(c, w[1], req);
    if (!current.ok()) return Fail(o, current.status());
    use = *current;
  }
  auto r = c.Delete(w[1], use, req);
  if (!r.ok()) return Fail(o, r.status());
  if (o.json)
    *o.out << json::serialize(json::object{{"key", w[1]}, {"deleted", true}, {"acks", r->acks}}) << "\n";
  else
    *o.out << "OK (" << r->acks << " acks)\n";
  return kExitOk;
}

int Ring(Client& c, const Output& o) {
  auto members = c.Members();
  if (o.json) {
    json::array arr;
    for (const auto& m : members) {
      arr.push_back(json::object{
          {"id", m.id}, {"address", m.address}, {"dc", m.dc}, {"vnodes", m.vnodes}, {"ownership", m.ownership}});
    }
    *o.out << json::serialize(json::object{{"version", c.RingVersion()}, {"nodes", arr}}) << "\n";
    return kExitOk;
  }
  *o.out << "ring version " << c.RingVersion() << ", " << members.size() << " nodes\n";
  *o.out << std::left << std::setw(16) << "node" << std::setw(24) << "address" << std::setw(8) << "dc" << std::setw(8)
         << "vnodes"
         << "ownership\n";
  for (const auto& m : members) {
    std::ostringstream pct;
    pct << std::fixed << std::setprecision(2) << m.ownership * 100 << "%";
    *o.out << std::setw(16) << m.id << std::setw(24) << m.address << std::setw(8) << m.dc << std::setw(8) << m.vnodes
           << pct.str() << "\n";
  }
  return kExitOk;
}

}  // namespace

Result<std::chrono::milliseconds> ParseTtl(std::string_view text) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  std::string_view unit(end, text.data() + text.size() - end);
  int64_t scale = unit == "ms"  ? 1
                  : unit == "s" ? 1000
                  : unit == "m" ? 60'000
                  : unit == "h" ? 3'600'000
                  : unit == "d" ? 86'400'000
                                : 0;
  if (ec != std::errc() || end == text.data() || scale == 0) {
    return Status::InvalidArgument("--ttl must be a duration like 500ms, 30s, 5m, 2h or 7d, not '" + std::string(text) +
                                   "'; nothing was written");
  }
  if (n <= 0) {
    return Status::InvalidArgument("--ttl must be positive, not '" + std::string(text) + "'; nothing was written");
  }
  if (n > kMaxTtlMs / scale) {
    return Status::InvalidArgument("--ttl '" + std::string(text) + "' is longer than 10 years; nothing was written");
  }
  return std::chrono::milliseconds(n * scale);
}

int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kNotFound:
      return kExitNotFound;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotSupported:
      return kExitBadInput;
    case StatusCode::kQuorumNotReached:
    case StatusCode::kTimedOut:
      return kExitQuorum;
    case StatusCode::kUnavailable:
      return kExitUnavailable;
    case StatusCode::kUnauthenticated:
      return kExitUnauthenticated;
    case StatusCode::kExists:
      return kExitExists;
    case StatusCode::kPermissionDenied:
      return kExitPermissionDenied;
    default:
      return kExitError;
  }
}

std::string CommandHelp() {
  return "commands:\n"
         "  get KEY                 read; siblings are listed with the context to merge them\n"
         "  put KEY [VALUE|-]       write, replacing the versions a read sees now (no VALUE or '-':\n"
         "                          stdin; --file PATH: a file); with --context HEX, replacing only\n"
         "                          what that read saw\n"
         "  put KEY VALUE --ttl 30s  ...that expires 30 s after the write (units ms, s, m, h, d;\n"
         "                          unset: the namespace's default ttl); get --json shows expires_ms\n"
         "  put KEY VALUE --if-absent  only if the key holds no value; else exit 7 (Exists),\n"
         "                          nothing written (racing creators both land, as siblings)\n"
         "  del KEY                 delete (supersedes what is there now)\n"
         "  mget KEY...             read many keys in one batch: a line per key (--json: an array)\n"
         "  mput KEY=VALUE...       write many keys in one batch, each replacing what a read sees\n"
         "                          now (--ttl applies to each); bad input writes none of them\n"
         "  counter get|incr|decr KEY [N]\n"
         "                          a counter (CRDT): concurrent increments all count\n"
         "  set get|add|remove KEY [VALUE...]\n"
         "                          a set (add-wins CRDT): a remove never loses a concurrent add\n"
         "  ring                    nodes, vnodes and ownership\n"
         "  scan NS [--prefix P] [--limit N] [--cursor C]\n"
         "                          the live keys of namespace NS in key order, paged (--count:\n"
         "                          the approximate number of keys instead)\n"
         "  cluster status          every node: dc, status (up/suspect/down), state, ownership, hints\n"
         "  hints                   hint entries per node: stored, merged, delivered, dropped, queued\n"
         "  repair [NODE [PEER]] [START:END]\n"
         "                          Merkle repair run by NODE (default: every node) with PEER\n"
         "                          (default: all) over token range (START, END] (default: all)\n"
         "  node decommission ID    stream ID's data to the nodes taking over, then it exits\n"
         "  node remove ID          drop a dead node from the ring (then run repair)\n"
         "  ns list | ns show NAME   namespaces and their settings\n"
         "  ns create NAME [k=v...] n=3 w=2 r=2 conflict=siblings|lww ttl=30s max-value=64KB grace=10d\n"
         "  ns alter NAME k=v...    change settings (not n)\n"
         "  ns drop NAME            drop a namespace\n" +
         UserCommandHelp() + BackupCommandHelp() +
         "  bench                   load test: --ops 1M --mix 50:50 --value-size 100 --concurrency 64\n"
         "                          [--keys 100k] [--plot FILE.svg]; honours --n/--w/--r, --json\n"
         "  autoscale               add/decommission nodes by load: --provision-cmd CMD, thresholds,\n"
         "                          --window, --cooldown (docs/operations.md, Automatic scaling)\n"
         "  verify                  consistency check: a canary workload (--duration 5s, --keys 16,\n"
         "                          --concurrency 4, --ops N) in namespace ringkv-verify (--ns), checked\n"
         "                          for lost, phantom and stale reads; --report-to ADMIN,... (exit 9:\n"
         "                          inconsistent; docs/operations.md, Consistency check)\n"
         "options before the command: --ns NAMESPACE (get/put/del/counter/set), --n/--w/--r N,\n"
         "  --level one|quorum|all|local_one|local_quorum|each_quorum, --dc DC (the client's\n"
         "  datacenter), --timeout MS,\n"
         "  --context HEX (put/del: the context a get printed), --json\n"
         "security options: --token-file F, or --user NAME --password-file F (RINGKV_USER,\n"
         "  RINGKV_PASSWORD_FILE); --tls-ca/--tls-cert/--tls-key (docs/security.md)\n";
}

bool IsCommand(const std::string& word) {
  if (word == "help" || word == "delete") return true;
  std::istringstream help(CommandHelp());
  std::string line;
  std::getline(help, line);  // "commands:"
  while (std::getline(help, line) && line.rfind("options", 0) != 0) {
    if (line.size() < 3 || line.compare(0, 2, "  ") != 0 || line[2] == ' ') continue;  // a continuation
    if (line.substr(2, line.find(' ', 2) - 2) == word) return true;
  }
  return false;
}

int PutIfAbsent(Client& client, const std::vector<std::string>& w, const RequestOptions& request, const Output& o) {
  if (w.size() != 2 && w.size() != 3) return Usage(o, "usage: put KEY [VALUE | -] --if-absent");
  auto r = client.PutIfAbsent(w[1], PutValue(w), request);
  if (!r.ok()) return Fail(o, r.status());
  return PrintPut(w[1], *r, o);
}

int RunCommand(Client& client, const std::vector<std::string>& words, const RequestOptions& request,
               const std::string& context_hex, const Output& out) {
  if (words.empty()) return Usage(out, "no command");
  const std::string& cmd = words[0];
  if (cmd == "get") return Get(client, words, request, out);
  if (cmd == "put") return Put(client, words, request, context_hex, out);
  if (cmd == "del" || cmd == "delete") return Del(client, words, request, context_hex, out);
  if (cmd == "ring") return Ring(client, out);
  if (cmd == "scan") return RunScan(client, words, {}, request, out);
  if (int code = RunCrdtCommand(client, words, request, out); code >= 0) return code;
  if (int code = RunAdminCommand(client, words, out); code >= 0) return code;
  if (int code = RunUserCommand(client, words, out); code >= 0) return code;
  if (int code = RunBackupCommand(client, words, out); code >= 0) return code;
  if (int code = RunBatchCommand(client, words, request, context_hex, out); code >= 0) return code;
  if (cmd == "help") {
    *out.out << CommandHelp();
    return kExitOk;
  }
  return Usage(out, "unknown command '" + cmd + "'");
}

}  // namespace ringkv::cli
