#include "node/repair/purge_guard.h"

#include <algorithm>

#include "common/namespace.h"

namespace ringkv {
namespace {

// A hint for `node` (or its DC's queue) stamped at or before `limit_ms` is pending.
bool HintPendingFor(const PurgeInputs& in, const RingNode& node, uint64_t limit_ms) {
  for (const std::string& target : {node.id, "dc:" + node.dc}) {
    auto it = in.oldest_hint.find(target);
    if (it != in.oldest_hint.end() && it->second <= limit_ms) return true;
  }
  return false;
}

}  // namespace

uint64_t GraceOf(const PurgeInputs& in, std::string_view stored_key) {
  auto parsed = ParseStoredKey(stored_key);
  if (!parsed.ok()) return in.default_grace_ms;
  auto it = in.grace_ms.find(parsed->name);
  return it == in.grace_ms.end() ? in.default_grace_ms : it->second;
}

PurgeVerdict DecidePurge(const PurgeInputs& in, const PurgeProof& proof, std::string_view stored_key, uint64_t seq,
                         uint64_t deleted_at_ms, uint64_t now_ms) {
  uint64_t grace = GraceOf(in, stored_key);
  if (now_ms < deleted_at_ms || now_ms - deleted_at_ms < grace) return PurgeVerdict::kTooYoung;
  if (!in.view) return PurgeVerdict::kAwaitingProof;
  if (!in.view->PendingReplicas(stored_key).empty()) return PurgeVerdict::kAwaitingProof;
  auto proven = proof.ProvenThrough(Ring::KeyToken(stored_key), in.generations);
  if (!proven || seq > *proven) return PurgeVerdict::kAwaitingProof;
  for (const RingNode* replica : in.view->Replicas(stored_key)) {
    if (HintPendingFor(in, *replica, deleted_at_ms + kSkewMarginMs)) return PurgeVerdict::kAwaitingProof;
  }
  return PurgeVerdict::kPurge;
}

void PurgeGuard::Attach(Membership* membership, Namespaces* namespaces) {
  MutexLock lock(&mu_);
  membership_ = membership;
  namespaces_ = namespaces;
  inputs_.reset();
}

void PurgeGuard::Detach() {
  MutexLock lock(&mu_);
  membership_ = nullptr;
  namespaces_ = nullptr;
  inputs_.reset();
}

std::shared_ptr<const PurgeInputs> PurgeGuard::Inputs() const {
  MutexLock lock(&mu_);
  if (!membership_) return nullptr;
  auto view = membership_->View();
  uint64_t now = clock_.SteadyMs();
  if (inputs_ && inputs_->view->version == view->version && now - refreshed_ms_ < kRefreshMs) return inputs_;
  auto in = std::make_shared<PurgeInputs>();
  in->view = view;
  for (const MemberRecord& r : membership_->Snapshot()) {
    in->generations[r.id] = r.generation;
    if (r.ring_state == RingState::kLeft || r.ring_state == RingState::kRemoved) continue;  // its hints are gone
    for (const auto& [target, oldest] : r.pending_hints) {
      auto [it, fresh] = in->oldest_hint.emplace(target, oldest);
      if (!fresh) it->second = std::min(it->second, oldest);
    }
  }
  in->default_grace_ms = NamespaceSettings{}.tombstone_grace_s * 1000;
  if (namespaces_) {
    for (const NamespaceRecord& r : namespaces_->Records()) {
      if (!r.dropped) in->grace_ms[r.name] = r.settings.tombstone_grace_s * 1000;
    }
  }
  proof_.OnRing(*view);
  inputs_ = std::move(in);
  refreshed_ms_ = now;
  return inputs_;
}

PurgeVerdict PurgeGuard::Decide(std::string_view user_key, uint64_t seq, uint64_t deleted_at_ms) const {
  auto in = Inputs();
  uint64_t now = clock_.WallMs();
  if (!in) {
    PurgeInputs none;
    none.default_grace_ms = NamespaceSettings{}.tombstone_grace_s * 1000;
    return DecidePurge(none, proof_, user_key, seq, deleted_at_ms, now);
  }
  return DecidePurge(*in, proof_, user_key, seq, deleted_at_ms, now);
}

uint64_t PurgeGuard::MinGraceMs() const {
  auto in = Inputs();
  uint64_t least = NamespaceSettings{}.tombstone_grace_s * 1000;
  if (in) {
    least = in->default_grace_ms;
    for (const auto& [name, grace] : in->grace_ms) least = std::min(least, grace);
  }
  return least;
}

bool PurgeGuard::OutOfRepair(std::string_view stored_key, const SiblingSet& set) const {
  if (set.empty() || !set.AllTombstones()) return false;
  auto in = Inputs();
  if (!in) return false;
  uint64_t now = clock_.WallMs();
  uint64_t deleted_at = set.DeletedAtMs();  // an expired value is deleted at its expiry
  return now >= deleted_at && now - deleted_at >= GraceOf(*in, stored_key);
}

void PurgeGuard::SessionCompleted(const RepairSession& session) {
  if (!Inputs()) return;  // detached: no ring to hold the proof against (Inputs() also adopts the ring)
  if (proof_.SessionCompleted(session)) epoch_.fetch_add(1, std::memory_order_acq_rel);
}

ProofGaps PurgeGuard::Gaps() const {
  auto in = Inputs();
  if (!in) return {};
  return proof_.Gaps(in->generations);
}

}  // namespace ringkv
