#include "node/repair/anti_entropy.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>

#include "capnp/convert.h"
#include "capnp/request_header.h"

namespace ringkv {
namespace {

constexpr auto kCallLimit = std::chrono::seconds(30);
constexpr size_t kBatch = 512;

bool Has(const std::vector<const RingNode*>& list, std::string_view id) {
  return std::any_of(list.begin(), list.end(), [&](const RingNode* n) { return n->id == id; });
}

// The keys of our store that both we and `peer` should hold.
class SharedKeys final : public KeySource {
 public:
  SharedKeys(ReplicaStore* store, std::shared_ptr<const RingView> view, std::string self, std::string peer,
             const PurgeGuard* purge)
      : store_(store), view_(std::move(view)), self_(std::move(self)), peer_(std::move(peer)), purge_(purge) {}

  Status ForEach(const TokenRange& range, const std::function<void(std::string_view, const SiblingSet&)>& fn) override {
    return store_->ForEach({}, [&](std::string_view key, const SiblingSet& set) {
      if (!range.Contains(Ring::KeyToken(key))) return true;
      if (purge_ && purge_->OutOfRepair(key, set)) return true;
      auto replicas = view_->Replicas(key);
      if (Has(replicas, self_) && Has(replicas, peer_)) fn(key, set);
      return true;
    });
  }
  Result<std::optional<SiblingSet>> Get(std::string_view key) override { return store_->Get(key); }
  Status Merge(std::string_view key, const SiblingSet& set) override { return store_->Merge(key, set, false).status(); }

 private:
  ReplicaStore* store_;
  std::shared_ptr<const RingView> view_;
  std::string self_, peer_;
  const PurgeGuard* purge_;
};

// The remote end of a repair session, over RPC from a BackgroundLoop.
class RpcPeer final : public MerklePeer {
 public:
  RpcPeer(BackgroundLoop::Context& ctx, std::string address, std::string cluster, uint64_t session, uint64_t root,
          uint32_t keys_per_s)
      : ctx_(ctx),
        address_(std::move(address)),
        cluster_(std::move(cluster)),
        session_(session),
        root_(root),
        keys_per_s_(keys_per_s) {}

  uint64_t RootHash() override { return root_; }

  Result<std::vector<uint64_t>> ChildHashes(int level, const std::vector<uint32_t>& indices) override {
    auto req = ctx_.pool.Get(address_).merkleNodesRequest();
    wire::FillRequestHeader(req.initHeader(), cluster_);
    req.setSession(session_);
    req.setLevel(static_cast<uint8_t>(level));
    auto list = req.initIndices(static_cast<unsigned>(indices.size()));
    for (unsigned i = 0; i < indices.size(); ++i) list.set(i, indices[i]);
    RINGKV_ASSIGN(auto reply, ctx_.Await(address_, req.send(), kCallLimit, "merkleNodes at " + address_));
    RINGKV_TRY(wire::FromWire(reply.getError()));
    std::vector<uint64_t> out;
    for (uint64_t h : reply.getHashes()) out.push_back(h);
    return out;
  }

  Result<std::vector<KeyDigest>> Digests(int level, const std::vector<uint32_t>& indices) override {
    auto req = ctx_.pool.Get(address_).merkleDigestsRequest();
    wire::FillRequestHeader(req.initHeader(), cluster_);
    req.setSession(session_);
    req.setLevel(static_cast<uint8_t>(level));
    auto list = req.initIndices(static_cast<unsigned>(indices.size()));
    for (unsigned i = 0; i < indices.size(); ++i) list.set(i, indices[i]);
    RINGKV_ASSIGN(auto reply, ctx_.Await(address_, req.send(), kCallLimit, "merkleDigests at " + address_));
    RINGKV_TRY(wire::FromWire(reply.getError()));
    std::vector<KeyDigest> out;
    for (auto d : reply.getDigests()) out.push_back(KeyDigest{wire::ToBytes(d.getKey()), d.getVersionHash()});
    return out;
  }

  Result<std::vector<std::pair<std::string, SiblingSet>>> Fetch(const std::vector<std::string>& keys) override {
    std::vector<std::pair<std::string, SiblingSet>> out;
    for (size_t start = 0; start < keys.size(); start += kBatch) {
      size_t n = std::min(kBatch, keys.size() - start);
      auto req = ctx_.pool.Get(address_).getRequest();
      wire::FillRequestHeader(req.initHeader(), cluster_);
      auto list = req.initKeys(static_cast<unsigned>(n));
      for (unsigned i = 0; i < n; ++i) list.set(i, wire::AsData(keys[start + i]));
      RINGKV_ASSIGN(auto reply, ctx_.Await(address_, req.send(), kCallLimit, "repair fetch from " + address_));
      auto results = reply.getResults();
      if (results.size() != n) return Status::Aborted("get: short reply");
      for (unsigned i = 0; i < n; ++i) {
        Status st = wire::FromWire(results[i].getError());
        if (st.IsNotFound()) continue;
        RINGKV_TRY(st);
        RINGKV_ASSIGN(SiblingSet set, wire::FromWire(results[i].getValue()));
        out.emplace_back(keys[start + i], std::move(set));
      }
      Throttle(n);
    }
    return out;
  }

