#include "node/cluster/membership.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "common/replica_aware_tokens.h"
#include "node/storage/file.h"

namespace ringkv {
namespace {

namespace json = boost::json;

json::array HeirsToJson(const TokenHeirs& heirs) {
  json::array out;
  for (const auto& [token, heir] : heirs) out.push_back(json::array{token, json::string(heir)});
  return out;
}

json::object ToJson(const MemberRecord& r) {
  json::array tokens;
  for (uint64_t t : r.tokens) tokens.push_back(t);
  return {{"id", r.id},
          {"address", r.address},
          {"dc", r.dc},
          {"rack", r.rack},
          {"tokens", std::move(tokens)},
          {"generation", r.generation},
          {"heartbeat", r.heartbeat},
          {"ring_state", static_cast<int>(r.ring_state)},
          {"ring_epoch", r.ring_epoch},
          {"weight", r.weight},
          {"heirs", HeirsToJson(r.heirs)}};
}

Result<MemberRecord> FromJson(const json::value& v) {
  try {
    const auto& o = v.as_object();
    MemberRecord r;
    r.id = json::value_to<std::string>(o.at("id"));
    r.address = json::value_to<std::string>(o.at("address"));
    r.dc = json::value_to<std::string>(o.at("dc"));
    r.rack = json::value_to<std::string>(o.at("rack"));
    for (const auto& t : o.at("tokens").as_array()) r.tokens.push_back(json::value_to<uint64_t>(t));
    r.generation = json::value_to<uint64_t>(o.at("generation"));
    r.heartbeat = json::value_to<uint64_t>(o.at("heartbeat"));
    int state = json::value_to<int>(o.at("ring_state"));
    if (state < 0 || state > static_cast<int>(RingState::kRemoved)) return Status::Corruption("bad ring_state");
    r.ring_state = static_cast<RingState>(state);
    r.ring_epoch = json::value_to<uint64_t>(o.at("ring_epoch"));
    // Tables saved before weights and heirs have neither.
    if (const json::value* w = o.if_contains("weight")) r.weight = json::value_to<uint32_t>(*w);
    if (const json::value* heirs = o.if_contains("heirs")) {
      for (const auto& h : heirs->as_array()) {
        const auto& pair = h.as_array();
        r.heirs[json::value_to<uint64_t>(pair.at(0))] = json::value_to<std::string>(pair.at(1));
      }
    }
    return r;
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("membership record: ") + e.what());
  }
}

// The saved table, or an empty list when there is none.
Result<std::vector<MemberRecord>> LoadTable(const std::string& path) {
  if (!storage::FileExists(path)) return std::vector<MemberRecord>();
  RINGKV_ASSIGN(std::string text, storage::ReadFileToString(path));
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec || !root.is_array()) return Status::Corruption(path + " is not a membership table: " + ec.message());
  std::vector<MemberRecord> out;
  for (const auto& v : root.as_array()) {
    auto r = FromJson(v);
    if (!r.ok()) return Status::Corruption(path + ": " + r.status().message());
    out.push_back(std::move(r).value());
  }
  return out;
}

Liveness ToLiveness(MemberStatus s) {
  switch (s) {
    case MemberStatus::kUp:
      return Liveness::kUp;
    case MemberStatus::kSuspect:
      return Liveness::kSuspect;
    case MemberStatus::kDown:
      return Liveness::kDown;
  }
  return Liveness::kUp;
}

RingNode ToRingNode(const MemberRecord& r) {
  RingNode n;
  n.id = r.id;
  n.address = r.address;
  n.dc = r.dc;
  n.rack = r.rack;
  n.tokens = r.tokens;
  n.weight = r.weight;
  return n;
}

}  // namespace

Membership::Membership(MembershipOptions options, GossipState state, bool restored)
    : options_(std::move(options)),
      self_id_(state.self().id),
      restored_(restored),
      state_(std::move(state)),
      saver_(options_.state_file, [this] { return Render(); }) {
  MutexLock lock(&mu_);
  Rebuild();
}

