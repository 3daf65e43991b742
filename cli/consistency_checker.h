#pragma once
// The consistency checker of chaos runs (tests/chaos) and of `kv verify`. Pure: no I/O.
// Given a history and the final state (every key read at ALL after the faults healed and
// repair ran), it reports:
//   lost         an acknowledged put whose value is gone without being causally superseded
//                (the final version's context does not dominate the put's own) and without
//                having expired (a put with a TTL whose latest possible expiry passed before
//                the final read began is counted as expired instead);
//   phantom      a value read (during the run or at the end) that no put ever wrote;
//   stale        in the fault-free phase (W+R>N), a read that misses the latest put of its
//                key acknowledged before the read began (and every write begun after it);
//   resurrected  a value that an acknowledged write superseded came back: a put or delete
//                P carried the context of a read that returned v (and P did not write v),
//                and a read begun after P was acknowledged, or the final state, returned v
//                again, although v was not written again (values are unique per put). In
//                any phase. Only a read whose context covers P's version counts: it saw P
//                or a successor of P, so the v it got is a version P's context did not
//                cover — not a replica that P has not reached yet (a wiped node, a hint on
//                its way), which is a stale read under faults, not a resurrection.
//                An expired value counts too: a read begun after the value's latest possible
//                expiry (the put's end + its TTL, plus kExpiryMargin for the clocks the SDK
//                and the nodes read) that returns it, or a final state holding it.
// For each stale read it also measures how far behind it was: the time from the
// acknowledgment of the write it missed to the read's start (a lower bound: the value it
// returned may have been outdated since an earlier write).
// Each resurrected value is one violation, however many reads returned it. A fresh read
// need not return a value that may have expired before the read ended.

#include <map>
#include <string>
#include <vector>

#include "cli/consistency_history.h"

namespace ringkv::consistency {

struct Violation {
  std::string kind;  // lost | phantom | stale | resurrected
  std::string key;
  std::string detail;
  // The part of the key's history that shows it (both unset: the whole history).
  Clock::time_point from{}, to{};
};

// The slack between the checker's clock (steady) and the wall clocks that stamp and expire
// values (the SDK's, the nodes'): all on this host, so only the conversion's jitter.
inline constexpr std::chrono::milliseconds kExpiryMargin{100};

struct CheckReport {
  size_t ops = 0, acked_puts = 0, acked_deletes = 0, reads = 0, superseded = 0;
  size_t expired = 0;             // acknowledged puts with a TTL whose value expired before the final read
  size_t resurrecting_reads = 0;  // reads that returned a resurrected value
  // Per stale violation, in order: how long before the read began the write it missed was
  // acknowledged (see above).
  std::vector<std::chrono::milliseconds> stale_lags;
  std::vector<Violation> violations;
  // Acknowledged puts and lost ones, by Op::client (a skewed client's losses in LWW mode).
  std::map<int, size_t> acked_by_client, lost_by_client;

  size_t Count(const std::string& kind) const;  // violations of that kind
  // The largest and the median of stale_lags (the upper one of an even count); 0 when none.
  std::chrono::milliseconds MaxStaleLag() const;
  std::chrono::milliseconds MedianStaleLag() const;
  // "12034 ops (5012 acknowledged puts, ...): 0 violations (lost 0, phantom 0, stale 0,
  // resurrected 0)" plus one line per violation with the relevant part of the key's history.
  std::string Summary(const std::vector<Op>& history) const;
};

// `final_read_start` / `final_read_end`: when the final state's reads began (after every op
// of `history`) and ended; by default, after every value with a TTL expired. A value that
// may have expired before the reads ended is not demanded of the final state; one the final
// state holds although it expired before the reads began is a resurrection.
CheckReport Check(const std::vector<Op>& history, const std::map<std::string, GetResult>& final_state,
                  Clock::time_point final_read_start = Clock::time_point::max(),
                  Clock::time_point final_read_end = Clock::time_point::max());

}  // namespace ringkv::consistency