  Status Push(const std::vector<std::pair<std::string, SiblingSet>>& entries) override {
    for (size_t start = 0; start < entries.size(); start += kBatch) {
      size_t n = std::min(kBatch, entries.size() - start);
      auto req = ctx_.pool.Get(address_).replicateRequest();
      wire::FillRequestHeader(req.initHeader(), cluster_);
      wire::ToWire(std::span(entries).subspan(start, n), req.initEntries(static_cast<unsigned>(n)));
      RINGKV_ASSIGN(auto reply, ctx_.Await(address_, req.send(), kCallLimit, "repair push to " + address_));
      for (auto e : reply.getErrors()) RINGKV_TRY(wire::FromWire(e));
      Throttle(n);
    }
    return Status::OK();
  }

 private:
  void Throttle(size_t moved) {
    if (keys_per_s_ == 0) return;
    ctx_.Sleep(std::chrono::milliseconds(moved * 1000 / keys_per_s_));
  }

  BackgroundLoop::Context& ctx_;
  std::string address_, cluster_;
  uint64_t session_;
  uint64_t root_;
  uint32_t keys_per_s_;
};

void Add(RepairStats* into, const RepairStats& s) {
  into->nodes_compared += s.nodes_compared;
  into->digests_exchanged += s.digests_exchanged;
  into->keys_pulled += s.keys_pulled;
  into->keys_pushed += s.keys_pushed;
  into->bytes_sent += s.bytes_sent;
  into->bytes_received += s.bytes_received;
  into->rounds += s.rounds;
}

}  // namespace

int AntiEntropy::DepthFor(uint64_t keys) {
  int depth = keys <= 1 ? 0 : static_cast<int>(std::bit_width(keys - 1));
  return std::clamp(depth, 4, 20);
}

Result<RepairStats> AntiEntropy::Repair(BackgroundLoop::Context& ctx, const std::string& peer, TokenRange range,
                                        Options options) {
  {
    MutexLock lock(&mu_);
    ++counters_.running;
  }
  KJ_DEFER({
    MutexLock lock(&mu_);
    --counters_.running;
  });
  auto view = membership_->View();
  const std::string& self = membership_->self_id();
  RepairStats total;
  Status first_error;
  std::vector<std::string> not_compared;  // "id (why)"
  int peers = 0;
  for (const RingNode& n : view->ring.nodes()) {
    if (n.id == self || (!peer.empty() && n.id != peer)) continue;
    ++peers;
    // Gossip's liveness lags a heal by seconds: a repair asked for now tries every peer
    // (a first one after a partition healed once skipped them all and reported success).
    if (!options.try_peers_not_up && !view->IsUp(n.id)) {
      not_compared.push_back(n.id + " (not up)");
      if (first_error.ok()) first_error = Status::Unavailable("peer " + n.id + " is not up");
      continue;
    }
    auto stats = RepairPair(ctx, n, range, options);
    if (stats.ok()) {
      Add(&total, *stats);
      ++total.peers;
      continue;
    }
    not_compared.push_back(n.id + " (" + stats.status().ToString() + ")");
    if (first_error.ok()) first_error = stats.status();
  }
  if (!peer.empty() && peers == 0) return Status::InvalidArgument("no ring member named '" + peer + "'");
  if (!not_compared.empty()) {
    std::string list;
    for (const std::string& n : not_compared) list += (list.empty() ? "" : ", ") + n;
    return first_error.Annotated("; repair compared " + std::to_string(total.peers) + " of " + std::to_string(peers) +
                                 " peers, not " + list);
  }
  return total;
}

Result<RepairStats> AntiEntropy::RepairPair(BackgroundLoop::Context& ctx, const RingNode& peer, TokenRange range,
                                            Options options) {
  auto view = membership_->View();
  // Before the tree is built: every entry at or below it is in the tree (purge_proof.h).
  uint64_t start_seq = store_->LastSequence();
  auto peer_record = membership_->Find(peer.id);
  uint64_t peer_generation = peer_record ? peer_record->generation : 0;
  SharedKeys local(store_, view, membership_->self_id(), peer.id, purge_);
  int depth = static_cast<int>(options.depth);
  if (depth == 0) {
    uint64_t shared = 0;
    RINGKV_TRY(local.ForEach(range, [&](std::string_view, const SiblingSet&) { ++shared; }));
    depth = DepthFor(shared);
  }
  RINGKV_ASSIGN(MerkleTree tree, MerkleTree::Build(local, range, depth));

  const std::string& cluster = membership_->options().cluster_name;
  auto req = ctx.pool.Get(peer.address).merkleOpenRequest();
  wire::FillRequestHeader(req.initHeader(), cluster);
  req.getHeader().setRingVersion(view->version);  // the peer must see the same replicas per key
  req.setPeer(membership_->self_id());
  req.initRange().setStart(range.start);
  req.getRange().setEnd(range.end);
  req.setDepth(static_cast<uint8_t>(depth));
  auto opened = ctx.Await(peer.address, req.send(), kCallLimit, "merkleOpen at " + peer.id);
  Status s = opened.ok() ? wire::FromWire(opened->getError()) : opened.status();
  if (!s.ok()) {
    MutexLock lock(&mu_);
    ++counters_.failures;
    return s;
  }
  bool remote_dc = peer.dc != membership_->Self().dc;
  uint32_t rate = remote_dc && options.cross_dc_keys_per_s > 0 ? options.cross_dc_keys_per_s : options.keys_per_s;
  RpcPeer remote(ctx, peer.address, cluster, opened->getSession(), opened->getRoot().getHash(), rate);
  auto stats = Reconcile(tree, local, remote);
  if (stats.ok() && purge_) {
    // Reconcile returns OK only once it pulled the peer's differing entries and pushed ours.
    // The session ran against the incarnation the peer reported: gossip may not show it yet
    // (a peer restarted a moment ago), and a mark under the old one would never count. A peer
    // too old to report one: gossip's, if it did not change during the session.
    uint64_t reported = opened->getGeneration();
    auto after = membership_->Find(peer.id);
    bool known = reported != 0 || (peer_record && after && after->generation == peer_generation);
    if (known) {
      purge_->SessionCompleted(RepairSession{peer.id, reported != 0 ? reported : peer_generation, view->version, range,
                                             start_seq, /*pulled=*/true, /*pushed=*/true});
    }
  }
  MutexLock lock(&mu_);
  if (!stats.ok()) {
    ++counters_.failures;
    return stats.status();
  }
  ++counters_.sessions;
  counters_.keys_pulled += stats->keys_pulled;
  counters_.keys_pushed += stats->keys_pushed;
  counters_.bytes_sent += stats->bytes_sent;
  counters_.bytes_received += stats->bytes_received;
  if (stats->keys_pulled + stats->keys_pushed > 0) {
    spdlog::info("repair with {}: pulled {}, pushed {} keys ({} bytes out, {} in)", peer.id, stats->keys_pulled,
                 stats->keys_pushed, stats->bytes_sent, stats->bytes_received);
  }
  return stats;
}

Result<std::pair<uint64_t, MerkleNode>> AntiEntropy::OpenSession(const std::string& peer, TokenRange range, int depth) {
  auto view = membership_->View();
  if (!view->ring.Find(peer)) return Status::InvalidArgument("'" + peer + "' is not a ring member");
  SharedKeys local(store_, view, membership_->self_id(), peer, purge_);
  RINGKV_ASSIGN(MerkleTree tree, MerkleTree::Build(local, range, depth));
  MerkleNode root = tree.Node(0, 0);
  MutexLock lock(&mu_);
  uint64_t now = clock_.SteadyMs();
  const auto idle_ms = static_cast<uint64_t>(std::chrono::milliseconds(kSessionIdle).count());
  std::erase_if(sessions_, [&](const auto& kv) { return now - kv.second.last_used_ms > idle_ms; });
  while (sessions_.size() >= kMaxSessions) sessions_.erase(sessions_.begin());  // the oldest
  uint64_t id = next_session_++;
  sessions_[id] = Session{std::make_shared<const MerkleTree>(std::move(tree)), now};
  return std::make_pair(id, root);
}

Result<std::shared_ptr<const MerkleTree>> AntiEntropy::FindSession(uint64_t id) {
  MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return Status::InvalidArgument("no repair session " + std::to_string(id) + " (expired?)");
  it->second.last_used_ms = clock_.SteadyMs();
  return it->second.tree;
}

Result<std::vector<uint64_t>> AntiEntropy::SessionChildHashes(uint64_t session, int level,
                                                              const std::vector<uint32_t>& indices) {
  RINGKV_ASSIGN(auto tree, FindSession(session));
  return ChildHashesOf(*tree, level, indices);
}

Result<std::vector<KeyDigest>> AntiEntropy::SessionDigests(uint64_t session, int level,
                                                           const std::vector<uint32_t>& indices) {
  RINGKV_ASSIGN(auto tree, FindSession(session));
  if (level < 0 || level > tree->depth()) return Status::InvalidArgument("merkle level out of range");
  std::vector<KeyDigest> out;
  for (uint32_t i : indices) {
    if (i >= (1u << level)) return Status::InvalidArgument("merkle index out of range");
    auto digests = tree->Digests(level, i);
    out.insert(out.end(), std::make_move_iterator(digests.begin()), std::make_move_iterator(digests.end()));
  }
  return out;
}

AntiEntropyCounters AntiEntropy::counters() const {
  MutexLock lock(&mu_);
  return counters_;
}

}  // namespace ringkv
