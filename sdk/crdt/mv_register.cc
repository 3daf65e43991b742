// MvRegister: the assignments no other assignment has seen, each with its version. An
// assignment's version is the join of every version the state holds plus the actor's next
// update, so it dominates (replaces) them all; a merge keeps the undominated entries of both.

#include <algorithm>
#include <tuple>

#include "ringkv/crdt.h"
#include "sdk/crdt/dots.h"
#include "sdk/crdt/encoding.h"

namespace ringkv {
namespace {

bool StrictlyDominates(const CrdtClock& a, const CrdtClock& b) { return a != b && crdt::Descends(a, b); }

}  // namespace

void MvRegister::Assign(ActorId actor, const std::string& value) {
  CrdtClock clock;
  for (const Entry& e : entries_) crdt::MergeClocks(&clock, e.clock);
  ++clock[actor];
  entries_ = {Entry{std::move(clock), value}};
}

std::vector<std::string> MvRegister::Values() const {
  std::vector<std::string> out;
  for (const Entry& e : entries_) out.push_back(e.value);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void MvRegister::Merge(const MvRegister& other) {
  std::vector<Entry> all = entries_;
  all.insert(all.end(), other.entries_.begin(), other.entries_.end());
  std::vector<Entry> kept;
  for (const Entry& e : all) {
    bool dominated =
        std::any_of(all.begin(), all.end(), [&](const Entry& o) { return StrictlyDominates(o.clock, e.clock); });
    if (!dominated) kept.push_back(e);
  }
  auto order = [](const Entry& a, const Entry& b) { return std::tie(a.clock, a.value) < std::tie(b.clock, b.value); };
  std::sort(kept.begin(), kept.end(), order);
  kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  entries_ = std::move(kept);
}

// Body: the number of entries; per entry (sorted): its version, its value.
std::string MvRegister::Encode() const {
  std::vector<ActorId> actors;
  for (const Entry& e : entries_) {
    for (const auto& [actor, n] : e.clock) actors.push_back(actor);
  }
  crdt::BodyWriter writer(kType, std::move(actors));
  writer.PutVarint(entries_.size());
  for (const Entry& e : entries_) {
    writer.PutClock(e.clock);
    writer.PutBytes(e.value);
  }
  return writer.Finish();
}

Result<MvRegister> MvRegister::Decode(std::string_view bytes) {
  RINGKV_ASSIGN(crdt::BodyReader reader, crdt::BodyReader::Open(bytes, kType));
  uint64_t entries = 0;
  RINGKV_TRY(reader.GetVarint(&entries));
  if (entries > bytes.size()) return Status::Corruption("damaged CRDT register: more entries than bytes");
  MvRegister reg;
  for (uint64_t i = 0; i < entries; ++i) {
    Entry e;
    RINGKV_TRY(reader.GetClock(&e.clock));
    RINGKV_TRY(reader.GetBytes(&e.value));
    if (e.clock.empty()) return Status::Corruption("damaged CRDT register: an entry without a version");
    reg.entries_.push_back(std::move(e));
  }
  RINGKV_TRY(reader.Finish());
  MvRegister canonical;  // sorted, undominated: what Merge keeps
  canonical.Merge(reg);
  if (!(canonical == reg)) return Status::Corruption("damaged CRDT register: entries not in canonical form");
  return reg;
}

}  // namespace ringkv
