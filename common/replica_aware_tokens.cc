#include "common/replica_aware_tokens.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace ringkv {
namespace {

constexpr double kCircle = 18446744073709551616.0;  // 2^64

struct Token {
  uint64_t position;
  uint32_t owner;
};

// One node's share change at one level, linear in the piece size s: a + b·s.
struct Change {
  uint32_t node;
  size_t level;
  double a = 0, b = 0;
};

class Allocator {
 public:
  Allocator(const Ring& current, uint32_t vnodes, size_t replicas) : n_(replicas) {
    double total = vnodes;
    for (const RingNode& node : current.nodes()) total += node.Weight();
    for (uint32_t k = 0; k < current.nodes().size(); ++k) {
      const RingNode& node = current.nodes()[k];
      for (uint64_t t : node.tokens) tokens_.push_back({t, k});
      weights_.push_back(node.Weight() / total);
    }
    joiner_ = static_cast<uint32_t>(current.nodes().size());
    weights_.push_back(vnodes / total);
    nodes_ = weights_.size();
    target_.assign(n_ * nodes_, 0);
    for (size_t l = 0; l < n_; ++l) {
      for (size_t k = 0; k < nodes_; ++k)
        target_[l * nodes_ + k] = std::min(1.0, static_cast<double>(l + 1) * weights_[k]);
    }
    std::sort(tokens_.begin(), tokens_.end(), [](const Token& x, const Token& y) { return x.position < y.position; });
  }

  std::vector<uint64_t> Run(uint32_t vnodes) {
    for (uint32_t v = 0; v < vnodes; ++v) {
      Recompute();
      auto best = BestInsertion();
      if (!best) break;
      Insert(best->index, best->position);
    }
    for (int pass = 0; pass < kPasses; ++pass) {
      bool moved = false;
      for (size_t i = 0; i < T(); ++i) {
        if (tokens_[i].owner != joiner_) continue;
        Recompute();
        double with = Cost();
        Token removed = tokens_[i];
        tokens_.erase(tokens_.begin() + static_cast<std::ptrdiff_t>(i));
        Recompute();
        double without = Cost();
        auto best = BestInsertion();
        if (best && without - best->gain < with - 1e-12) {
          Insert(best->index, best->position);
          moved = true;
        } else {
          tokens_.insert(tokens_.begin() + static_cast<std::ptrdiff_t>(i), removed);
        }
      }
      if (!moved) break;
    }
    std::vector<uint64_t> out;
    for (const Token& t : tokens_) {
      if (t.owner == joiner_) out.push_back(t.position);
    }
    return out;
  }

 private:
  static constexpr int kPasses = 4;
  // The level that is the load (all N replicas) weighs 4 times the others, which only keep
  // the ring in a shape later joins can balance.
  double W(size_t level) const { return level + 1 == n_ ? 4.0 : 1.0; }
  struct Insertion {
    size_t index;
    uint64_t position;
    double gain;
  };

  void Insert(size_t index, uint64_t position) {
    tokens_.insert(tokens_.begin() + static_cast<std::ptrdiff_t>(index), Token{position, joiner_});
  }
  size_t T() const { return tokens_.size(); }
  uint64_t ArcSize(size_t i) const {
    if (T() == 1) return std::numeric_limits<uint64_t>::max();
    return tokens_[i].position - tokens_[(i + T() - 1) % T()].position;
  }
  double& Share(size_t level, uint32_t node) { return share_[level * nodes_ + node]; }
  double Share(size_t level, uint32_t node) const { return share_[level * nodes_ + node]; }
  double Target(size_t level, uint32_t node) const { return target_[level * nodes_ + node]; }

  double Cost() const {
    double c = 0;
    for (size_t x = 0; x < share_.size(); ++x) c += W(x / nodes_) * (share_[x] - target_[x]) * (share_[x] - target_[x]);
    return c;
  }

