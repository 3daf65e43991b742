#pragma once
// Merkle-tree anti-entropy between two replicas, with the network abstracted away: the
// node implements MerklePeer over RPC (node/repair/anti_entropy.cc); tests use LocalPeer.
//
// MerkleTree: a binary hash tree over one replica's (key, version) pairs in a token range.
// Leaf i covers the i-th of 2^depth equal slices of the range by key token; a leaf's hash
// is an order-independent sum of hash(key, version hash) over its keys, so building needs
// no sorting; a parent hashes its two children; an empty subtree hashes to 0. Every node
// also counts the keys below it.
//
// Reconcile: compare roots; descend level by level (one batched call per level, naming the
// differing nodes and getting their children's hashes) only into subtrees whose hashes
// differ; once a differing subtree holds few keys here (or is a leaf), exchange its key
// digests; then pull the peer's entries we lack or hold
// differently, merge them (dotted version vectors keep every concurrent version), and push
// our merged entries for keys the peer lacks or holds differently (including keys only the
// peer's tree has, when our merge with its copy differs from that copy: a tombstone the
// source left out of our tree defeated a stale value). Identical replicas
// exchange only their roots; afterwards both sides hold the merge of both for every key.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/vector_clock.h"
#include "ringkv/status.h"

namespace ringkv {

// A token range (start, end] on the 64-bit ring; start == end means the whole circle.
struct TokenRange {
  uint64_t start = 0;
  uint64_t end = 0;
  bool Contains(uint64_t token) const;
  bool whole() const { return start == end; }
};

// What one replica holds, as the exchange sees it (the node filters to shared keys).
class KeySource {
 public:
  virtual ~KeySource() = default;
  virtual Status ForEach(const TokenRange& range,
                         const std::function<void(std::string_view key, const SiblingSet& set)>& fn) = 0;
  virtual Result<std::optional<SiblingSet>> Get(std::string_view key) = 0;
  virtual Status Merge(std::string_view key, const SiblingSet& set) = 0;
};

struct MerkleNode {
  uint64_t hash = 0;
  uint32_t count = 0;  // keys below the node
  bool operator==(const MerkleNode&) const = default;
};

struct KeyDigest {
  std::string key;
  uint64_t version_hash = 0;
};

uint64_t VersionHash(const SiblingSet& set);

class MerkleTree {
 public:
  static constexpr int kMaxDepth = 24;
  static Result<MerkleTree> Build(KeySource& source, TokenRange range, int depth);

  MerkleNode Node(int level, uint32_t index) const { return levels_[level][index]; }
  // Keys under node (level, index), with their version hashes.
  std::vector<KeyDigest> Digests(int level, uint32_t index) const;
  int depth() const { return depth_; }
  const TokenRange& range() const { return range_; }
  uint32_t LeafOf(uint64_t token) const;

 private:
  struct Entry {
    uint32_t leaf;
    std::string key;
    uint64_t version_hash;
  };
  MerkleTree(TokenRange range, int depth) : range_(range), depth_(depth) {}

  TokenRange range_;
  int depth_ = 0;
  std::vector<std::vector<MerkleNode>> levels_;  // levels_[l] has 2^l nodes
  std::vector<Entry> entries_;                   // sorted by leaf
};

// The remote replica of an exchange.
class MerklePeer {
 public:
  virtual ~MerklePeer() = default;
  virtual uint64_t RootHash() = 0;
  // The two children's hashes of each node (level, index), left first.
  virtual Result<std::vector<uint64_t>> ChildHashes(int level, const std::vector<uint32_t>& indices) = 0;
  virtual Result<std::vector<KeyDigest>> Digests(int level, const std::vector<uint32_t>& indices) = 0;
  virtual Result<std::vector<std::pair<std::string, SiblingSet>>> Fetch(const std::vector<std::string>& keys) = 0;
  virtual Status Push(const std::vector<std::pair<std::string, SiblingSet>>& entries) = 0;
};

struct RepairStats {
  uint64_t nodes_compared = 0;
  uint64_t digests_exchanged = 0;
  uint64_t keys_pulled = 0;
  uint64_t keys_pushed = 0;
  uint64_t bytes_sent = 0;  // payload of every call, as encoded below
  uint64_t bytes_received = 0;
  uint64_t rounds = 0;  // calls made to the peer
  uint32_t peers = 0;   // peers compared with (AntiEntropy::Repair)
};

struct RepairOptions {
  size_t digest_threshold = 4;  // exchange digests once a differing subtree holds this few keys here
  size_t max_batch = 4096;      // indices or keys per call
};

// Byte accounting (what the RPC carries): a hash is 8 bytes, an index 4, a digest
// key + 8, an entry key + encoded set.
Result<RepairStats> Reconcile(const MerkleTree& local_tree, KeySource& local_data, MerklePeer& peer,
                              const RepairOptions& options = {});

// The children's hashes of nodes (level, index), validated: what a peer answers.
Result<std::vector<uint64_t>> ChildHashesOf(const MerkleTree& tree, int level, const std::vector<uint32_t>& indices);

// A peer in the same process: another replica's tree and data.
class LocalPeer final : public MerklePeer {
 public:
  LocalPeer(const MerkleTree& tree, KeySource& data) : tree_(tree), data_(data) {}
  uint64_t RootHash() override { return tree_.Node(0, 0).hash; }
  Result<std::vector<uint64_t>> ChildHashes(int level, const std::vector<uint32_t>& indices) override;
  Result<std::vector<KeyDigest>> Digests(int level, const std::vector<uint32_t>& indices) override;
  Result<std::vector<std::pair<std::string, SiblingSet>>> Fetch(const std::vector<std::string>& keys) override;
  Status Push(const std::vector<std::pair<std::string, SiblingSet>>& entries) override;

 private:
  const MerkleTree& tree_;
  KeySource& data_;
};

}  // namespace ringkv
