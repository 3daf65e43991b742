#include "cli/consistency_checker.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "common/vector_clock.h"

namespace ringkv::consistency {
namespace {

using OpsByKey = std::map<std::string, std::vector<const Op*>>;  // in history order

VersionVector ClockOf(const Context& c) {
  if (c.empty()) return VersionVector();
  auto decoded = CausalContext::Decode(c.bytes());
  return decoded.ok() ? decoded->clock : VersionVector();
}

// Whether `later` has seen everything `earlier` names.
bool Dominates(const VersionVector& later, const VersionVector& earlier) {
  Causality c = later.Compare(earlier);
  return c == Causality::kAfter || c == Causality::kEqual;
}

bool Contains(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// An acknowledged put is accounted for if its value is in the final state, or if it was
// superseded: the final version's clock dominates the put's, and some client actually
// read the value (a writer can only replace what a read showed it; the run's clients put
// with the context of their last read). A clock that covers a value nobody ever saw is
// a lost write dressed up as a superseded one.
// A put with a TTL is also accounted for when its value may have expired before the final
// reads ended (its key may have been read after the expiry).
void CheckLost(const std::vector<Op>& history, const std::map<std::string, GetResult>& final_state,
               Clock::time_point final_read_end, CheckReport* report) {
  std::set<std::pair<std::string, std::string>> seen;  // (key, value) returned by a read
  for (const Op& op : history) {
    if (op.kind != Op::kGet || !op.ok) continue;
    for (const auto& v : op.values) seen.insert({op.key, v});
  }
  for (const Op& op : history) {
    if (op.kind == Op::kDelete && op.ok) ++report->acked_deletes;
    if (op.kind != Op::kPut || !op.ok) continue;
    ++report->acked_puts;
    ++report->acked_by_client[op.client];
    auto it = final_state.find(op.key);
    if (it != final_state.end() && Contains(it->second.values, op.value)) continue;
    if (op.expires() && final_read_end >= op.earliest_expiry() - kExpiryMargin) {
      ++report->expired;
      continue;
    }
    bool dominated = it != final_state.end() && Dominates(ClockOf(it->second.context), ClockOf(op.context));
    if (dominated && seen.count({op.key, op.value})) {
      ++report->superseded;
      continue;
    }
    ++report->lost_by_client[op.client];
    report->violations.push_back({"lost", op.key,
                                  "acknowledged put of '" + op.value + "' by client " + std::to_string(op.client) +
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

// A fault-free read must return the latest put of its key acknowledged before it began,
// unless a write begun after that put (concurrent with it or with the read) explains the
// miss: a newer put whose value the read returned, or a delete; or the put's value may have
// expired before the read ended. After an acknowledged
// delete there is no value to demand; that the deleted values stay gone is
// CheckResurrections' business.
void CheckFreshReads(const OpsByKey& by_key, CheckReport* report) {
  for (const auto& [key, ops] : by_key) {
    for (const Op* get : ops) {
      if (get->kind != Op::kGet || !get->ok || get->faults) continue;
      ++report->reads;
      const Op* latest = nullptr;  // the last write of the key acknowledged before the read began
      for (const Op* w : ops) {
        if (w->is_write() && w->ok && !w->faults && w->end < get->start && (!latest || w->end > latest->end)) {
          latest = w;
        }
      }
      if (!latest || latest->kind == Op::kDelete || Contains(get->values, latest->value)) continue;
      if (latest->expires() && get->end + kExpiryMargin >= latest->earliest_expiry()) continue;  // may have expired
      bool newer = std::any_of(ops.begin(), ops.end(), [&](const Op* w) {
        return w->is_write() && w->start > latest->start && w->start < get->end &&
               (w->kind == Op::kDelete || Contains(get->values, w->value));
      });
      if (!newer) {
        report->stale_lags.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(get->start - latest->end));
        report->violations.push_back({"stale", key,
                                      "read by client " + std::to_string(get->client) + " missed '" + latest->value +
                                          "', acknowledged before it",
                                      latest->start, get->end});
      }
    }
  }
}

// One value that came back, with the evidence.
struct Resurrection {
  const Op* write = nullptr;       // the acknowledged write that replaced it
  const Op* first_read = nullptr;  // the first read that returned it after that write
  std::set<const Op*> reads;       // every read that did
  bool in_final_state = false;
};

std::string Ms(const std::vector<Op>& history, Clock::time_point t) {
  if (history.empty()) return "0";
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t - history.front().start).count());
}

std::string Describe(const Op& op) {
  std::string what = op.kind == Op::kDelete ? "delete" : "put of '" + op.value + "'";
  return "client " + std::to_string(op.client) + "'s " + what;
}

// See checker.h, "resurrected".
void CheckResurrections(const std::vector<Op>& history, const OpsByKey& by_key,
                        const std::map<std::string, GetResult>& final_state, CheckReport* report) {
  for (const auto& [key, ops] : by_key) {
    std::map<std::string, std::vector<const Op*>> reads_of, puts_of;  // by value returned / written
    for (const Op* op : ops) {
      if (op->kind == Op::kGet && op->ok) {
        for (const auto& v : op->values) reads_of[v].push_back(op);
      } else if (op->kind == Op::kPut) {
        puts_of[op->value].push_back(op);
      }
    }
    auto final_it = final_state.find(key);
    std::map<std::string, Resurrection> found;  // by value
    for (const Op* write : ops) {
      if (!write->is_write() || !write->ok || write->replaced.empty()) continue;
      VersionVector write_clock = ClockOf(write->context);
      for (const std::string& v : write->replaced) {
        if (write->kind == Op::kPut && v == write->value) continue;
        bool written_again =
            std::any_of(puts_of[v].begin(), puts_of[v].end(), [&](const Op* put) { return put->start > write->start; });
        if (written_again) continue;
        for (const Op* read : reads_of[v]) {
          if (read->start <= write->end || !Dominates(ClockOf(read->context), write_clock)) continue;
          Resurrection& r = found[v];
          if (!r.write || write->end < r.write->end) r.write = write;
          if (!r.first_read || read->start < r.first_read->start) r.first_read = read;
          r.reads.insert(read);
        }
        if (final_it != final_state.end() && Contains(final_it->second.values, v) &&
            Dominates(ClockOf(final_it->second.context), write_clock)) {
          Resurrection& r = found[v];
          if (!r.write || write->end < r.write->end) r.write = write;
          r.in_final_state = true;
        }
      }
    }
    for (const auto& [v, r] : found) {
      report->resurrecting_reads += r.reads.size();
      const Op* first_put = puts_of[v].empty() ? nullptr : puts_of[v].front();
      std::string detail = "'" + v + "'";
      if (first_put) {
        detail += " (" + std::string(first_put->ok ? "acknowledged" : "unacknowledged") + " put begun at " +
                  Ms(history, first_put->start) + " ms)";
      }
      detail += " came back after " + Describe(*r.write) + " replaced it (acknowledged at " +
                Ms(history, r.write->end) + " ms): ";
      if (r.first_read) {
        detail += std::to_string(r.reads.size()) + " later reads returned it, the first by client " +
                  std::to_string(r.first_read->client) + " at " + Ms(history, r.first_read->start) + " ms";
      }
      if (r.in_final_state) detail += std::string(r.first_read ? "; " : "") + "the final state holds it";
      Clock::time_point from = first_put ? first_put->start : r.write->start;
      Clock::time_point to = r.first_read ? r.first_read->end : history.back().end;
      report->violations.push_back({"resurrected", key, detail, from, to});
    }
  }
}

// See checker.h, "resurrected": a value read again after it expired.
void CheckExpiredReturns(const std::vector<Op>& history, const OpsByKey& by_key,
                         const std::map<std::string, GetResult>& final_state, Clock::time_point final_read_start,
                         CheckReport* report) {
  for (const auto& [key, ops] : by_key) {
    auto final_it = final_state.find(key);
    for (const Op* put : ops) {
      if (!put->expires()) continue;
      Clock::time_point gone = put->latest_expiry() + kExpiryMargin;
      std::vector<const Op*> reads;
      for (const Op* read : ops) {
        if (read->kind == Op::kGet && read->ok && read->start > gone && Contains(read->values, put->value)) {
          reads.push_back(read);
        }
      }
      bool in_final =
          final_it != final_state.end() && final_read_start > gone && Contains(final_it->second.values, put->value);
      if (reads.empty() && !in_final) continue;
      report->resurrecting_reads += reads.size();
      std::string detail = "'" + put->value + "' (put with a " + std::to_string(put->ttl.count()) +
                           " ms TTL, expired by " + Ms(history, put->latest_expiry()) +
                           " ms) came back after it expired: ";
      if (!reads.empty()) {
        detail += std::to_string(reads.size()) + " later reads returned it, the first by client " +
                  std::to_string(reads.front()->client) + " at " + Ms(history, reads.front()->start) + " ms";
      }
      if (in_final) detail += std::string(reads.empty() ? "" : "; ") + "the final state holds it";
      report->violations.push_back(
          {"resurrected", key, detail, put->start, reads.empty() ? history.back().end : reads.front()->end});
    }
  }
}

void PrintOp(std::ostream& out, const std::vector<Op>& history, const Op& op) {
  out << "    c" << op.client << " ";
  switch (op.kind) {
    case Op::kPut:
      out << "put " << op.value;
      break;
    case Op::kDelete:
      out << "delete";
      break;
    case Op::kGet:
      out << "get";
      break;
  }
  if (op.is_write() && !op.replaced.empty()) {
    out << " (replacing";
    for (const auto& x : op.replaced) out << " " << x;
    out << ")";
  }
  out << " [" << Ms(history, op.start) << ", " << Ms(history, op.end) << "] ms "
      << (op.ok ? "ok" : "failed: " + op.error);
  if (op.kind == Op::kGet) {
    for (const auto& x : op.values) out << " " << x;
  }
  out << (op.faults ? " (faults)" : "") << "\n";
}

// The ops of the violation's key within its window, by start; a long window shows its
// first 10 and its last 30 ops.
void PrintWindow(std::ostream& out, const std::vector<Op>& history, const Violation& v) {
  bool whole = v.from == Clock::time_point{} && v.to == Clock::time_point{};
  std::vector<const Op*> ops;
  for (const Op& op : history) {
    if (op.key == v.key && (whole || (op.end >= v.from && op.start <= v.to))) ops.push_back(&op);
  }
  // The history holds ops as they completed; a reader wants them as they began.
  std::stable_sort(ops.begin(), ops.end(), [](const Op* a, const Op* b) { return a->start < b->start; });
  constexpr size_t kHead = 10, kTail = 30;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops.size() > kHead + kTail && i == kHead) {
      out << "    ... " << ops.size() - kHead - kTail << " more ops\n";
      i = ops.size() - kTail;
    }
    PrintOp(out, history, *ops[i]);
  }
}

}  // namespace

CheckReport Check(const std::vector<Op>& history, const std::map<std::string, GetResult>& final_state,
                  Clock::time_point final_read_start, Clock::time_point final_read_end) {
  CheckReport report;
  report.ops = history.size();
  OpsByKey by_key;
  for (const Op& op : history) by_key[op.key].push_back(&op);
  CheckLost(history, final_state, final_read_end, &report);
  CheckPhantoms(history, final_state, &report);
  CheckFreshReads(by_key, &report);
  CheckResurrections(history, by_key, final_state, &report);
  CheckExpiredReturns(history, by_key, final_state, final_read_start, &report);
  return report;
}

size_t CheckReport::Count(const std::string& kind) const {
  return static_cast<size_t>(
      std::count_if(violations.begin(), violations.end(), [&](const Violation& v) { return v.kind == kind; }));
}

std::chrono::milliseconds CheckReport::MaxStaleLag() const {
  if (stale_lags.empty()) return std::chrono::milliseconds(0);
  return *std::max_element(stale_lags.begin(), stale_lags.end());
}

std::chrono::milliseconds CheckReport::MedianStaleLag() const {
  if (stale_lags.empty()) return std::chrono::milliseconds(0);
  std::vector<std::chrono::milliseconds> sorted = stale_lags;
  auto middle = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
  std::nth_element(sorted.begin(), middle, sorted.end());
  return *middle;
}

std::string CheckReport::Summary(const std::vector<Op>& history) const {
  std::ostringstream out;
  out << ops << " ops (" << acked_puts << " acknowledged puts, " << superseded << " of them superseded; "
      << acked_deletes << " acknowledged deletes; " << expired << " values expired; " << reads
      << " fault-free reads checked for freshness): " << violations.size() << " violations (lost " << Count("lost")
      << ", phantom " << Count("phantom") << ", stale " << Count("stale") << ", resurrected " << Count("resurrected");
  if (resurrecting_reads > 0) out << ", returned by " << resurrecting_reads << " reads";
  out << ")\n";
  size_t shown = 0;
  for (const Violation& v : violations) {
    out << "  " << v.kind << " " << v.key << ": " << v.detail << "\n";
    if (++shown <= 5) PrintWindow(out, history, v);  // the history of the first few
  }
  return out.str();
}

}  // namespace ringkv::consistency