  // Per arc: its walk's distinct owners (at most n_) and the offset where each was found.
  void Recompute() {
    lists_.assign(T() * n_, 0);
    reach_.assign(T() * n_, T());
    count_.assign(T(), 0);
    share_.assign(n_ * nodes_, 0);
    seen_.assign(nodes_, std::numeric_limits<size_t>::max());
    std::vector<size_t>& seen = seen_;
    for (size_t j = 0; j < T(); ++j) {
      double arc = static_cast<double>(ArcSize(j)) / kCircle;
      for (size_t steps = 0; steps < T() && count_[j] < n_; ++steps) {
        uint32_t owner = tokens_[(j + steps) % T()].owner;
        if (seen[owner] == j) continue;
        seen[owner] = j;
        lists_[j * n_ + count_[j]] = owner;
        reach_[j * n_ + count_[j]] = steps;
        ++count_[j];
      }
      for (size_t l = 0; l < count_[j]; ++l) {
        uint32_t owner = lists_[j * n_ + l];
        for (size_t level = l; level < n_; ++level) Share(level, owner) += arc;
      }
    }
  }

  // Where the joiner sits in arc j's list (n_ if absent).
  size_t RankOf(size_t j) const {
    for (size_t l = 0; l < count_[j]; ++l) {
      if (lists_[j * n_ + l] == joiner_) return l;
    }
    return n_;
  }

  static Change& Of(std::vector<Change>& changes, uint32_t node, size_t level) {
    for (auto& c : changes) {
      if (c.node == node && c.level == level) return c;
    }
    changes.push_back({node, level});
    return changes.back();
  }

  std::optional<Insertion> BestIn(size_t i) const {
    uint64_t size = ArcSize(i);
    if (size < 4) return std::nullopt;
    double arc = static_cast<double>(size) / kCircle;
    std::vector<Change>& changes = scratch_;
    changes.clear();
    for (size_t back = 1; back < T(); ++back) {
      size_t j = (i + T() - back) % T();
      size_t rank = RankOf(j);
      // Only the levels above the joiner's rank can change; past their reach, no earlier arc's can.
      size_t levels = std::min(rank, count_[j]);
      if (levels == 0) continue;
      if (reach_[j * n_ + levels - 1] < back && (levels == n_ || rank < n_)) break;
      double a = static_cast<double>(ArcSize(j)) / kCircle;
      // Level L (0-based): the joiner enters the first L+1 if found before the (L+1)-th node.
      for (size_t level = 0; level < n_ && level < rank; ++level) {
        if (reach_[j * n_ + level] < back) continue;  // the first level+1 were found before this point
        Of(changes, joiner_, level).a += a;
        if (count_[j] > level) Of(changes, lists_[j * n_ + level], level).a -= a;
      }
    }
    size_t rank = RankOf(i);
    for (size_t level = 0; level < n_; ++level) {
      // The piece's list: the joiner first, then arc i's list without it.
      if (level < rank) {
        Of(changes, joiner_, level).b += 1;
        if (count_[i] > level) Of(changes, lists_[i * n_ + level], level).b -= 1;
      }
    }
    double num = 0, den = 0;
    for (const Change& c : changes) {
      double e = Share(c.level, c.node) - Target(c.level, c.node) + c.a;
      num += W(c.level) * e * c.b;
      den += W(c.level) * c.b * c.b;
    }
    double s = den > 0 ? -num / den : arc / 2;
    s = std::clamp(s, arc * 0.05, arc * 0.95);
    double delta = 0;
    for (const Change& c : changes) {
      double e0 = Share(c.level, c.node) - Target(c.level, c.node);
      double e = e0 + c.a + c.b * s;
      delta += W(c.level) * (e * e - e0 * e0);
    }
    auto piece = static_cast<uint64_t>(s * kCircle);
    piece = std::clamp<uint64_t>(piece, 1, size - 1);
    uint64_t start = tokens_[(i + T() - 1) % T()].position;
    return Insertion{i, start + piece, -delta};
  }

  std::optional<Insertion> BestInsertion() const {
    std::optional<Insertion> best;
    for (size_t i = 0; i < T(); ++i) {
      auto candidate = BestIn(i);
      if (candidate && (!best || candidate->gain > best->gain)) best = candidate;
    }
    return best;
  }

