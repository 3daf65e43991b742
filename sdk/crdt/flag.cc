// Flag, enable-wins: an ORSWOT of one element. Enable adds a dot, disable drops the dots it
// has seen; an enable concurrent with a disable keeps its dot through the merge.

#include "ringkv/crdt.h"
#include "sdk/crdt/dots.h"
#include "sdk/crdt/encoding.h"

namespace ringkv {

void Flag::Enable(ActorId actor) {
  uint64_t dot = ++clock_[actor];
  dots_ = CrdtClock{{actor, dot}};
}

void Flag::Disable() { dots_.clear(); }

void Flag::Merge(const Flag& other) {
  dots_ = crdt::MergeDots(dots_, clock_, other.dots_, other.clock_);
  crdt::MergeClocks(&clock_, other.clock_);
}

// Body: the clock, then the dots that keep the flag enabled.
std::string Flag::Encode() const {
  std::vector<ActorId> actors;
  for (const auto& [actor, n] : clock_) actors.push_back(actor);
  crdt::BodyWriter writer(kType, std::move(actors));
  writer.PutClock(clock_);
  writer.PutClock(dots_);
  return writer.Finish();
}

Result<Flag> Flag::Decode(std::string_view bytes) {
  RINGKV_ASSIGN(crdt::BodyReader reader, crdt::BodyReader::Open(bytes, kType));
  Flag flag;
  RINGKV_TRY(reader.GetClock(&flag.clock_));
  RINGKV_TRY(reader.GetClock(&flag.dots_));
  if (!crdt::Descends(flag.clock_, flag.dots_)) {
    return Status::Corruption("damaged CRDT flag: its enables are missing from the clock");
  }
  RINGKV_TRY(reader.Finish());
  return flag;
}

}  // namespace ringkv
