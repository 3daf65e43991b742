#include "node/hinted_handoff.h"

#include <spdlog/spdlog.h>

#include "capnp/convert.h"

namespace ringkv {
namespace {

constexpr auto kCallLimit = std::chrono::seconds(5);


}  // namespace

uint64_t WallNowMs() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

bool HintedHandoff::Expired(const Hint& h) const {
  uint64_t window_ms = static_cast<uint64_t>(window_.count()) * 1000;
  uint64_t now = WallNowMs();
  return now > h.updated_ms && now - h.updated_ms > window_ms;
}

uint64_t HintedHandoff::DeliverOnce(BackgroundLoop::Context& ctx) {
  uint64_t delivered = 0;
  for (const auto& [target, count] : hints_->Queued()) {
    if (ctx.stopping.load()) break;
    auto record = membership_->Find(target);
    bool gone = !record || record->ring_state == RingState::kLeft || record->ring_state == RingState::kRemoved;
    if (gone) {
      delivered += Redirect(ctx, target);
    } else if (membership_->StatusOf(target) == MemberStatus::kUp) {
      delivered += DeliverTo(ctx, target, record->address);
    }
  }
  return delivered;
}

Status HintedHandoff::Send(BackgroundLoop::Context& ctx, const std::string& address, const std::vector<Hint>& page,
                           std::vector<Status>* per_entry) {
  auto req = ctx.pool.Get(address).replicateRequest();
  req.initHeader().setProtocolVersion(wire::PROTOCOL_VERSION);
  req.getHeader().setClusterName(membership_->options().cluster_name);
  auto entries = req.initEntries(static_cast<unsigned>(page.size()));
  for (unsigned i = 0; i < page.size(); ++i) {
    entries[i].setKey(wire::AsData(page[i].key));
    wire::ToWire(page[i].set, entries[i].initValue());
  }
  auto reply = ctx.Await(address, req.send(), kCallLimit, "handoff to " + address);
  if (!reply.ok()) return reply.status();
  auto errors = reply->getErrors();
  if (errors.size() != page.size()) return Status::Aborted("handoff: short reply from " + address);
  per_entry->clear();
  for (auto e : errors) per_entry->push_back(wire::FromWire(e));
  return Status::OK();
}

uint64_t HintedHandoff::DeliverTo(BackgroundLoop::Context& ctx, const std::string& target,
                                  const std::string& address) {
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
      if (Expired(h)) (void)hints_->RemoveIfUnchanged(target, h, HintStore::Outcome::kExpired);
      else live.push_back(std::move(h));
    }
    if (live.empty()) continue;
    if (Status s = Send(ctx, address, live, &results); !s.ok()) {
      spdlog::info("handoff to {} paused: {}", target, s.ToString());
      return delivered;
    }
    for (size_t i = 0; i < live.size(); ++i) {
      if (results[i].ok()) {
        (void)hints_->RemoveIfUnchanged(target, live[i], HintStore::Outcome::kDelivered);
        ++delivered;
      } else if (results[i].IsInvalidArgument() || results[i].IsCorruption()) {
        spdlog::error("handoff: {} refused the hint for a key: {}; dropping it", target, results[i].ToString());
        (void)hints_->RemoveIfUnchanged(target, live[i], HintStore::Outcome::kRejected);
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
      bool all_ok = true;
      for (const RingNode* replica : view->ring.PreferenceList(h.key, view->replication_factor)) {
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
        (void)hints_->RemoveIfUnchanged(target, h, HintStore::Outcome::kDelivered);
        ++delivered;
      }
    }
  }
  if (delivered > 0) spdlog::info("handoff: {} is gone; gave {} of its hints to the keys' replicas", target, delivered);
  return delivered;
}

}  // namespace ringkv
