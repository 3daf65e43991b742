#include "node/repair/merkle.h"

#include <algorithm>
#include <map>

#include "common/hash.h"
#include "common/ring.h"

namespace ringkv {
namespace {

constexpr uint64_t kHashBytes = 8;
constexpr uint64_t kIndexBytes = 4;

uint64_t EntryBytes(const std::string& key, const SiblingSet& set) { return key.size() + set.Encode().size(); }

uint64_t Combine(uint64_t left, uint64_t right) {
  if (left == 0 && right == 0) return 0;  // an empty subtree
  uint64_t both[2] = {left, right};
  return Hash64(std::string_view(reinterpret_cast<const char*>(both), sizeof(both)));
}

}  // namespace

bool TokenRange::Contains(uint64_t token) const {
  if (whole()) return true;
  return token - start - 1 < end - start;  // (start, end] with wrap-around, in unsigned arithmetic
}

// The versions alone: replicas that agree on them but forgot retired write ids at
// different times are in sync (the ids travel with the next real difference).
uint64_t VersionHash(const SiblingSet& set) { return Hash64(set.EncodeVersions()); }

uint32_t MerkleTree::LeafOf(uint64_t token) const {
  __extension__ typedef unsigned __int128 u128;  // GCC/Clang extension, fine under -Wpedantic
  uint64_t offset = token - range_.start - 1;
  u128 width = range_.whole() ? (u128{1} << 64) : u128{range_.end - range_.start};
  return static_cast<uint32_t>((u128{offset} << depth_) / width);
}

Result<MerkleTree> MerkleTree::Build(KeySource& source, TokenRange range, int depth) {
  if (depth < 0 || depth > kMaxDepth) return Status::InvalidArgument("merkle depth must be in 0..24");
  MerkleTree tree(range, depth);
  tree.levels_.resize(depth + 1);
  for (int l = 0; l <= depth; ++l) tree.levels_[l].resize(size_t{1} << l);
  auto& leaves = tree.levels_[depth];
  RINGKV_TRY(source.ForEach(range, [&](std::string_view key, const SiblingSet& set) {
    uint32_t leaf = tree.LeafOf(Ring::KeyToken(key));
    uint64_t vh = VersionHash(set);
    leaves[leaf].hash += Hash64(key, vh);  // a sum: the order keys come in does not matter
    ++leaves[leaf].count;
    tree.entries_.push_back(Entry{leaf, std::string(key), vh});
  }));
  for (int l = depth - 1; l >= 0; --l) {
    for (size_t i = 0; i < tree.levels_[l].size(); ++i) {
      const MerkleNode& left = tree.levels_[l + 1][2 * i];
      const MerkleNode& right = tree.levels_[l + 1][2 * i + 1];
      tree.levels_[l][i] = MerkleNode{Combine(left.hash, right.hash), left.count + right.count};
    }
  }
  std::sort(tree.entries_.begin(), tree.entries_.end(),
            [](const Entry& a, const Entry& b) { return a.leaf != b.leaf ? a.leaf < b.leaf : a.key < b.key; });
  return tree;
}

std::vector<KeyDigest> MerkleTree::Digests(int level, uint32_t index) const {
  uint64_t first = uint64_t{index} << (depth_ - level);
  uint64_t last = uint64_t{index + 1} << (depth_ - level);
  auto lo = std::lower_bound(entries_.begin(), entries_.end(), first,
                             [](const Entry& e, uint64_t leaf) { return e.leaf < leaf; });
  std::vector<KeyDigest> out;
  for (auto it = lo; it != entries_.end() && it->leaf < last; ++it) out.push_back(KeyDigest{it->key, it->version_hash});
  return out;
}

namespace {

// Finds the differing subtrees small enough to compare key by key: (level, index) pairs.
Status FindDifferingSubtrees(const MerkleTree& tree, MerklePeer& peer, const RepairOptions& options, RepairStats* stats,
                             std::vector<std::pair<int, uint32_t>>* out) {
  ++stats->nodes_compared;
  ++stats->rounds;  // the root comes with the session's opening call
  stats->bytes_received += kHashBytes;
  if (peer.RootHash() == tree.Node(0, 0).hash) return Status::OK();
  std::vector<uint32_t> differing{0};  // at `level`, known to differ
  for (int level = 0; !differing.empty(); ++level) {
    std::vector<uint32_t> descend;
    for (uint32_t index : differing) {
      bool small = tree.Node(level, index).count <= options.digest_threshold;
      if (level == tree.depth() || small)
        out->emplace_back(level, index);
      else
        descend.push_back(index);
    }
    differing.clear();
    for (size_t start = 0; start < descend.size(); start += options.max_batch) {
      std::vector<uint32_t> batch(
          descend.begin() + static_cast<std::ptrdiff_t>(start),
          descend.begin() + static_cast<std::ptrdiff_t>(std::min(descend.size(), start + options.max_batch)));
      RINGKV_ASSIGN(auto hashes, peer.ChildHashes(level, batch));
      if (hashes.size() != 2 * batch.size()) return Status::Aborted("merkle peer answered the wrong number of hashes");
      ++stats->rounds;
      stats->bytes_sent += 1 + kIndexBytes * batch.size();
      stats->bytes_received += kHashBytes * hashes.size();
      for (size_t i = 0; i < batch.size(); ++i) {
        for (uint32_t child = 0; child < 2; ++child) {
          uint32_t index = 2 * batch[i] + child;
          ++stats->nodes_compared;
          if (tree.Node(level + 1, index).hash != hashes[2 * i + child]) differing.push_back(index);
        }
      }
    }
  }
  return Status::OK();
}

}  // namespace

Result<RepairStats> Reconcile(const MerkleTree& local_tree, KeySource& local_data, MerklePeer& peer,
                              const RepairOptions& options) {
  RepairStats stats;
  std::vector<std::pair<int, uint32_t>> subtrees;
  RINGKV_TRY(FindDifferingSubtrees(local_tree, peer, options, &stats, &subtrees));
  if (subtrees.empty()) return stats;

  // Key by key over the differing subtrees: what each side holds.
  std::map<std::string, std::pair<std::optional<uint64_t>, std::optional<uint64_t>>> versions;  // key -> (ours, theirs)
  std::map<int, std::vector<uint32_t>> by_level;
  for (auto [level, index] : subtrees) {
    by_level[level].push_back(index);
    for (auto& d : local_tree.Digests(level, index)) versions[d.key].first = d.version_hash;
  }
  for (auto& [level, indices] : by_level) {
    for (size_t start = 0; start < indices.size(); start += options.max_batch) {
      std::vector<uint32_t> batch(
          indices.begin() + static_cast<std::ptrdiff_t>(start),
          indices.begin() + static_cast<std::ptrdiff_t>(std::min(indices.size(), start + options.max_batch)));
      RINGKV_ASSIGN(auto digests, peer.Digests(level, batch));
      ++stats.rounds;
      stats.bytes_sent += 1 + kIndexBytes * batch.size();
      for (auto& d : digests) {
        stats.bytes_received += d.key.size() + 8;
        ++stats.digests_exchanged;
        versions[d.key].second = d.version_hash;
      }
    }
  }

  std::vector<std::string> pull;
  std::vector<std::pair<std::string, SiblingSet>> push;
  std::vector<std::string> peer_only;  // in the peer's tree, not in ours
  for (const auto& [key, v] : versions) {
    if (v.first == v.second) continue;
    if (v.second) pull.push_back(key);
    if (!v.first) {
      peer_only.push_back(key);
      continue;
    }
    // Our set as it is now, before the pull: merging is commutative, so the peer ends with
    // the same merge without our copy of its own versions coming back to it.
    RINGKV_ASSIGN(auto set, local_data.Get(key));
    if (set) push.emplace_back(key, std::move(*set));
  }
  for (size_t start = 0; start < pull.size(); start += options.max_batch) {
    std::vector<std::string> batch(
        pull.begin() + static_cast<std::ptrdiff_t>(start),
        pull.begin() + static_cast<std::ptrdiff_t>(std::min(pull.size(), start + options.max_batch)));
    RINGKV_ASSIGN(auto entries, peer.Fetch(batch));
    ++stats.rounds;
    for (const auto& key : batch) stats.bytes_sent += key.size();
    for (const auto& [key, set] : entries) {
      stats.bytes_received += EntryBytes(key, set);
      RINGKV_TRY(local_data.Merge(key, set));
      ++stats.keys_pulled;
    }
  }
  // A key our tree left out (a tombstone past its grace, node/repair/purge_guard.h) may
  // still be held here: if the merge with the peer's copy differs from that copy (the
  // tombstone defeated a stale value), the peer gets the merge.
  for (const auto& key : peer_only) {
    RINGKV_ASSIGN(auto set, local_data.Get(key));
    if (set && VersionHash(*set) != versions[key].second) push.emplace_back(key, std::move(*set));
  }
  for (size_t start = 0; start < push.size(); start += options.max_batch) {
    std::vector<std::pair<std::string, SiblingSet>> batch(
        push.begin() + static_cast<std::ptrdiff_t>(start),
        push.begin() + static_cast<std::ptrdiff_t>(std::min(push.size(), start + options.max_batch)));
    for (const auto& [key, set] : batch) stats.bytes_sent += EntryBytes(key, set);
    RINGKV_TRY(peer.Push(batch));
    ++stats.rounds;
    stats.keys_pushed += batch.size();
  }
  return stats;
}

Result<std::vector<uint64_t>> ChildHashesOf(const MerkleTree& tree, int level, const std::vector<uint32_t>& indices) {
  if (level < 0 || level >= tree.depth()) return Status::InvalidArgument("merkle level out of range");
  std::vector<uint64_t> out;
  for (uint32_t i : indices) {
    if (i >= (1u << level)) return Status::InvalidArgument("merkle index out of range");
    out.push_back(tree.Node(level + 1, 2 * i).hash);
    out.push_back(tree.Node(level + 1, 2 * i + 1).hash);
  }
  return out;
}

Result<std::vector<uint64_t>> LocalPeer::ChildHashes(int level, const std::vector<uint32_t>& indices) {
  return ChildHashesOf(tree_, level, indices);
}

Result<std::vector<KeyDigest>> LocalPeer::Digests(int level, const std::vector<uint32_t>& indices) {
  std::vector<KeyDigest> out;
  for (uint32_t i : indices) {
    auto d = tree_.Digests(level, i);
    out.insert(out.end(), std::make_move_iterator(d.begin()), std::make_move_iterator(d.end()));
  }
  return out;
}

Result<std::vector<std::pair<std::string, SiblingSet>>> LocalPeer::Fetch(const std::vector<std::string>& keys) {
  std::vector<std::pair<std::string, SiblingSet>> out;
  for (const auto& key : keys) {
    RINGKV_ASSIGN(auto set, data_.Get(key));
    if (set) out.emplace_back(key, std::move(*set));
  }
  return out;
}

Status LocalPeer::Push(const std::vector<std::pair<std::string, SiblingSet>>& entries) {
  for (const auto& [key, set] : entries) RINGKV_TRY(data_.Merge(key, set));
  return Status::OK();
}

}  // namespace ringkv