  const size_t n_;
  size_t nodes_ = 0;
  uint32_t joiner_ = 0;
  std::vector<double> weights_;
  std::vector<Token> tokens_;
  std::vector<double> target_, share_;  // n_ × nodes: share at each level (first 1, 2, ..., n_ replicas)
  std::vector<uint32_t> lists_;
  std::vector<size_t> reach_;
  std::vector<size_t> count_;
  std::vector<size_t> seen_;
  mutable std::vector<Change> scratch_;  // BestIn's changes, kept to spare allocations
};

// Picks, for each token of a leaving node, the remaining node that takes it over (or none:
// the token goes, its arc passing to the next token clockwise), lowering the same cost as
// Allocator: the weighted squared distance of every remaining node's share of the first
// 1..N replicas from its target. Greedy over the tokens in ring order, then passes that
// re-pick each token's heir while that lowers the cost. Re-picking one token changes only
// the arcs whose walk reaches it before their N-th node (and the next arc, which absorbs a
// dropped token's): each trial recomputes those few arcs, not the ring.
class HeirChooser {
 public:
  HeirChooser(const Ring& ring, std::string_view leaving, size_t replicas, const std::vector<std::string>& candidates)
      : n_(replicas) {
    std::vector<uint32_t> index_of(ring.nodes().size(), kNone);
    double total = 0;
    for (uint32_t k = 0; k < ring.nodes().size(); ++k) {
      const RingNode& node = ring.nodes()[k];
      if (node.id == leaving) continue;
      index_of[k] = static_cast<uint32_t>(ids_.size());
      ids_.push_back(node.id);
      total += node.Weight();
    }
    for (const std::string& c : candidates) {
      auto it = std::find(ids_.begin(), ids_.end(), c);
      if (it != ids_.end()) candidates_.push_back(static_cast<uint32_t>(it - ids_.begin()));
    }
    std::sort(candidates_.begin(), candidates_.end());
    candidates_.erase(std::unique(candidates_.begin(), candidates_.end()), candidates_.end());
    nodes_ = ids_.size();
    target_.assign(n_ * nodes_, 0);
    for (size_t l = 0; l < n_; ++l) {
      for (size_t k = 0; k < nodes_; ++k) {
        double weight = 0;
        for (const RingNode& node : ring.nodes()) {
          if (node.id == ids_[k]) weight = node.Weight();
        }
        target_[l * nodes_ + k] = std::min(1.0, static_cast<double>(l + 1) * weight / total);
      }
    }
    for (uint32_t k = 0; k < ring.nodes().size(); ++k) {
      for (uint64_t t : ring.nodes()[k].tokens) tokens_.push_back({t, index_of[k]});  // the leaver's: kNone
    }
    std::sort(tokens_.begin(), tokens_.end(), [](const Token& x, const Token& y) { return x.position < y.position; });
    for (size_t i = 0; i < tokens_.size(); ++i) {
      if (tokens_[i].owner == kNone) slots_.push_back(i);
    }
    delta_.assign(n_ * nodes_, 0);
  }

  TokenHeirs Run() {
    TokenHeirs out;
    if (candidates_.empty() || nodes_ == 0 || slots_.size() == tokens_.size()) return out;
    ComputeShares();
    for (int pass = 0; pass <= kPasses; ++pass) {
      bool changed = false;
      for (size_t p : slots_) changed = PickHeir(p) || changed;
      if (!changed) break;
    }
    for (size_t p : slots_) {
      if (tokens_[p].owner != kNone) out[tokens_[p].position] = ids_[tokens_[p].owner];
    }
    return out;
  }

 private:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  static constexpr int kPasses = 4;  // after the greedy one
  double W(size_t level) const { return level + 1 == n_ ? 4.0 : 1.0; }
  size_t T() const { return tokens_.size(); }
  size_t Prev(size_t i) const { return (i + T() - 1) % T(); }
  size_t Next(size_t i) const { return (i + 1) % T(); }

  // The best heir (or none) for the token at index p, the others fixed. True if it changed.
  bool PickHeir(size_t p) {
    uint32_t current = tokens_[p].owner;
    uint32_t best = current;
    double best_delta = -1e-15;
    auto consider = [&](uint32_t heir) {
      if (heir == current) return;
      double d = Delta(p, heir, false);
      if (d < best_delta) {
        best_delta = d;
        best = heir;
      }
    };
    consider(kNone);
    for (uint32_t c : candidates_) consider(c);
    if (best == current) return false;
    Delta(p, best, true);
    return true;
  }

