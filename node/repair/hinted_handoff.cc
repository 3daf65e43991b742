#include "node/repair/hinted_handoff.h"

#include <spdlog/spdlog.h>

#include "capnp/convert.h"
#include "capnp/request_header.h"
#include "node/replica/cross_dc.h"

namespace ringkv {
namespace {

constexpr auto kCallLimit = std::chrono::seconds(5);

}  // namespace

bool HintedHandoff::Expired(const Hint& h) const {
  uint64_t window_ms = static_cast<uint64_t>(window_.count()) * 1000;
  uint64_t now = clock_.WallMs();
  return now > h.updated_ms && now - h.updated_ms > window_ms;
}

uint64_t HintedHandoff::DeliverOnce(BackgroundLoop::Context& ctx) {
  uint64_t delivered = 0;
  for (const auto& [target, count] : hints_->Queued()) {
    if (ctx.stopping.load()) break;
    if (IsDcTarget(target)) {
      if (auto forwarder = ForwarderIn(DcOfTarget(target))) delivered += DeliverTo(ctx, target, *forwarder);
      continue;
    }
    auto record = membership_->Find(target);
    bool gone = !record || record->ring_state == RingState::kLeft || record->ring_state == RingState::kRemoved;
    if (gone) {
      delivered += Redirect(ctx, target);
    } else if (membership_->StatusOf(target) == MemberStatus::kUp) {
      delivered += DeliverTo(ctx, target, record->address);
    }
  }
  MeasurePending();
  return delivered;
}

HintedHandoff::OldestHint HintedHandoff::OldestStamp(const std::string& target) const {
  OldestHint out;
  std::string after;
  for (size_t seen = 0;;) {
    if (seen >= kLagScanLimit) return out;  // not scanned whole
    auto page = hints_->Scan(target, after, kPageSize);
    if (!page.ok()) return out;
    if (page->empty()) break;
    for (const Hint& h : *page) out.oldest_seen = std::min(out.oldest_seen, h.updated_ms);
    seen += page->size();
    after = page->back().key;
  }
  out.complete = true;
  return out;
}

void HintedHandoff::MeasurePending() {
  std::map<std::string, double> lag;
  const std::string self_dc = membership_->Self().dc;
  // Hold the view: `for (... : View()->dc_replication)` would drop it after the first
  // line, and gossip may free it (a new view per heartbeat) while the loop walks its map.
  auto view = membership_->View();
  for (const auto& [dc, n] : view->dc_replication) {
    if (dc != self_dc) lag[dc] = 0;
  }
  uint64_t now = clock_.WallMs();
  std::map<std::string, uint64_t> pending;
  for (const auto& [target, count] : hints_->Queued()) {
    OldestHint oldest = OldestStamp(target);
    if (oldest.complete && oldest.oldest_seen == ~uint64_t{0}) continue;  // delivered since Queued() answered
    // Unsure (not scanned whole): claim the oldest possible stamp, which blocks purges.
    pending[target] = oldest.complete ? oldest.oldest_seen : 0;
    if (IsDcTarget(target)) {
      uint64_t from = std::min(oldest.oldest_seen, now);
      lag[std::string(DcOfTarget(target))] = static_cast<double>(now - from) / 1000.0;
    }
  }
  membership_->SetSelfPendingHints(std::move(pending));
  std::lock_guard lock(lag_mu_);
  lag_seconds_ = std::move(lag);
}

std::map<std::string, double> HintedHandoff::CrossDcLagSeconds() const {
  std::lock_guard lock(lag_mu_);
  return lag_seconds_;
}

std::optional<std::string> HintedHandoff::ForwarderIn(std::string_view dc) const {
  std::optional<std::string> best;
  std::string best_id;
  for (const MemberRecord& r : membership_->Snapshot()) {
    if (r.dc != dc || r.ring_state == RingState::kLeft || r.ring_state == RingState::kRemoved) continue;
    if (membership_->StatusOf(r.id) != MemberStatus::kUp) continue;
    if (!best || r.id < best_id) {  // the lowest live id: one forwarder per DC at a time
      best = r.address;
      best_id = r.id;
    }
  }
  return best;
}

Status HintedHandoff::Send(BackgroundLoop::Context& ctx, const std::string& address, const std::vector<Hint>& page,
                           std::vector<Status>* per_entry, const std::string& hint_for) {
  auto req = ctx.pool.Get(address).replicateRequest();
  wire::FillRequestHeader(req.initHeader(), membership_->options().cluster_name);
  auto entries = req.initEntries(static_cast<unsigned>(page.size()));
  for (unsigned i = 0; i < page.size(); ++i) {
    entries[i].setKey(wire::AsData(page[i].key));
    wire::ToWire(page[i].set, entries[i].initValue());
    if (!hint_for.empty()) entries[i].setHintFor(hint_for);
  }
  auto reply = ctx.Await(address, req.send(), kCallLimit, "handoff to " + address);
  if (!reply.ok()) return reply.status();
  auto errors = reply->getErrors();
  if (errors.size() != page.size()) return Status::Aborted("handoff: short reply from " + address);
  per_entry->clear();
  for (auto e : errors) per_entry->push_back(wire::FromWire(e));
  return Status::OK();
}

uint64_t HintedHandoff::DeliverTo(BackgroundLoop::Context& ctx, const std::string& target, const std::string& address) {
  uint64_t delivered = 0;
  std::string after;
  std::vector<Status> results;
  while (!ctx.stopping.load()) {
    auto page = hints_->Scan(target, after, kPageSize);
    if (!page.ok()) {
      spdlog::error("handoff: reading hints for {}: {}", target, page.status().ToString());
      return delivered;
    }
    if (page->empty()) break;
    after = page->back().key;
    std::vector<Hint> live;
    for (Hint& h : *page) {
      if (hints_->IsDroppedKey(h.key))  // its namespace was dropped: never delivered
        (void)hints_->RemoveIfUnchanged(target, h, HintStore::Outcome::kNamespaceDropped);
      else if (Expired(h))
        (void)hints_->RemoveIfUnchanged(target, h, HintStore::Outcome::kExpired);
      else
        live.push_back(std::move(h));
    }
    if (live.empty()) continue;
    bool cross_dc = IsDcTarget(target);
    if (cross_dc) ctx.Sleep(wan_delay_);
    if (Status s = Send(ctx, address, live, &results, cross_dc ? target : std::string()); !s.ok()) {
      spdlog::info("handoff to {} paused: {}", target, s.ToString());
      return delivered;
    }
    for (size_t i = 0; i < live.size(); ++i) {
      if (results[i].ok()) {
        (void)hints_->RemoveIfUnchanged(target, live[i], HintStore::Outcome::kDelivered);
        ++delivered;
      } else if (results[i].IsInvalidArgument() || results[i].IsCorruption()) {
        spdlog::error("handoff: {} refused the hint for a key: {}; dropping it", target, results[i].ToString());
        (void)hints_->RemoveIfUnchanged(target, live[i], HintStore::Outcome::kRefused);
      } else {
        return delivered;  // busy or failing: the rest waits for the next pass
      }
    }
  }
  if (delivered > 0) spdlog::info("handoff: delivered {} hints to {}", delivered, target);
  return delivered;
}

uint64_t HintedHandoff::Redirect(BackgroundLoop::Context& ctx, const std::string& target) {
  uint64_t delivered = 0;
  std::string after;
  std::vector<Status> results;
  auto view = membership_->View();
  while (!ctx.stopping.load()) {
    auto page = hints_->Scan(target, after, kPageSize);
    if (!page.ok() || page->empty()) break;
    after = page->back().key;
    for (const Hint& h : *page) {
      if (hints_->IsDroppedKey(h.key)) {
        (void)hints_->RemoveIfUnchanged(target, h, HintStore::Outcome::kNamespaceDropped);
        continue;
      }
      if (Expired(h)) {
        (void)hints_->RemoveIfUnchanged(target, h, HintStore::Outcome::kExpired);
        continue;
      }
      bool all_ok = true;
      for (const RingNode* replica : view->Replicas(h.key)) {
        Status s;
        if (replica->id == membership_->self_id()) {
          s = store_->Merge(h.key, h.set, false).status();
        } else if (Status sent = Send(ctx, replica->address, {h}, &results); !sent.ok()) {
          s = sent;
        } else {
          s = results.front();
        }
        all_ok = all_ok && s.ok();
      }
      if (all_ok) {
        (void)hints_->RemoveIfUnchanged(target, h, HintStore::Outcome::kRedirected);
        ++delivered;
      }
    }
  }
  if (delivered > 0) spdlog::info("handoff: {} is gone; gave {} of its hints to the keys' replicas", target, delivered);
  return delivered;
}

}  // namespace ringkv
