#include "common/ring.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <unordered_set>

#include "common/hash.h"
#include "common/replica_aware_tokens.h"

namespace ringkv {
namespace {

constexpr double kCircle = 18446744073709551616.0;  // 2^64

// Size of the arc owned by the token at index i of a sorted token list: (prev, token].
uint64_t ArcSize(const std::vector<uint64_t>& sorted, size_t i) {
  uint64_t prev = sorted[(i + sorted.size() - 1) % sorted.size()];
  uint64_t size = sorted[i] - prev;  // unsigned wrap-around is the circle
  return sorted.size() == 1 ? ~uint64_t{0} : size;
}

struct Arc {
  uint64_t start;  // exclusive
  uint64_t size;
};

}  // namespace

uint64_t Ring::KeyToken(std::string_view key) { return Hash64(key); }

Result<Ring> Ring::FromNodes(std::vector<RingNode> nodes, uint64_t version) {
  Ring ring;
  ring.version_ = version;
  std::unordered_set<std::string> ids;
  std::set<uint64_t> seen;
  for (uint32_t i = 0; i < nodes.size(); ++i) {
    const RingNode& n = nodes[i];
    if (n.id.empty()) return Status::InvalidArgument("ring node with an empty id");
    if (!ids.insert(n.id).second) return Status::InvalidArgument("node id '" + n.id + "' appears twice in the ring");
    if (n.tokens.empty()) return Status::InvalidArgument("node '" + n.id + "' has no tokens");
    for (uint64_t t : n.tokens) {
      if (!seen.insert(t).second) {
        return Status::InvalidArgument("token " + std::to_string(t) + " is claimed twice (node '" + n.id + "')");
      }
      ring.tokens_.push_back({t, i});
    }
  }
  std::sort(ring.tokens_.begin(), ring.tokens_.end(),
            [](const TokenOwner& a, const TokenOwner& b) { return a.token < b.token; });
  ring.nodes_ = std::move(nodes);
  return ring;
}

std::vector<uint64_t> Ring::AllocateTokens(const Ring& current, std::string_view node_id, uint32_t vnodes,
                                           size_t replicas) {
  std::vector<uint64_t> tokens;
  if (vnodes == 0) return tokens;
  if (current.empty()) {  // evenly spaced, rotated by the id so clusters differ
    uint64_t offset = Hash64(node_id);
    uint64_t step = ~uint64_t{0} / vnodes;
    for (uint32_t i = 0; i < vnodes; ++i) tokens.push_back(offset + step * i);
    return tokens;
  }
  if (replicas > 1) return AllocateReplicaAwareTokens(current, vnodes, replicas);
  // Each owner's arcs and current share.
  std::vector<uint64_t> sorted;
  for (const auto& t : current.tokens_) sorted.push_back(t.token);
  std::vector<std::vector<Arc>> arcs(current.nodes_.size());
  std::vector<double> owned(current.nodes_.size(), 0);
  for (size_t i = 0; i < sorted.size(); ++i) {
    uint64_t size = ArcSize(sorted, i);
    uint32_t owner = current.tokens_[i].node;
    arcs[owner].push_back({sorted[(i + sorted.size() - 1) % sorted.size()], size});
    owned[owner] += static_cast<double>(size) / kCircle;
  }
  // What each owner gives: its excess over its fair share once the new node is counted.
  double total_weight = vnodes;
  for (const auto& n : current.nodes_) total_weight += n.Weight();
  double share = vnodes / total_weight;
  std::vector<double> give(current.nodes_.size(), 0);
  double give_sum = 0;
  for (size_t j = 0; j < give.size(); ++j) {
    double fair = current.nodes_[j].Weight() / total_weight;
    give[j] = std::max(0.0, owned[j] - fair);
    give_sum += give[j];
  }
  if (give_sum <= 0) return tokens;
  for (double& g : give) g *= share / give_sum;

  // Tokens per donor by largest remainder, then split each donor's largest arcs.
  std::vector<uint32_t> count(give.size(), 0);
  std::vector<std::pair<double, size_t>> remainders;
  uint32_t assigned = 0;
  for (size_t j = 0; j < give.size(); ++j) {
    double exact = vnodes * give[j] / share;
    count[j] = std::min<uint32_t>(static_cast<uint32_t>(exact), static_cast<uint32_t>(arcs[j].size()));
    assigned += count[j];
    remainders.push_back({exact - count[j], j});
  }
  std::sort(remainders.rbegin(), remainders.rend());
  for (size_t r = 0; assigned < vnodes && r < remainders.size() * 2; ++r) {
    size_t j = remainders[r % remainders.size()].second;
    if (give[j] > 0 && count[j] < arcs[j].size()) {
      ++count[j];
      ++assigned;
    }
  }
  std::set<uint64_t> taken(sorted.begin(), sorted.end());
  for (size_t j = 0; j < give.size(); ++j) {
    if (count[j] == 0) continue;
    auto& a = arcs[j];
    std::partial_sort(a.begin(), a.begin() + count[j], a.end(),
                      [](const Arc& x, const Arc& y) { return x.size > y.size; });
    double chosen = 0;
    for (uint32_t k = 0; k < count[j]; ++k) chosen += static_cast<double>(a[k].size);
    double fraction = std::min(0.95, give[j] * kCircle / chosen);
    for (uint32_t k = 0; k < count[j]; ++k) {
      auto take = static_cast<uint64_t>(static_cast<double>(a[k].size) * fraction);
      uint64_t t = a[k].start + std::max<uint64_t>(take, 1);
      while (taken.count(t)) ++t;  // tokens are unique
      taken.insert(t);
      tokens.push_back(t);
    }
  }
  return tokens;
}

Result<Ring> Ring::Bootstrap(std::vector<RingNode> nodes, uint32_t vnodes, size_t /*replicas*/) {
  if (nodes.empty() || vnodes == 0) return FromNodes(std::move(nodes), 1);
  // F founders take turns on F·vnodes evenly spaced tokens (A B C A B C ...), rotated by
  // the first founder's id so clusters differ. Every founder owns 1/F of the primaries and
  // every gap between two tokens of one founder holds each other founder once, which is
  // the shape later replica-aware joins can balance: founders allocated in turn (the
  // second and third by AllocateTokens) left a 4th node's ring 10.2% off an even replica
  // share (tests/unit/ring_test). `replicas` is kept for callers: this layout is even for
  // any N.
  const uint64_t offset = Hash64(nodes.front().id);
  const uint64_t total = uint64_t{vnodes} * nodes.size();
  const uint64_t gap = ~uint64_t{0} / total;
  for (size_t i = 0; i < nodes.size(); ++i) {
    nodes[i].tokens.clear();
    for (uint64_t t = 0; t < vnodes; ++t) nodes[i].tokens.push_back(offset + gap * (i + t * nodes.size()));
  }
  const uint64_t version = nodes.size();  // as when the founders joined one at a time
  return FromNodes(std::move(nodes), version);
}

std::vector<const RingNode*> Ring::PreferenceListForToken(uint64_t token, size_t n) const {
  std::vector<const RingNode*> out;
  if (tokens_.empty()) return out;
  n = std::min(n, nodes_.size());
  out.reserve(n);
  auto it = std::lower_bound(tokens_.begin(), tokens_.end(), token,
                             [](const TokenOwner& t, uint64_t v) { return t.token < v; });
  size_t start = static_cast<size_t>(it - tokens_.begin()) % tokens_.size();
  std::vector<bool> chosen(nodes_.size(), false);
  for (size_t step = 0; step < tokens_.size() && out.size() < n; ++step) {
    uint32_t node = tokens_[(start + step) % tokens_.size()].node;
    if (chosen[node]) continue;
    chosen[node] = true;
    out.push_back(&nodes_[node]);
  }
  return out;
}

std::vector<const RingNode*> Ring::PreferenceList(std::string_view key, size_t n) const {
  return PreferenceListForToken(KeyToken(key), n);
}

std::vector<const RingNode*> Ring::PreferenceList(std::string_view key, const DcReplication& per_dc) const {
  return PreferenceListForToken(KeyToken(key), per_dc);
}

std::vector<const RingNode*> Ring::PreferenceListForToken(uint64_t token, const DcReplication& per_dc) const {
  std::vector<const RingNode*> out;
  if (tokens_.empty()) return out;
  std::map<std::string_view, size_t> wanted;  // per DC: replicas still to choose
  for (const RingNode& n : nodes_) {
    auto it = per_dc.find(n.dc);
    if (it != per_dc.end() && wanted[n.dc] < it->second) ++wanted[n.dc];
  }
  size_t remaining = 0;
  for (const auto& [dc, n] : wanted) remaining += n;
  std::map<std::string_view, std::vector<std::string_view>> racks_used;
  std::map<std::string_view, std::vector<const RingNode*>> passed_over;  // a rack already used
  auto start = static_cast<size_t>(std::lower_bound(tokens_.begin(), tokens_.end(), token,
                                                    [](const TokenOwner& t, uint64_t v) { return t.token < v; }) -
                                   tokens_.begin());
  std::vector<bool> seen(nodes_.size(), false);
  for (size_t step = 0; step < tokens_.size() && remaining > 0; ++step) {
    uint32_t index = tokens_[(start + step) % tokens_.size()].node;
    if (seen[index]) continue;
    seen[index] = true;
    const RingNode& node = nodes_[index];
    auto want = wanted.find(node.dc);
    if (want == wanted.end() || want->second == 0) continue;
    auto& racks = racks_used[node.dc];
    if (!node.rack.empty() && std::find(racks.begin(), racks.end(), node.rack) != racks.end()) {
      passed_over[node.dc].push_back(&node);
      continue;
    }
    if (!node.rack.empty()) racks.push_back(node.rack);
    out.push_back(&node);
    --want->second;
    --remaining;
  }
  for (auto& [dc, nodes] : passed_over) {
    for (size_t i = 0; i < nodes.size() && wanted[dc] > 0; ++i, --wanted[dc]) out.push_back(nodes[i]);
  }
  return out;
}

std::map<std::string, double> Ring::Ownership() const {
  std::map<std::string, double> out;
  for (const auto& n : nodes_) out[n.id] = 0;
  std::vector<uint64_t> sorted;
  for (const auto& t : tokens_) sorted.push_back(t.token);
  for (size_t i = 0; i < sorted.size(); ++i) {
    out[nodes_[tokens_[i].node].id] += static_cast<double>(ArcSize(sorted, i)) / kCircle;
  }
  return out;
}

std::map<std::string, double> Ring::ReplicaOwnership(size_t n) const {
  std::map<std::string, double> out;
  for (const auto& node : nodes_) out[node.id] = 0;
  std::vector<uint64_t> sorted;
  for (const auto& t : tokens_) sorted.push_back(t.token);
  for (size_t i = 0; i < sorted.size(); ++i) {
    double arc = static_cast<double>(ArcSize(sorted, i)) / kCircle;
    for (const RingNode* node : PreferenceListForToken(sorted[i], n)) out[node->id] += arc;
  }
  return out;
}

void HandOverTokens(const TokenHeirs& heirs, std::vector<RingNode>* nodes) {
  for (const auto& entry : heirs) {
    const uint64_t token = entry.first;
    const std::string& heir = entry.second;
    auto it = std::find_if(nodes->begin(), nodes->end(), [&heir](const RingNode& n) { return n.id == heir; });
    if (it == nodes->end()) continue;
    if (std::find(it->tokens.begin(), it->tokens.end(), token) != it->tokens.end()) continue;
    if (it->weight == 0) it->weight = static_cast<uint32_t>(it->tokens.size());
    it->tokens.push_back(token);
  }
}

const RingNode* Ring::Find(std::string_view id) const {
  for (const auto& n : nodes_) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

}  // namespace ringkv
