// PnCounter: per actor, the sum of its increments and the sum of its decrements; the value
// is their difference over all actors, and a merge takes each sum's maximum.

#include <algorithm>

#include "ringkv/crdt.h"
#include "sdk/crdt/dots.h"
#include "sdk/crdt/encoding.h"

namespace ringkv {

void PnCounter::Add(ActorId actor, int64_t by) {
  if (by > 0) up_[actor] += static_cast<uint64_t>(by);
  // -(by + 1) + 1 is |by| without overflowing at INT64_MIN.
  if (by < 0) down_[actor] += static_cast<uint64_t>(-(by + 1)) + 1;
}

int64_t PnCounter::Value() const {
  uint64_t total = 0;  // two's complement wrap-around, as a sum of int64 steps would give
  for (const auto& [actor, n] : up_) total += n;
  for (const auto& [actor, n] : down_) total -= n;
  return static_cast<int64_t>(total);
}

void PnCounter::Merge(const PnCounter& other) {
  crdt::MergeClocks(&up_, other.up_);
  crdt::MergeClocks(&down_, other.down_);
}

// Body: per actor of the table, in order: its increments, its decrements.
std::string PnCounter::Encode() const {
  std::vector<ActorId> actors;
  for (const auto& [actor, n] : up_) actors.push_back(actor);
  for (const auto& [actor, n] : down_) actors.push_back(actor);
  crdt::BodyWriter writer(kType, actors);
  std::sort(actors.begin(), actors.end());
  actors.erase(std::unique(actors.begin(), actors.end()), actors.end());
  for (ActorId actor : actors) {
    auto up = up_.find(actor);
    auto down = down_.find(actor);
    writer.PutVarint(up == up_.end() ? 0 : up->second);
    writer.PutVarint(down == down_.end() ? 0 : down->second);
  }
  return writer.Finish();
}

Result<PnCounter> PnCounter::Decode(std::string_view bytes) {
  RINGKV_ASSIGN(crdt::BodyReader reader, crdt::BodyReader::Open(bytes, kType));
  PnCounter counter;
  for (ActorId actor : reader.actors()) {
    uint64_t up = 0, down = 0;
    RINGKV_TRY(reader.GetVarint(&up));
    RINGKV_TRY(reader.GetVarint(&down));
    if (up == 0 && down == 0) return Status::Corruption("damaged CRDT counter: an actor without updates");
    if (up != 0) counter.up_[actor] = up;
    if (down != 0) counter.down_[actor] = down;
  }
  RINGKV_TRY(reader.Finish());
  return counter;
}

}  // namespace ringkv
