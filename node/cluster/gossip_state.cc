#include "node/cluster/gossip_state.h"

#include <algorithm>
#include <tuple>

namespace ringkv {

std::string_view MemberStatusName(MemberStatus s) {
  switch (s) {
    case MemberStatus::kUp:
      return "up";
    case MemberStatus::kSuspect:
      return "suspect";
    case MemberStatus::kDown:
      return "down";
  }
  return "unknown";
}

std::string_view RingStateName(RingState s) {
  switch (s) {
    case RingState::kNormal:
      return "normal";
    case RingState::kJoining:
      return "joining";
    case RingState::kLeaving:
      return "leaving";
    case RingState::kLeft:
      return "left";
    case RingState::kRemoved:
      return "removed";
  }
  return "unknown";
}
namespace {

bool Gone(RingState s) { return s == RingState::kLeft || s == RingState::kRemoved; }

bool RingFieldsDiffer(const MemberRecord& a, const MemberRecord& b) {
  return a.tokens != b.tokens || a.ring_state != b.ring_state || a.address != b.address || a.dc != b.dc ||
         a.rack != b.rack || a.weight != b.weight || a.heirs != b.heirs;
}

}  // namespace

bool Supersedes(const MemberRecord& a, const MemberRecord& b) {
  return std::tie(a.generation, a.ring_epoch, a.heartbeat) > std::tie(b.generation, b.ring_epoch, b.heartbeat);
}

GossipState::GossipState(MemberRecord self, GossipConfig config, uint64_t now_ms) : config_(config) {
  index_.emplace(self.id, 0);
  ring_version_ = self.ring_epoch;
  records_.push_back(std::move(self));
  liveness_.push_back(Liveness{now_ms, MemberStatus::kUp, ring_version_});
}

MemberStatus GossipState::Evaluate(const Liveness& l, uint64_t now_ms) const {
  uint64_t silent = now_ms > l.last_progress_ms ? now_ms - l.last_progress_ms : 0;
  if (silent > config_.down_after_ms) return MemberStatus::kDown;
  if (silent > config_.suspect_after_ms) return MemberStatus::kSuspect;
  return MemberStatus::kUp;
}

void GossipState::Tick(uint64_t now_ms) {
  ++records_[0].heartbeat;
  ++version_;
  for (size_t i = 1; i < records_.size(); ++i) {
    MemberStatus s = Evaluate(liveness_[i], now_ms);
    if (s != liveness_[i].status) {
      liveness_[i].status = s;
      ++version_;
    }
  }
}

void GossipState::Replace(size_t index, const MemberRecord& r, uint64_t now_ms, MergeOutcome* outcome) {
  MemberRecord& old = records_[index];
  if (RingFieldsDiffer(old, r)) outcome->ring_changed = true;
  bool progress = r.generation > old.generation || (r.generation == old.generation && r.heartbeat > old.heartbeat);
  // A restarted node whose saved state was lost starts its epochs again: count each
  // member's highest epoch, so the sum still never goes down.
  if (r.ring_epoch > liveness_[index].counted_epoch) {
    ring_version_ += r.ring_epoch - liveness_[index].counted_epoch;
    liveness_[index].counted_epoch = r.ring_epoch;
  } else if (RingFieldsDiffer(old, r)) {
    ++ring_version_;  // the ring changed all the same: its version must show it
    ++liveness_[index].counted_epoch;
  }
  old = r;
  if (progress) {
    liveness_[index].last_progress_ms = now_ms;
    liveness_[index].status = MemberStatus::kUp;
  }
  outcome->changed = true;
}

MergeOutcome GossipState::Merge(std::span<const MemberRecord> records, uint64_t now_ms) {
  MergeOutcome outcome;
  for (const MemberRecord& r : records) {
    auto it = index_.find(r.id);
    if (it == index_.end()) {
      index_.emplace(r.id, records_.size());
      records_.push_back(r);
      liveness_.push_back(Liveness{now_ms, MemberStatus::kUp, r.ring_epoch});
      ring_version_ += r.ring_epoch;
      outcome.changed = outcome.ring_changed = true;
      continue;
    }
    size_t i = it->second;
    if (!Supersedes(r, records_[i])) continue;
    if (i == 0) {
      // Only a removal of our own incarnation is news about us.
      if (r.ring_state == RingState::kRemoved && r.generation == records_[0].generation) {
        self_removed_ = true;
        Replace(0, r, now_ms, &outcome);
      }
      continue;
    }
    Replace(i, r, now_ms, &outcome);
  }
  if (outcome.changed && AdoptInheritedTokens()) outcome.ring_changed = true;
  if (outcome.changed) ++version_;
  return outcome;
}

bool GossipState::AdoptInheritedTokens() {
  MemberRecord& self = records_[0];
  // A leaving node's heirs were chosen from the ring that counted our inherited tokens as
  // ours: they name its heirs as well.
  if (self.ring_state != RingState::kNormal) return false;
  std::vector<uint64_t> adopted;
  for (size_t i = 1; i < records_.size(); ++i) {
    if (!Gone(records_[i].ring_state)) continue;
    for (const auto& [token, heir] : records_[i].heirs) {
      if (heir == self.id && std::find(self.tokens.begin(), self.tokens.end(), token) == self.tokens.end())
        adopted.push_back(token);
    }
  }
  if (adopted.empty()) return false;
  if (self.weight == 0) self.weight = static_cast<uint32_t>(self.tokens.size());
  self.tokens.insert(self.tokens.end(), adopted.begin(), adopted.end());
  BumpSelfEpoch();
  return true;
}

std::vector<std::string> GossipState::PickPeers(std::mt19937_64& rng) const {
  std::vector<size_t> candidates;
  std::bernoulli_distribution try_down(0.25);
  for (size_t i = 1; i < records_.size(); ++i) {
    if (Gone(records_[i].ring_state)) continue;
    if (liveness_[i].status == MemberStatus::kDown && !try_down(rng)) continue;
    candidates.push_back(i);
  }
  std::vector<std::string> out;
  for (size_t k = 0; k < config_.fanout && !candidates.empty(); ++k) {
    std::uniform_int_distribution<size_t> pick(0, candidates.size() - 1);
    size_t j = pick(rng);
    out.push_back(records_[candidates[j]].id);
    candidates[j] = candidates.back();
    candidates.pop_back();
  }
  return out;
}

MemberStatus GossipState::StatusOf(std::string_view id) const {
  auto it = index_.find(std::string(id));
  if (it == index_.end()) return MemberStatus::kDown;
  return it->second == 0 ? MemberStatus::kUp : liveness_[it->second].status;
}

const MemberRecord* GossipState::Find(std::string_view id) const {
  auto it = index_.find(std::string(id));
  return it == index_.end() ? nullptr : &records_[it->second];
}

void GossipState::BumpSelfEpoch() {
  ++records_[0].ring_epoch;
  ++liveness_[0].counted_epoch;
  ++ring_version_;
  ++version_;
}

void GossipState::SetSelfRingState(RingState state) {
  if (records_[0].ring_state == state) return;
  records_[0].ring_state = state;
  BumpSelfEpoch();
}

void GossipState::SetSelfLeaving(TokenHeirs heirs) {
  if (records_[0].ring_state == RingState::kLeaving && records_[0].heirs == heirs) return;
  records_[0].ring_state = RingState::kLeaving;
  records_[0].heirs = std::move(heirs);
  BumpSelfEpoch();
}

void GossipState::SetSelfTokens(std::vector<uint64_t> tokens) {
  if (records_[0].tokens == tokens) return;
  records_[0].tokens = std::move(tokens);
  BumpSelfEpoch();
}

Status GossipState::Remove(std::string_view id, uint64_t now_ms) {
  auto it = index_.find(std::string(id));
  if (it == index_.end()) return Status::InvalidArgument("no member named '" + std::string(id) + "'");
  if (it->second == 0) return Status::InvalidArgument("a node cannot remove itself; decommission it instead");
  MemberRecord removal = records_[it->second];
  if (removal.ring_state == RingState::kRemoved) return Status::OK();
  removal.ring_state = RingState::kRemoved;
  ++removal.ring_epoch;
  MergeOutcome outcome;
  Replace(it->second, removal, now_ms, &outcome);
  ++version_;
  return Status::OK();
}

}  // namespace ringkv
