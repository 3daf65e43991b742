// OrSet, an ORSWOT (observed-remove set without tombstones, as riak_dt_orswot): a clock of
// every add seen, and per present element the dots of the adds that keep it. An add takes
// the actor's next dot and replaces the element's dots (it has seen them all); a remove
// drops the element, its dots staying in the clock; the merge keeps a dot unless the other
// side has seen it and dropped it (crdt::MergeDots).

#include "ringkv/crdt.h"
#include "sdk/crdt/dots.h"
#include "sdk/crdt/encoding.h"

namespace ringkv {

void OrSet::Add(ActorId actor, const std::string& element) {
  uint64_t dot = ++clock_[actor];
  entries_[element] = CrdtClock{{actor, dot}};
}

bool OrSet::Remove(const std::string& element) { return entries_.erase(element) != 0; }

std::vector<std::string> OrSet::Elements() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [element, dots] : entries_) out.push_back(element);
  return out;
}

void OrSet::Merge(const OrSet& other) {
  static const CrdtClock kNone;
  std::map<std::string, CrdtClock> merged;
  for (const auto& [element, dots] : entries_) {
    auto theirs = other.entries_.find(element);
    const CrdtClock& b = theirs == other.entries_.end() ? kNone : theirs->second;
    CrdtClock kept = crdt::MergeDots(dots, clock_, b, other.clock_);
    if (!kept.empty()) merged.emplace(element, std::move(kept));
  }
  for (const auto& [element, dots] : other.entries_) {
    if (entries_.count(element) != 0) continue;  // done above
    CrdtClock kept = crdt::MergeDots(kNone, clock_, dots, other.clock_);
    if (!kept.empty()) merged.emplace(element, std::move(kept));
  }
  entries_ = std::move(merged);
  crdt::MergeClocks(&clock_, other.clock_);
}

// Body: the clock; the number of elements; per element (in order): its bytes, its dots.
std::string OrSet::Encode() const {
  std::vector<ActorId> actors;
  for (const auto& [actor, n] : clock_) actors.push_back(actor);
  crdt::BodyWriter writer(kType, std::move(actors));  // every dot is in the clock
  writer.PutClock(clock_);
  writer.PutVarint(entries_.size());
  for (const auto& [element, dots] : entries_) {
    writer.PutBytes(element);
    writer.PutClock(dots);
  }
  return writer.Finish();
}

Result<OrSet> OrSet::Decode(std::string_view bytes) {
  RINGKV_ASSIGN(crdt::BodyReader reader, crdt::BodyReader::Open(bytes, kType));
  OrSet set;
  RINGKV_TRY(reader.GetClock(&set.clock_));
  uint64_t elements = 0;
  RINGKV_TRY(reader.GetVarint(&elements));
  if (elements > bytes.size()) return Status::Corruption("damaged CRDT set: more elements than bytes");
  for (uint64_t i = 0; i < elements; ++i) {
    std::string element;
    CrdtClock dots;
    RINGKV_TRY(reader.GetBytes(&element));
    RINGKV_TRY(reader.GetClock(&dots));
    if (!set.entries_.empty() && element <= set.entries_.rbegin()->first) {
      return Status::Corruption("damaged CRDT set: unsorted elements");
    }
    if (dots.empty() || !crdt::Descends(set.clock_, dots)) {
      return Status::Corruption("damaged CRDT set: an element's adds are missing from the clock");
    }
    set.entries_.emplace(std::move(element), std::move(dots));
  }
  RINGKV_TRY(reader.Finish());
  return set;
}

}  // namespace ringkv
