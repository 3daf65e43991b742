#include "sdk/crdt/dots.h"

#include <algorithm>

namespace ringkv::crdt {

void MergeClocks(CrdtClock* into, const CrdtClock& other) {
  for (const auto& [actor, counter] : other) {
    uint64_t& mine = (*into)[actor];
    mine = std::max(mine, counter);
  }
}

bool Descends(const CrdtClock& a, const CrdtClock& b) {
  for (const auto& [actor, counter] : b) {
    if (!Seen(a, actor, counter)) return false;
  }
  return true;
}

CrdtClock MergeDots(const CrdtClock& a_dots, const CrdtClock& a_clock, const CrdtClock& b_dots,
                    const CrdtClock& b_clock) {
  CrdtClock out;
  for (const auto& [actor, counter] : a_dots) {
    auto in_b = b_dots.find(actor);
    bool both = in_b != b_dots.end() && in_b->second == counter;
    if (both || !Seen(b_clock, actor, counter)) out[actor] = counter;
  }
  for (const auto& [actor, counter] : b_dots) {
    if (!Seen(a_clock, actor, counter)) out[actor] = counter;
  }
  return out;
}

}  // namespace ringkv::crdt
