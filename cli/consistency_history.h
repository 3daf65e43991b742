#pragma once
// History: every operation the clients of a chaos run (tests/chaos) or of `kv verify`'s
// canary workload issued, with when it started and ended, what it returned and under which
// phase (fault-free or with faults injected), for the checker (cli/consistency_checker.h).
// Thread-safe: clients record from their own threads.

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "ringkv/client.h"

namespace ringkv::consistency {

using Clock = std::chrono::steady_clock;

struct Op {
  enum Kind { kPut, kGet, kDelete } kind = kGet;
  int client = 0;
  std::string key;
  std::string value;                 // put: the value written (unique per put)
  std::chrono::milliseconds ttl{0};  // put: the value's time to live (0: it never expires)
  std::vector<std::string> values;   // get: the values read
  bool ok = false;                   // acknowledged (put, delete) / answered (get)
  std::string error;
  Context context;  // put, delete: the new version's context; get: the read's
  Clock::time_point start, end;
  bool faults = false;  // issued in the phase with faults
  // Put, delete: the values of the read whose context it carried — what it replaced
  // (empty for a write without a read's context, or after a read that found nothing).
  std::vector<std::string> replaced;

  bool is_write() const { return kind == kPut || kind == kDelete; }
  bool expires() const { return kind == kPut && ttl.count() > 0; }
  // The value expires between these two (the SDK stamps the write between start and end).
  Clock::time_point earliest_expiry() const { return start + ttl; }
  Clock::time_point latest_expiry() const { return end + ttl; }
};

class History {
 public:
  void Add(Op op) {
    std::lock_guard lock(mu_);
    ops_.push_back(std::move(op));
  }
  std::vector<Op> ops() const {
    std::lock_guard lock(mu_);
    return ops_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Op> ops_;
};

}  // namespace ringkv::consistency
