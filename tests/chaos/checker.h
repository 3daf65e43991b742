#pragma once
// The consistency checker of chaos runs. Given a history and the final state (every key
// read at ALL after the faults healed and repair ran), it reports:
//   lost     an acknowledged put whose value is gone without being causally superseded
//            (the final version's context does not dominate the put's own);
//   phantom  a value read (during the run or at the end) that no put ever wrote;
//   stale    in the fault-free phase (W+R>N), a read that misses the latest put of its
//            key acknowledged before the read began (and every put begun after it).

#include <map>
#include <string>
#include <vector>

#include "tests/chaos/history.h"

namespace ringkv::chaos {

struct Violation {
  std::string kind;  // lost | phantom | stale
  std::string key;
  std::string detail;
};

struct CheckReport {
  size_t ops = 0, acked_puts = 0, reads = 0, superseded = 0;
  std::vector<Violation> violations;
  // Acknowledged puts and lost ones, by Op::client (a skewed client's losses in LWW mode).
  std::map<int, size_t> acked_by_client, lost_by_client;
  // "12034 ops (5012 acknowledged puts, 6001 reads): 0 violations" plus one line per
  // violation with the key's history.
  std::string Summary(const std::vector<Op>& history) const;
};

CheckReport Check(const std::vector<Op>& history, const std::map<std::string, GetResult>& final_state);

}  // namespace ringkv::chaos