Result<std::unique_ptr<Membership>> Membership::Open(MembershipOptions options, MemberRecord self,
                                                     std::vector<MemberRecord> founders, uint64_t now_ms) {
  RINGKV_ASSIGN(auto saved, LoadTable(options.state_file));
  bool restored = false;
  for (const MemberRecord& r : saved) {
    if (r.id != self.id) continue;
    // Same node, new incarnation: keep what it owns, announce a higher generation.
    self.tokens = r.tokens;
    self.weight = r.weight;
    self.heirs = r.heirs;
    self.ring_state = r.ring_state;
    self.ring_epoch = r.ring_epoch + 1;
    self.generation = std::max(self.generation, r.generation + 1);
    restored = true;
  }
  GossipState state(self, options.gossip, now_ms);
  state.Merge(restored ? saved : founders, now_ms);
  std::unique_ptr<Membership> m(new Membership(std::move(options), std::move(state), restored));
  // Before the node announces itself: a restart must find what it announced.
  if (Status s = storage::WriteFileAtomically(m->options_.state_file, m->Render()); !s.ok()) {
    return Status::IOError("cannot save the membership table: " + s.ToString());
  }
  return m;
}

void Membership::Rebuild() {
  if (state_.version() == built_from_version_ && view_) return;
  built_from_version_ = state_.version();
  auto view = std::make_shared<RingView>();
  view->version = state_.RingVersion();
  view->cluster_name = options_.cluster_name;
  view->replication_factor = options_.replication_factor;
  view->dc_replication = options_.dc_replication;
  if (!view->dc_replication.empty()) {
    view->replication_factor = 0;
    for (const auto& [dc, n] : view->dc_replication) view->replication_factor += n;
  }
  std::vector<RingNode> now, future;
  // Tokens of members that left pass to their heirs in both rings; those of leaving members
  // in the future ring only. An heir that is gone too has named heirs of its own.
  std::vector<const TokenHeirs*> left_heirs, leaving_heirs;
  for (const MemberRecord& r : state_.Snapshot()) {
    if (r.heirs.empty()) continue;
    if (r.ring_state == RingState::kLeft || r.ring_state == RingState::kRemoved) left_heirs.push_back(&r.heirs);
    if (r.ring_state == RingState::kLeaving) leaving_heirs.push_back(&r.heirs);
  }
  for (const MemberRecord& r : state_.Snapshot()) {
    if (r.tokens.empty()) continue;
    bool owns_now = r.ring_state == RingState::kNormal || r.ring_state == RingState::kLeaving;
    bool owns_later = r.ring_state == RingState::kNormal || r.ring_state == RingState::kJoining;
    if (owns_now) now.push_back(ToRingNode(r));
    if (owns_later) future.push_back(ToRingNode(r));
    MemberStatus status = state_.StatusOf(r.id);
    if ((owns_now || owns_later) && status != MemberStatus::kUp) view->liveness[r.id] = ToLiveness(status);
  }
  for (const TokenHeirs* heirs : left_heirs) {
    HandOverTokens(*heirs, &now);
    HandOverTokens(*heirs, &future);
  }
  for (const TokenHeirs* heirs : leaving_heirs) HandOverTokens(*heirs, &future);
  auto ring = Ring::FromNodes(std::move(now), view->version);
  auto later = Ring::FromNodes(std::move(future), view->version);
  if (!ring.ok() || !later.ok()) {
    // Two joins claimed the same token: keep routing by the last good ring.
    spdlog::error("membership gives an invalid ring, keeping the previous one: {}",
                  (ring.ok() ? later.status() : ring.status()).ToString());
    return;
  }
  view->ring = std::move(ring).value();
  view->future = std::move(later).value();
  view_ = std::move(view);
}

std::string Membership::Render() const {
  json::array table;
  for (const MemberRecord& r : Snapshot()) table.push_back(ToJson(r));
  return json::serialize(table);
}