  // Adds `sign` times the arc ending at live token i's contribution into delta_.
  void AddArc(size_t i, double sign) {
    if (tokens_[i].owner == kNone) return;
    size_t prev = Prev(i);
    while (prev != i && tokens_[prev].owner == kNone) prev = Prev(prev);
    uint64_t size = prev == i ? std::numeric_limits<uint64_t>::max() : tokens_[i].position - tokens_[prev].position;
    double arc = sign * static_cast<double>(size) / kCircle;
    found_.clear();
    for (size_t j = i, steps = 0; steps < T() && found_.size() < n_; ++steps, j = Next(j)) {
      uint32_t owner = tokens_[j].owner;
      if (owner == kNone || std::find(found_.begin(), found_.end(), owner) != found_.end()) continue;
      for (size_t level = found_.size(); level < n_; ++level) Touch(level * nodes_ + owner, arc);
      found_.push_back(owner);
    }
  }

  void Touch(size_t x, double d) {
    if (delta_[x] == 0) touched_.push_back(x);
    delta_[x] += d;
  }

  // The arcs whose contribution depends on token p's owner: p's, the next live token's
  // (it absorbs p's arc when p has none), and each earlier one whose walk meets fewer than
  // N distinct nodes before p.
  void Affected(size_t p) {
    affected_.clear();
    affected_.push_back(p);
    size_t next = Next(p);
    while (next != p && tokens_[next].owner == kNone) next = Next(next);
    if (next != p) affected_.push_back(next);
    found_.clear();
    for (size_t j = Prev(p), steps = 0; j != p && steps < T(); j = Prev(j), ++steps) {
      uint32_t owner = tokens_[j].owner;
      if (owner == kNone) continue;
      if (std::find(found_.begin(), found_.end(), owner) == found_.end()) found_.push_back(owner);
      if (found_.size() >= n_) break;  // j's walk (and every earlier one) has its N nodes before p
      if (std::find(affected_.begin(), affected_.end(), j) == affected_.end()) affected_.push_back(j);
    }
  }

  // The cost change if token p went to `heir`; applied (shares and owner) when `apply`.
  double Delta(size_t p, uint32_t heir, bool apply) {
    uint32_t current = tokens_[p].owner;
    Affected(p);
    for (size_t i : affected_) AddArc(i, -1);
    tokens_[p].owner = heir;
    for (size_t i : affected_) AddArc(i, +1);
    double d = 0;
    for (size_t x : touched_) {
      double e0 = share_[x] - target_[x], e1 = e0 + delta_[x];
      d += W(x / nodes_) * (e1 * e1 - e0 * e0);
      if (apply) share_[x] += delta_[x];
      delta_[x] = 0;
    }
    touched_.clear();
    if (!apply) tokens_[p].owner = current;
    return d;
  }

  void ComputeShares() {
    share_.assign(n_ * nodes_, 0);
    for (size_t i = 0; i < T(); ++i) AddArc(i, +1);
    for (size_t x : touched_) {
      share_[x] = delta_[x];
      delta_[x] = 0;
    }
    touched_.clear();
  }

  const size_t n_;
  size_t nodes_ = 0;
  std::vector<std::string> ids_;  // the remaining nodes
  std::vector<uint32_t> candidates_;
  std::vector<Token> tokens_;  // every token; the leaver's (slots_) owned by their heir, or kNone
  std::vector<size_t> slots_;
  std::vector<double> target_, share_, delta_;
  std::vector<size_t> touched_, affected_;
  std::vector<uint32_t> found_;
};

}  // namespace

TokenHeirs ChooseTokenHeirs(const Ring& ring, std::string_view leaving, size_t replicas,
                            const std::vector<std::string>& candidates) {
  HeirChooser chooser(ring, leaving, std::max<size_t>(1, replicas), candidates);
  return chooser.Run();
}

std::vector<uint64_t> AllocateReplicaAwareTokens(const Ring& current, uint32_t vnodes, size_t replicas) {
  Allocator allocator(current, vnodes, std::max<size_t>(1, replicas));
  return allocator.Run(vnodes);
}

}  // namespace ringkv
