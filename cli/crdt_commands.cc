#include "cli/crdt_commands.h"

#include <charconv>

#include <boost/json.hpp>
#include <iostream>

#include "ringkv/crdt.h"

namespace ringkv::cli {
namespace {

namespace json = boost::json;

constexpr const char* kCounterUsage = "usage: counter get KEY | counter incr KEY [N] | counter decr KEY [N]";
constexpr const char* kSetUsage = "usage: set get KEY | set add KEY VALUE... | set remove KEY VALUE...";

// N of `counter incr|decr KEY N`: a positive whole number (default 1).
Result<int64_t> ParseAmount(const std::vector<std::string>& w) {
  if (w.size() == 3) return 1;
  int64_t n = 0;
  const std::string& text = w[3];
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n <= 0) {
    return Status::InvalidArgument("counter: N must be a positive whole number, not '" + text +
                                   "'; nothing was written");
  }
  return n;
}

int PrintCounter(const std::string& key, int64_t value, const Output& o) {
  if (o.json) {
    *o.out << json::serialize(json::object{{"key", key}, {"type", "counter"}, {"value", value}}) << "\n";
  } else {
    *o.out << value << "\n";
  }
  return kExitOk;
}

int Counter(CrdtClient& crdt, const std::vector<std::string>& w, const RequestOptions& req, const Output& o) {
  if (w.size() < 3 || w.size() > 4) return Usage(o, kCounterUsage);
  const std::string& verb = w[1];
  const std::string& key = w[2];
  if (verb == "get" && w.size() == 3) {
    auto counter = crdt.GetCounter(key, req);
    if (!counter.ok()) return Fail(o, counter.status());
    return PrintCounter(key, counter->Value(), o);
  }
  if (verb != "incr" && verb != "decr") return Usage(o, kCounterUsage);
  auto amount = ParseAmount(w);
  if (!amount.ok()) return Fail(o, amount.status());
  auto value = crdt.Increment(key, verb == "incr" ? *amount : -*amount, req);
  if (!value.ok()) return Fail(o, value.status());
  return PrintCounter(key, *value, o);
}

int Set(CrdtClient& crdt, const std::vector<std::string>& w, const RequestOptions& req, const Output& o) {
  if (w.size() < 3) return Usage(o, kSetUsage);
  const std::string& verb = w[1];
  const std::string& key = w[2];
  std::vector<std::string> values(w.begin() + 3, w.end());
  if (verb == "get" && values.empty()) {
    auto set = crdt.GetSet(key, req);
    if (!set.ok()) return Fail(o, set.status());
    if (o.json) {
      std::vector<std::string> elements = set->Elements();
      json::array arr(elements.begin(), elements.end());
      *o.out << json::serialize(json::object{{"key", key}, {"type", "set"}, {"elements", arr}}) << "\n";
    } else {
      for (const std::string& e : set->Elements()) *o.out << e << "\n";
      if (set->size() == 0) *o.err << "(empty)\n";
    }
    return kExitOk;
  }
  if ((verb != "add" && verb != "remove") || values.empty()) return Usage(o, kSetUsage);
  Status s = verb == "add" ? crdt.AddToSet(key, values, req) : crdt.RemoveFromSet(key, values, req);
  if (!s.ok()) return Fail(o, s);
  if (o.json) {
    json::array arr(values.begin(), values.end());
    *o.out << json::serialize(json::object{{"key", key}, {verb == "add" ? "added" : "removed", arr}}) << "\n";
  } else {
    *o.out << "OK\n";
  }
  return kExitOk;
}

}  // namespace

int RunCrdtCommand(Client& client, const std::vector<std::string>& words, const RequestOptions& request,
                   const Output& out) {
  if (words.empty() || (words[0] != "counter" && words[0] != "set")) return -1;
  CrdtClient crdt(client);
  return words[0] == "counter" ? Counter(crdt, words, request, out) : Set(crdt, words, request, out);
}

}  // namespace ringkv::cli
