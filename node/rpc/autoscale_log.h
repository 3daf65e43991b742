#pragma once
// AutoscaleLog: the decisions an autoscaler (`kv autoscale --report-to`) posted to this
// node's admin endpoint (POST /v1/autoscale), kept so that the dashboard, GET /v1/autoscale
// and /metrics show them. Memory only, the last kKept of them: a restart forgets them (the
// autoscaler's own log is the record). The node acts on none of it. Thread-safe.

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "ringkv/status.h"

namespace ringkv {

struct AutoscaleEntry {
  int64_t time_ms = 0;  // when the autoscaler decided (Unix ms, its clock)
  std::string action;   // one of AutoscaleLog::kActions
  std::string node;     // the node added or removed (may be empty)
  std::string reason;
};

class AutoscaleLog {
 public:
  static constexpr size_t kKept = 32;
  static constexpr size_t kMaxField = 1024;  // bytes of node or reason
  // add, remove: a change started; done: it finished; failed: it did not; none: the
  // autoscaler decided to do nothing (it posts those only when the reason's kind changes).
  static constexpr std::array<const char*, 5> kActions = {"add", "remove", "done", "failed", "none"};

  // InvalidArgument (nothing kept) for an unknown action or a field over kMaxField.
  Status Record(AutoscaleEntry entry);
  std::vector<AutoscaleEntry> Recent() const;  // oldest first
  // Entries recorded since the node started, per action (in kActions order).
  std::array<uint64_t, kActions.size()> Counts() const;

 private:
  mutable Mutex mu_;
  std::deque<AutoscaleEntry> recent_ GUARDED_BY(mu_);
  std::array<uint64_t, kActions.size()> counts_ GUARDED_BY(mu_){};
};

}  // namespace ringkv
