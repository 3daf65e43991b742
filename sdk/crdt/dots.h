#pragma once
// Version-vector arithmetic shared by the CRDT types (include/ringkv/crdt.h). A "dot" is one
// update: (actor, that actor's counter). A set of dots with at most one per actor is held
// in a CrdtClock, as is a clock (everything a state has seen).

#include "ringkv/crdt.h"

namespace ringkv::crdt {

// True if `clock` has seen actor's update number `counter`.
inline bool Seen(const CrdtClock& clock, ActorId actor, uint64_t counter) {
  auto it = clock.find(actor);
  return it != clock.end() && it->second >= counter;
}

// Pointwise maximum: `into` becomes the join of both clocks.
void MergeClocks(CrdtClock* into, const CrdtClock& other);

// True if `a` has seen everything `b` has (a >= b pointwise).
bool Descends(const CrdtClock& a, const CrdtClock& b);

// The dots of one element (or flag) after merging two states (`a_dots` under `a_clock`,
// `b_dots` under `b_clock`; an element a state lacks has no dots there): a dot both hold
// stays; a dot only one holds stays if the other state has not seen it (a concurrent add),
// and goes if it has (the other state removed it). This is the ORSWOT merge rule.
CrdtClock MergeDots(const CrdtClock& a_dots, const CrdtClock& a_clock, const CrdtClock& b_dots,
                    const CrdtClock& b_clock);

}  // namespace ringkv::crdt
