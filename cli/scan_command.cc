#include "cli/scan_command.h"

#include <algorithm>
#include <boost/json.hpp>
#include <iostream>

namespace ringkv::cli {
namespace {

namespace json = boost::json;

constexpr const char* kUsage = "usage: scan NAMESPACE [--prefix P] [--limit N] [--cursor C] [--count]";
constexpr size_t kShellPageSize = 1000;

// Flags given after the namespace (the REPL passes them as words).
Status ParseWords(const std::vector<std::string>& words, ScanFlags* flags) {
  for (size_t i = 2; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "--count") {
      flags->count = true;
      continue;
    }
    if (i + 1 >= words.size() || (w != "--prefix" && w != "--limit" && w != "--cursor")) {
      return Status::InvalidArgument(std::string(kUsage) + " (unexpected '" + w + "')");
    }
    const std::string& value = words[++i];
    if (w == "--prefix") {
      flags->prefix = value;
    } else if (w == "--cursor") {
      flags->cursor = value;
    } else {
      try {
        size_t used = 0;
        flags->limit = std::stoull(value, &used);
        if (used != value.size()) throw std::invalid_argument(value);
      } catch (const std::exception&) {
        return Status::InvalidArgument("--limit takes a number of keys, got '" + value + "'");
      }
    }
  }
  return Status::OK();
}

int Count(Client& c, const std::string& ns, const Output& o) {
  auto count = c.CountKeys(ns);
  if (!count.ok()) return Fail(o, count.status());
  if (o.json) {
    *o.out << json::serialize(json::object{{"namespace", ns},
                                           {"approximate_keys", count->approximate_keys},
                                           {"nodes_counted", count->nodes_counted},
                                           {"nodes", count->nodes}})
           << "\n";
  } else {
    *o.out << "about " << count->approximate_keys << " keys in " << ns << " (counted by " << count->nodes_counted
           << " of " << count->nodes << " nodes)\n";
  }
  return kExitOk;
}

json::object ItemJson(const ScanItem& item) {
  return json::object{{"key", item.key},
                      {"values", json::array(item.value.values.begin(), item.value.values.end())},
                      {"siblings", item.value.values.size()},
                      {"context", item.value.context.ToHex()}};
}

void PrintItem(const ScanItem& item, const Output& o) {
  const auto& values = item.value.values;
  *o.out << item.key << "\t";
  if (values.size() == 1) {
    *o.out << values[0] << "\n";
    return;
  }
  *o.out << "[" << values.size() << " siblings]";
  for (size_t i = 0; i < values.size(); ++i) *o.out << (i ? " | " : " ") << values[i];
  *o.out << "\n";
}

}  // namespace

int RunScan(Client& client, const std::vector<std::string>& words, ScanFlags flags, const RequestOptions& request,
            const Output& o) {
  if (words.size() < 2) return Usage(o, kUsage);
  if (Status s = ParseWords(words, &flags); !s.ok()) return Fail(o, s);
  const std::string& ns = words[1];
  if (flags.count) return Count(client, ns, o);
  ScanOptions options;
  options.prefix = flags.prefix;
  options.cursor = flags.cursor;
  options.level = request.level;
  options.r = request.r;
  options.timeout = request.timeout;
  uint64_t printed = 0;
  bool opened = false;  // JSON: the object is streamed, one page of items at a time
  auto open_json = [&] {
    if (!o.json || opened) return;
    opened = true;
    *o.out << "{\"namespace\":" << json::serialize(json::value(ns)) << ",\"items\":[";
  };
  while (true) {
    options.page_size = kShellPageSize;
    if (flags.limit > 0)
      options.page_size = static_cast<size_t>(std::min<uint64_t>(kShellPageSize, flags.limit - printed));
    auto page = client.Scan(ns, options);
    if (!page.ok()) {
      if (opened) *o.out << "]}\n";  // keep what was printed valid JSON; the error follows
      return Fail(o, page.status());
    }
    open_json();
    for (const ScanItem& item : page->items) {
      if (o.json)
        *o.out << (printed ? "," : "") << json::serialize(ItemJson(item));
      else
        PrintItem(item, o);
      ++printed;
    }
    options.cursor = page->cursor;
    if (page->done() || (flags.limit > 0 && printed >= flags.limit)) break;
  }
  if (o.json) {
    *o.out << "],\"count\":" << printed << ",\"cursor\":" << json::serialize(json::value(options.cursor)) << "}\n";
  } else if (!options.cursor.empty()) {
    *o.err << "(" << printed << " keys; more remain: continue with --cursor " << options.cursor << ")\n";
  } else {
    *o.err << "(" << printed << " keys)\n";
  }
  return kExitOk;
}

}  // namespace ringkv::cli
