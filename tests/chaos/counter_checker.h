#pragma once
// The chaos checker of the counter workload: clients increment CRDT counters
// (CrdtClient::Increment by 1) on a few keys under faults, each counting per key the
// increments it attempted and those acknowledged. A failed increment may still have landed
// (its put reached a replica), and CrdtClient never re-runs it, so for every key
//   acknowledged <= final count <= attempted.
// Below: an acknowledged increment was lost. Above: an increment was counted twice.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cli/consistency_checker.h"

namespace ringkv::chaos {

using consistency::Violation;

struct CounterTally {
  uint64_t attempted = 0, acked = 0;
};

struct CounterReport {
  uint64_t attempted = 0, acked = 0, final_total = 0;
  uint64_t failed_but_counted = 0;    // increments that reported an error and landed anyway
  std::vector<Violation> violations;  // kind "lost" or "duplicated", one per key
  // "3120 increments attempted, 2890 acknowledged, final 2950 (60 failed ones landed): 0 violations".
  std::string Summary() const;
};

// `final_counts`: each key's value read at ALL after the faults healed and repair ran (a
// key missing from it counts as 0).
CounterReport CheckCounters(const std::map<std::string, CounterTally>& tallies,
                            const std::map<std::string, int64_t>& final_counts);

}  // namespace ringkv::chaos