std::shared_ptr<const RingView> Membership::View() const {
  MutexLock lock(&mu_);
  return view_;
}

MemberRecord Membership::Self() const {
  MutexLock lock(&mu_);
  return state_.self();
}

std::vector<MemberRecord> Membership::Snapshot() const {
  MutexLock lock(&mu_);
  return state_.Snapshot();
}

void Membership::Merge(std::span<const MemberRecord> records, uint64_t now_ms) {
  MutexLock lock(&mu_);
  MergeOutcome outcome = state_.Merge(records, now_ms);
  if (!outcome.changed) return;
  Rebuild();
  if (outcome.ring_changed) Save();
}

void Membership::Tick(uint64_t now_ms) {
  MutexLock lock(&mu_);
  state_.Tick(now_ms);
  Rebuild();
}

std::vector<std::string> Membership::PickPeerAddresses() {
  MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const std::string& id : state_.PickPeers(rng_)) {
    if (const MemberRecord* r = state_.Find(id)) out.push_back(r->address);
  }
  return out;
}

bool Membership::SelfRemoved() const {
  MutexLock lock(&mu_);
  return state_.self_removed();
}

void Membership::SetSelfState(RingState state) {
  MutexLock lock(&mu_);
  state_.SetSelfRingState(state);
  Rebuild();
  Save();
}

void Membership::StartLeaving() {
  // Heirs are chosen from a ring that must not change meanwhile (a join or another leave
  // would make them wrong): retried, and after a few changes none are named.
  if (Self().ring_state == RingState::kLeaving) return;  // a second call keeps the first heirs
  for (int attempt = 0;; ++attempt) {
    std::shared_ptr<const RingView> view = View();
    TokenHeirs heirs;
    if (attempt < kHeirAttempts) heirs = ChooseHeirs(*view);
    MutexLock lock(&mu_);
    if (state_.self().ring_state == RingState::kLeaving) return;  // a second call keeps the first heirs
    if (attempt < kHeirAttempts && state_.RingVersion() != view->version) continue;
    state_.SetSelfLeaving(std::move(heirs));
    Rebuild();
    Save();
    return;
  }
}

TokenHeirs Membership::ChooseHeirs(const RingView& view) const {
  // Per-DC placement does not take the first N nodes clockwise, and its tokens are
  // allocated for primaries only: there the arcs pass clockwise.
  if (!view.dc_replication.empty() || !view.future.Find(self_id_)) return {};
  std::vector<std::string> candidates;
  for (const MemberRecord& r : Snapshot()) {
    if (r.id != self_id_ && r.ring_state == RingState::kNormal && StatusOf(r.id) == MemberStatus::kUp)
      candidates.push_back(r.id);
  }
  return ChooseTokenHeirs(view.future, self_id_, view.replication_factor, candidates);
}

void Membership::SetSelfPendingHints(std::map<std::string, uint64_t> oldest) {
  MutexLock lock(&mu_);
  state_.SetSelfPendingHints(std::move(oldest));
}

void Membership::SetSelfTokens(std::vector<uint64_t> tokens) {
  MutexLock lock(&mu_);
  state_.SetSelfTokens(std::move(tokens));
  Rebuild();
  Save();
}

Status Membership::Remove(std::string_view id, uint64_t now_ms) {
  MutexLock lock(&mu_);
  RINGKV_TRY(state_.Remove(id, now_ms));
  Rebuild();
  Save();
  return Status::OK();
}

std::optional<MemberRecord> Membership::Find(std::string_view id) const {
  MutexLock lock(&mu_);
  const MemberRecord* r = state_.Find(id);
  return r ? std::optional<MemberRecord>(*r) : std::nullopt;
}

MemberStatus Membership::StatusOf(std::string_view id) const {
  MutexLock lock(&mu_);
  return state_.StatusOf(id);
}

}  // namespace ringkv
