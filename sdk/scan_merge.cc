#include "sdk/scan_merge.h"

#include <algorithm>

namespace ringkv::sdk {
namespace {

// Where each stream stands in the merge.
struct Cursor {
  const ScanStream* stream;
  size_t next = 0;
  bool Done() const { return next >= stream->entries.size(); }
  const std::string& Key() const { return stream->entries[next].first; }
};

std::string Printable(std::string_view key) {
  std::string out;
  for (unsigned char c : key.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

bool ScanReturns(const SiblingSet& merged) { return !merged.AllTombstones(); }

Result<ScanRound> MergeScanStreams(const std::vector<ScanStream>& streams, const ReplicasOf& replicas_of, int r,
                                   bool lww, size_t max_keys, uint64_t now_ms) {
  ScanRound round;
  std::optional<std::string> frontier;  // none: no stream was cut
  std::vector<Cursor> cursors;
  for (const ScanStream& s : streams) {
    if (!s.answered) continue;
    if (s.more) {
      if (s.entries.empty()) return Status::Aborted("node " + s.node_id + " cut a scan page that holds no entry");
      if (!frontier || s.entries.back().first < *frontier) frontier = s.entries.back().first;
    }
    cursors.push_back(Cursor{&s});
  }
  while (round.keys.size() < max_keys) {
    // The smallest key any stream has next.
    const std::string* key = nullptr;
    for (const Cursor& c : cursors) {
      if (!c.Done() && (key == nullptr || c.Key() < *key)) key = &c.Key();
    }
    if (key == nullptr) {  // every stream is used up
      round.complete = !frontier.has_value();
      return round;
    }
    if (frontier && *frontier < *key) return round;  // past what every stream covers
    std::string stored = *key;
    ScanKey merged{stored, {}, 0};
    std::vector<std::string> replicas = replicas_of(stored);
    std::vector<std::string> silent;
    for (const std::string& id : replicas) {
      auto c = std::find_if(cursors.begin(), cursors.end(), [&](const Cursor& x) { return x.stream->node_id == id; });
      if (c == cursors.end()) {
        silent.push_back(id);
        continue;
      }
      ++merged.replies;  // it answered: with the key's set, or (its stream passed the key) with nothing
      if (!c->Done() && c->Key() == stored) {
        merged.merged.Merge(c->stream->entries[c->next].second);
        if (lww) merged.merged.ResolveLww();
      }
    }
    for (Cursor& c : cursors) {
      if (!c.Done() && c.Key() == stored) ++c.next;
    }
    if (merged.replies < r) {
      std::string missing;
      for (const std::string& id : silent) missing += (missing.empty() ? "" : ", ") + id;
      return Status::QuorumNotReached(merged.replies, r,
                                      "scan: key '" + Printable(stored) + "' has " + std::to_string(merged.replies) +
                                          " of the " + std::to_string(r) +
                                          " replica replies it needs (no answer from " + missing + ")");
    }
    round.last = stored;
    merged.merged.Expire(now_ms);
    if (ScanReturns(merged.merged)) round.keys.push_back(std::move(merged));
  }
  // Full: complete only if nothing is left in any stream and none was cut.
  bool left = std::any_of(cursors.begin(), cursors.end(), [](const Cursor& c) { return !c.Done(); });
  round.complete = !left && !frontier.has_value();
  return round;
}

Status CheckRangesCovered(const RingView& view, int n, int r, const std::set<std::string>& answered,
                          std::string_view why) {
  for (const RingNode& node : view.ring.nodes()) {
    for (uint64_t token : node.tokens) {
      auto replicas = view.dc_replication.empty() ? view.ring.PreferenceListForToken(token, static_cast<size_t>(n))
                                                  : view.ring.PreferenceListForToken(token, view.dc_replication);
      int live = 0;
      std::string missing;
      for (const RingNode* replica : replicas) {
        if (answered.count(replica->id)) {
          ++live;
        } else {
          missing += (missing.empty() ? "" : ", ") + replica->id;
        }
      }
      if (live < r) {
        return Status::QuorumNotReached(live, r,
                                        "scan: the token range ending at " + std::to_string(token) + " has " +
                                            std::to_string(live) + " of the " + std::to_string(r) +
                                            " live replicas a page needs (no answer from " + missing + ")" +
                                            (why.empty() ? "" : ": " + std::string(why)));
      }
    }
  }
  return Status::OK();
}

}  // namespace ringkv::sdk
