#include "node/repair/purge_proof.h"

#include <algorithm>

namespace ringkv {
namespace {

std::vector<const RingNode*> ReplicasOfToken(const RingView& view, uint64_t token) {
  return view.dc_replication.empty() ? view.ring.PreferenceListForToken(token, view.replication_factor)
                                     : view.ring.PreferenceListForToken(token, view.dc_replication);
}

}  // namespace

bool RangeWithin(const TokenRange& inner, const TokenRange& outer) {
  if (outer.whole()) return true;
  if (inner.whole()) return false;
  // Distances from outer.start going clockwise: inner = (s, e] lies in (0, outer_len].
  uint64_t s = inner.start - outer.start;
  uint64_t e = inner.end - outer.start;
  return s < e && e <= outer.end - outer.start;
}

void PurgeProof::OnRing(const RingView& view) {
  MutexLock lock(&mu_);
  if (have_ring_ && ring_version_ == view.version) return;
  std::vector<uint64_t> tokens;
  for (const RingNode& n : view.ring.nodes()) tokens.insert(tokens.end(), n.tokens.begin(), n.tokens.end());
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());

  std::vector<Range> next;
  for (size_t i = 0; i < tokens.size(); ++i) {
    Range r;
    r.range = TokenRange{i == 0 ? tokens.back() : tokens[i - 1], tokens[i]};
    bool mine = false;
    for (const RingNode* n : ReplicasOfToken(view, tokens[i])) {
      if (n->id == self_)
        mine = true;
      else
        r.others.push_back(n->id);
    }
    if (!mine) continue;
    std::sort(r.others.begin(), r.others.end());
    // Unchanged bounds and replicas: the marks stay true.
    if (const Range* old = Find(r.range.end);
        old && old->range.start == r.range.start && old->range.end == r.range.end && old->others == r.others) {
      r.marks = old->marks;
    }
    next.push_back(std::move(r));
  }
  std::sort(next.begin(), next.end(), [](const Range& a, const Range& b) { return a.range.end < b.range.end; });
  ranges_ = std::move(next);
  ring_version_ = view.version;
  have_ring_ = true;
}

const PurgeProof::Range* PurgeProof::Find(uint64_t token) const {
  if (ranges_.empty()) return nullptr;
  // The first range ending at or after `token`; past the last, the one that wraps.
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), token,
                             [](const Range& r, uint64_t t) { return r.range.end < t; });
  if (it == ranges_.end()) it = ranges_.begin();
  return it->range.Contains(token) ? &*it : nullptr;
}

bool PurgeProof::SessionCompleted(const RepairSession& session) {
  if (!session.pulled || !session.pushed) return false;  // one way only proves nothing about the peer
  MutexLock lock(&mu_);
  if (!have_ring_ || session.ring_version != ring_version_) return false;
  bool advanced = false;
  for (Range& r : ranges_) {
    if (!std::binary_search(r.others.begin(), r.others.end(), session.peer)) continue;
    if (!RangeWithin(r.range, session.range)) continue;
    Mark& m = r.marks[session.peer];
    if (m.generation != session.peer_generation || m.seq < session.start_seq) {
      m = Mark{session.peer_generation, session.start_seq};  // a new incarnation starts over
      advanced = true;
    }
  }
  return advanced;
}

bool PurgeProof::Current(const Range& r, const std::string& peer, const Generations& generations) {
  auto mark = r.marks.find(peer);
  auto gen = generations.find(peer);
  return mark != r.marks.end() && gen != generations.end() && gen->second == mark->second.generation;
}

std::optional<uint64_t> PurgeProof::ProvenThrough(uint64_t token, const Generations& generations) const {
  MutexLock lock(&mu_);
  const Range* r = Find(token);
  if (!r) return std::nullopt;
  uint64_t through = ~uint64_t{0};
  for (const std::string& peer : r->others) {
    if (!Current(*r, peer, generations)) return std::nullopt;
    through = std::min(through, r->marks.at(peer).seq);
  }
  return through;
}

ProofGaps PurgeProof::Gaps(const Generations& generations) const {
  MutexLock lock(&mu_);
  ProofGaps gaps;
  gaps.ranges = ranges_.size();
  for (const Range& r : ranges_) {
    bool complete = true;
    for (const std::string& peer : r.others) {
      if (Current(r, peer, generations)) continue;
      complete = false;
      gaps.missing.insert(peer);
    }
    if (!complete) ++gaps.unproven;
  }
  return gaps;
}

uint64_t PurgeProof::ring_version() const {
  MutexLock lock(&mu_);
  return ring_version_;
}

}  // namespace ringkv
