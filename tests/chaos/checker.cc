#include "tests/chaos/checker.h"

#include <set>
#include <sstream>

#include "common/vector_clock.h"

namespace ringkv::chaos {
namespace {

VersionVector ClockOf(const Context& c) {
  if (c.empty()) return VersionVector();
  auto decoded = CausalContext::Decode(c.bytes());
  return decoded.ok() ? decoded->clock : VersionVector();
}

bool Contains(const std::vector<std::string>& values, const std::string& v) {
  for (const auto& x : values) {
    if (x == v) return true;
  }
  return false;
}

// An acknowledged put is accounted for if its value is in the final state, or if it was
// superseded: the final version's clock dominates the put's, and some client actually
// read the value (a writer can only replace what a read showed it; the run's clients put
// with the context of their last read). A clock that covers a value nobody ever saw is
// a lost write dressed up as a superseded one.
void CheckLost(const std::vector<Op>& history, const std::map<std::string, GetResult>& final_state,
               CheckReport* report) {
  std::map<std::pair<std::string, std::string>, bool> seen;  // (key, value) returned by a read
  for (const Op& op : history) {
    if (op.kind != Op::kGet || !op.ok) continue;
    for (const auto& v : op.values) seen[{op.key, v}] = true;
  }
  for (const Op& op : history) {
    if (op.kind != Op::kPut || !op.ok) continue;
    ++report->acked_puts;
    ++report->acked_by_client[op.client];
    auto it = final_state.find(op.key);
    if (it != final_state.end() && Contains(it->second.values, op.value)) continue;
    Causality c = it == final_state.end() ? Causality::kBefore : ClockOf(it->second.context).Compare(ClockOf(op.context));
    bool dominated = c == Causality::kAfter || c == Causality::kEqual;
    if (dominated && seen.count({op.key, op.value})) {
      ++report->superseded;
      continue;
    }
    ++report->lost_by_client[op.client];
    report->violations.push_back(
        {"lost", op.key, "acknowledged put of '" + op.value + "' by client " + std::to_string(op.client) +
                             (dominated ? " is gone: the final clock covers it, but no read ever returned it"
                                        : " is gone and not superseded")});
  }
}

void CheckPhantoms(const std::vector<Op>& history, const std::map<std::string, GetResult>& final_state,
                   CheckReport* report) {
  std::map<std::string, std::set<std::string>> written;
  for (const Op& op : history) {
    if (op.kind == Op::kPut) written[op.key].insert(op.value);  // acknowledged or not: it may have landed
  }
  auto check = [&](const std::string& key, const std::vector<std::string>& values, const char* where) {
    for (const auto& v : values) {
      if (!written[key].count(v)) {
        report->violations.push_back({"phantom", key, std::string(where) + " returned '" + v + "', never written"});
      }
    }
  };
  for (const Op& op : history) {
    if (op.kind == Op::kGet && op.ok) check(op.key, op.values, "a read");
  }
  for (const auto& [key, result] : final_state) check(key, result.values, "the final read");
}

void CheckFreshReads(const std::vector<Op>& history, CheckReport* report) {
  for (const Op& get : history) {
    if (get.kind != Op::kGet || !get.ok || get.faults) continue;
    ++report->reads;
    const Op* latest = nullptr;  // the last put of the key acknowledged before the read began
    for (const Op& put : history) {
      if (put.kind == Op::kPut && put.ok && !put.faults && put.key == get.key && put.end < get.start &&
          (!latest || put.end > latest->end)) {
        latest = &put;
      }
    }
    if (!latest || Contains(get.values, latest->value)) continue;
    bool newer = false;  // a put begun after `latest` (concurrent with or after it) may have replaced it
    for (const Op& put : history) {
      if (put.kind == Op::kPut && put.key == get.key && put.start > latest->start && put.start < get.end &&
          Contains(get.values, put.value)) {
        newer = true;
      }
    }
    if (!newer) {
      report->violations.push_back({"stale", get.key, "read by client " + std::to_string(get.client) +
                                                          " missed '" + latest->value + "', acknowledged before it"});
    }
  }
}

}  // namespace

CheckReport Check(const std::vector<Op>& history, const std::map<std::string, GetResult>& final_state) {
  CheckReport report;
  report.ops = history.size();
  CheckLost(history, final_state, &report);
  CheckPhantoms(history, final_state, &report);
  CheckFreshReads(history, &report);
  return report;
}

std::string CheckReport::Summary(const std::vector<Op>& history) const {
  std::ostringstream out;
  out << ops << " ops (" << acked_puts << " acknowledged puts, " << superseded << " of them superseded; " << reads
      << " fault-free reads checked for freshness): " << violations.size() << " violations\n";
  std::set<std::string> shown;
  for (const Violation& v : violations) {
    out << "  " << v.kind << " " << v.key << ": " << v.detail << "\n";
    if (!shown.insert(v.key).second || shown.size() > 5) continue;
    for (const Op& op : history) {  // the key's history, for the first few keys
      if (op.key != v.key) continue;
      auto ms = [&](Clock::time_point t) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(t - history.front().start).count();
      };
      out << "    c" << op.client << " " << (op.kind == Op::kPut ? "put " + op.value : "get") << " [" << ms(op.start)
          << ", " << ms(op.end) << "] ms " << (op.ok ? "ok" : "failed: " + op.error);
      if (op.kind == Op::kGet) {
        for (const auto& x : op.values) out << " " << x;
      }
      out << (op.faults ? " (faults)" : "") << "\n";
    }
  }
  return out.str();
}

}  // namespace ringkv::chaos
