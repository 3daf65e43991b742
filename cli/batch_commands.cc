// kv mget / kv mput: the SDK's batch calls (Client::MultiGet, MultiPut) from the shell.

#include <boost/json.hpp>
#include <ostream>

#include "cli/commands.h"

namespace ringkv::cli {
namespace {

namespace json = boost::json;

// The exit code of a batch: the first failed key's, else 1 when a key was not found.
int BatchExit(int first_error, bool any_missing) {
  if (first_error != kExitOk) return first_error;
  return any_missing ? kExitNotFound : kExitOk;
}

json::object KeyError(const std::string& key, const Status& s) {
  return json::object{{"key", key}, {"error", std::string(StatusCodeName(s.code()))}, {"message", s.message()}};
}

int MultiGet(Client& c, const std::vector<std::string>& w, const RequestOptions& req, const Output& o) {
  if (w.size() < 2) return Usage(o, "usage: mget KEY...");
  std::vector<std::string> keys(w.begin() + 1, w.end());
  auto r = c.MultiGet(keys, req);
  if (!r.ok()) return Fail(o, r.status());
  int first_error = kExitOk;
  bool any_missing = false;
  json::array out;
  for (size_t i = 0; i < keys.size(); ++i) {
    const Result<GetResult>& one = (*r)[i];
    if (!one.ok()) {
      if (first_error == kExitOk) first_error = ExitCodeFor(one.status());
      if (o.json)
        out.push_back(KeyError(keys[i], one.status()));
      else
        *o.out << keys[i] << ": error: " << one.status().ToString() << "\n";
      continue;
    }
    any_missing = any_missing || !one->found;
    if (o.json) {
      out.push_back(json::object{{"key", keys[i]},
                                 {"found", one->found},
                                 {"values", json::array(one->values.begin(), one->values.end())},
                                 {"context", one->context.ToHex()}});
    } else if (!one->found) {
      *o.out << keys[i] << ": (not found)\n";
    } else if (one->values.size() == 1) {
      *o.out << keys[i] << ": " << one->values[0] << "\n";
    } else {
      *o.out << keys[i] << ": " << one->values.size() << " siblings (kv get " << keys[i] << " lists them)\n";
    }
  }
  if (o.json) *o.out << json::serialize(out) << "\n";
  return BatchExit(first_error, any_missing);
}

// Like `put`, each key replaces what a read sees now: the keys are read first (one MultiGet
// at the client's default R) and written with those contexts (one MultiPut).
int MultiPut(Client& c, const std::vector<std::string>& w, const RequestOptions& req, const std::string& ctx_hex,
             const Output& o) {
  if (w.size() < 2) return Usage(o, "usage: mput KEY=VALUE...");
  if (!ctx_hex.empty()) return Usage(o, "mput takes no --context (each key replaces what a read sees now)");
  std::vector<Client::PutEntry> entries;
  std::vector<std::string> keys;
  for (size_t i = 1; i < w.size(); ++i) {
    size_t eq = w[i].find('=');
    if (eq == std::string::npos || eq == 0) {
      return Usage(o, "mput wants KEY=VALUE, not '" + w[i] + "'; nothing was written");
    }
    keys.push_back(w[i].substr(0, eq));
    entries.push_back({keys.back(), w[i].substr(eq + 1), {}, {}});
  }
  RequestOptions read;
  read.timeout = req.timeout;
  read.ns = req.ns;
  auto current = c.MultiGet(keys, read);
  if (!current.ok()) return Fail(o, current.status());
  for (size_t i = 0; i < keys.size(); ++i) {
    const Result<GetResult>& seen = (*current)[i];
    if (!seen.ok()) {  // its own status, so the exit code says what went wrong
      *o.err << "reading '" << keys[i] << "' first failed; nothing was written\n";
      return Fail(o, seen.status());
    }
    entries[i].context = seen->context;
  }
  auto r = c.MultiPut(entries, req);
  if (!r.ok()) return Fail(o, r.status());
  int first_error = kExitOk;
  json::array out;
  for (size_t i = 0; i < keys.size(); ++i) {
    const Result<PutResult>& one = (*r)[i];
    if (!one.ok()) {
      if (first_error == kExitOk) first_error = ExitCodeFor(one.status());
      if (o.json)
        out.push_back(KeyError(keys[i], one.status()));
      else
        *o.out << keys[i] << ": error: " << one.status().ToString() << "\n";
    } else if (o.json) {
      out.push_back(json::object{{"key", keys[i]}, {"acks", one->acks}, {"context", one->context.ToHex()}});
    } else {
      *o.out << keys[i] << ": OK (" << one->acks << " acks)\n";
    }
  }
  if (o.json) *o.out << json::serialize(out) << "\n";
  return BatchExit(first_error, false);
}

}  // namespace

int RunBatchCommand(Client& client, const std::vector<std::string>& words, const RequestOptions& request,
                    const std::string& context_hex, const Output& out) {
  if (words.empty()) return -1;
  if (words[0] == "mget") return MultiGet(client, words, request, out);
  if (words[0] == "mput") return MultiPut(client, words, request, context_hex, out);
  return -1;
}

}  // namespace ringkv::cli
