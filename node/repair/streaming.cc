#include "node/repair/streaming.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "capnp/convert.h"
#include "capnp/request_header.h"

namespace ringkv {
namespace {

constexpr auto kCallLimit = std::chrono::seconds(10);
constexpr size_t kPageBytes = 1 << 20;
constexpr int kAttemptsPerSource = 20;

bool Has(const std::vector<const RingNode*>& list, std::string_view id) {
  return std::any_of(list.begin(), list.end(), [&](const RingNode* n) { return n->id == id; });
}

// The old replica that hands `key` to `joiner`: the one it displaces first, then the
// other old replicas in preference order, skipping nodes known down.
const RingNode* DesignatedSource(const RingView& view, std::string_view key, const std::vector<std::string>& skip) {
  auto old_list = view.Replicas(key);
  auto new_list = view.FutureReplicas(key);
  std::vector<const RingNode*> order;
  for (const RingNode* n : old_list) {
    if (!Has(new_list, n->id)) order.push_back(n);
  }
  for (const RingNode* n : old_list) {
    if (Has(new_list, n->id)) order.push_back(n);
  }
  for (const RingNode* n : order) {
    if (std::find(skip.begin(), skip.end(), n->id) == skip.end()) return n;
  }
  return nullptr;
}

}  // namespace

Result<StreamPage> Streamer::PageFor(const std::string& for_node, const std::vector<std::string>& skip,
                                     const std::string& after_key, size_t max_bytes) {
  auto view = membership_->View();
  if (!view->future.Find(for_node) || view->ring.Find(for_node)) {
    return Status::Busy("node " + membership_->self_id() + " does not see " + for_node + " joining yet");
  }
  StreamPage page;
  size_t bytes = 0;
  bool stopped_early = false;
  std::string start = after_key.empty() ? std::string() : after_key + std::string(1, '\0');
  Status s = store_->ForEach(start, [&](std::string_view key, const SiblingSet& set) {
    page.next_key.assign(key);
    if (bytes >= max_bytes) {
      stopped_early = true;
      page.next_key = page.entries.empty() ? after_key : page.entries.back().first;
      return false;
    }
    auto future = view->FutureReplicas(key);
    if (!Has(future, for_node)) return true;
    const RingNode* source = DesignatedSource(*view, key, skip);
    if (source == nullptr || source->id != membership_->self_id()) return true;
    bytes += key.size() + set.Encode().size();
    page.entries.emplace_back(std::string(key), set);
    return true;
  });
  RINGKV_TRY(s);
  page.done = !stopped_early;
  std::lock_guard lock(mu_);
  counters_.keys_sent += page.entries.size();
  return page;
}

Status Streamer::PullFrom(BackgroundLoop::Context& ctx, const RingNode& source, const std::vector<std::string>& skip,
                          uint64_t* received) {
  const std::string& cluster = membership_->options().cluster_name;
  std::string after;
  int failures = 0;
  while (!ctx.stopping.load()) {
    auto req = ctx.pool.Get(source.address).streamKeysRequest();
    wire::FillRequestHeader(req.initHeader(), cluster);
    req.setForNode(membership_->self_id());
    auto skip_list = req.initSkip(static_cast<unsigned>(skip.size()));
    for (unsigned i = 0; i < skip.size(); ++i) skip_list.set(i, skip[i]);
    req.setAfterKey(wire::AsData(after));
    req.setMaxBytes(kPageBytes);
    auto reply = ctx.Await(source.address, req.send(), kCallLimit, "streaming from " + source.id);
    Status s = reply.ok() ? wire::FromWire(reply->getError()) : reply.status();
    if (!s.ok()) {
      if (++failures >= kAttemptsPerSource) return s;
      spdlog::info("join: {} (retrying)", s.ToString());
      ctx.Sleep(std::chrono::milliseconds(500));
      continue;
    }
    for (auto e : reply->getEntries()) {
      auto set = wire::FromWire(e.getValue());
      if (!set.ok()) return Status::Corruption("join: a bad entry from " + source.id + ": " + set.status().message());
      RINGKV_TRY(store_->Merge(wire::ToBytes(e.getKey()), *set, false).status());
      ++*received;
    }
    after = wire::ToBytes(reply->getNextKey());
    if (reply->getDone()) return Status::OK();
  }
  return Status::Aborted("stopping");
}

Result<uint64_t> Streamer::Join(BackgroundLoop::Context& ctx) {
  auto view = membership_->View();
  std::vector<std::string> skip;
  for (const auto& [id, live] : view->liveness) {
    if (live != Liveness::kUp) skip.push_back(id);
  }
  uint64_t received = 0;
  for (const RingNode& source : view->ring.nodes()) {
    if (source.id == membership_->self_id()) continue;
    if (std::find(skip.begin(), skip.end(), source.id) != skip.end()) continue;
    uint64_t before = received;
    RINGKV_TRY(PullFrom(ctx, source, skip, &received));
    spdlog::info("join: {} keys from {}", received - before, source.id);
  }
  membership_->SetSelfState(RingState::kNormal);
  spdlog::info("join: done, {} keys received; now serving as a normal member", received);
  std::lock_guard lock(mu_);
  counters_.keys_received += received;
  return received;
}

Status Streamer::WaitForRingToSpread(BackgroundLoop::Context& ctx, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  const std::string& cluster = membership_->options().cluster_name;
  while (!ctx.stopping.load()) {
    auto view = membership_->View();
    bool all = true;
    for (const RingNode& n : view->ring.nodes()) {
      if (n.id == membership_->self_id() || !view->IsUp(n.id)) continue;
      auto req = ctx.pool.Get(n.address).ringRequest();
      wire::FillRequestHeader(req.initHeader(), cluster);
      auto reply = ctx.Await(n.address, req.send(), std::chrono::seconds(2), "ring of " + n.id);
      all = all && reply.ok() && reply->getRing().getVersion() >= view->version;
    }
    if (all) return Status::OK();
    if (std::chrono::steady_clock::now() > deadline) return Status::TimedOut("the ring change did not spread in time");
    ctx.Sleep(std::chrono::milliseconds(200));
  }
  return Status::Aborted("stopping");
}

Result<uint64_t> Streamer::Leave(BackgroundLoop::Context& ctx) {
  membership_->StartLeaving();  // nothing if we already are leaving
  // Clients learn of the leave from the nodes; once every node knows, every new write also
  // goes to the nodes that take over, and what we push below completes them.
  if (Status s = WaitForRingToSpread(ctx, std::chrono::seconds(30)); !s.ok()) {
    spdlog::warn("leave: {}; streaming anyway", s.ToString());
  }
  auto view = membership_->View();
  const std::string& self = membership_->self_id();
  std::map<std::string, std::vector<std::pair<std::string, SiblingSet>>> outbox;  // address -> page
  uint64_t sent = 0;
  auto flush = [&](const std::string& address) -> Status {
    auto& page = outbox[address];
    if (page.empty()) return Status::OK();
    auto req = ctx.pool.Get(address).replicateRequest();
    wire::FillRequestHeader(req.initHeader(), membership_->options().cluster_name);
    wire::ToWire(page, req.initEntries(static_cast<unsigned>(page.size())));
    auto reply = ctx.Await(address, req.send(), kCallLimit, "leave: streaming to " + address);
    if (!reply.ok()) return reply.status();
    for (auto e : reply->getErrors()) RINGKV_TRY(wire::FromWire(e));
    sent += page.size();
    page.clear();
    return Status::OK();
  };
  Status failed;
  Status s = store_->ForEach({}, [&](std::string_view key, const SiblingSet& set) {
    auto old_list = view->Replicas(key);
    if (!Has(old_list, self)) return true;
    for (const RingNode* n : view->FutureReplicas(key)) {
      if (Has(old_list, n->id)) continue;
      auto& page = outbox[n->address];
      page.emplace_back(std::string(key), set);
      if (page.size() >= 512) failed = flush(n->address);
      if (!failed.ok()) return false;
    }
    return true;
  });
  RINGKV_TRY(s);
  RINGKV_TRY(failed);
  for (auto& [address, page] : outbox) RINGKV_TRY(flush(address));
  membership_->SetSelfState(RingState::kLeft);
  spdlog::info("leave: done, {} keys handed over", sent);
  std::lock_guard lock(mu_);
  counters_.keys_sent += sent;
  return sent;
}

StreamCounters Streamer::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

}  // namespace ringkv
