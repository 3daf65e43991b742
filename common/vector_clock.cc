#include "common/vector_clock.h"

#include <algorithm>

#include "common/coding.h"

namespace ringkv {
namespace {
constexpr uint8_t kSiblingSetVersion = 1;             // context and siblings
constexpr uint8_t kSiblingSetWithHistoryVersion = 2;  // ...then flags and the retired write ids
constexpr uint64_t kLwwFlag = 0x01;
constexpr uint8_t kTombstoneFlag = 0x01;
constexpr uint8_t kExpiresFlag = 0x02;  // a varint64 expiry (ms since the epoch) follows the flags
// A context's first byte: a version vector's (its entry count, at most 16) never is.
constexpr uint8_t kCausalContextVersion = 0xC2;

bool HasWriteId(const std::vector<Sibling>& siblings, uint64_t write_id) {
  return write_id != 0 &&
         std::any_of(siblings.begin(), siblings.end(), [&](const Sibling& s) { return s.write_id == write_id; });
}

void EncodeWriteRefs(const std::vector<WriteRef>& refs, std::string* out) {
  PutVarint64(out, refs.size());
  for (const WriteRef& r : refs) {
    PutFixed64(out, r.write_id);
    PutVarint64(out, r.timestamp_ms);
  }
}

bool DecodeWriteRefs(std::string_view* in, std::vector<WriteRef>* refs) {
  uint64_t count = 0;
  if (!GetVarint64(in, &count) || count > in->size()) return false;
  for (uint64_t i = 0; i < count; ++i) {
    WriteRef r;
    if (!GetFixed64(in, &r.write_id) || !GetVarint64(in, &r.timestamp_ms) || r.write_id == 0) return false;
    refs->push_back(r);
  }
  return true;
}
}  // namespace

// ---- VersionVector ----

uint64_t VersionVector::Get(std::string_view node) const {
  auto it = entries_.find(node);
  return it == entries_.end() ? 0 : it->second.counter;
}

void VersionVector::Advance(const std::string& node, uint64_t counter, uint64_t timestamp_ms) {
  Entry& e = entries_[node];
  if (counter > e.counter) e.counter = counter;
  e.timestamp_ms = std::max(e.timestamp_ms, timestamp_ms);
}

void VersionVector::Merge(const VersionVector& other) {
  for (const auto& [node, e] : other.entries_) Advance(node, e.counter, e.timestamp_ms);
}

Causality VersionVector::Compare(const VersionVector& other) const {
  bool less = false, greater = false;
  for (const auto& [node, e] : entries_) {
    uint64_t theirs = other.Get(node);
    if (e.counter > theirs) greater = true;
    if (e.counter < theirs) less = true;
  }
  for (const auto& [node, e] : other.entries_) {
    if (Get(node) < e.counter) less = true;
  }
  if (less && greater) return Causality::kConcurrent;
  if (less) return Causality::kBefore;
  if (greater) return Causality::kAfter;
  return Causality::kEqual;
}

void VersionVector::Prune(size_t max_entries, const std::vector<std::string>& keep) {
  while (entries_.size() > max_entries) {
    auto oldest = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (std::find(keep.begin(), keep.end(), it->first) != keep.end()) continue;
      if (oldest == entries_.end() || it->second.timestamp_ms < oldest->second.timestamp_ms) oldest = it;
    }
    if (oldest == entries_.end()) return;  // everything left is pinned
    entries_.erase(oldest);
  }
}

void VersionVector::EncodeTo(std::string* out) const {
  PutVarint64(out, entries_.size());
  for (const auto& [node, e] : entries_) {
    PutLengthPrefixed(out, node);
    PutVarint64(out, e.counter);
    PutVarint64(out, e.timestamp_ms);
  }
}

bool VersionVector::DecodeFrom(std::string_view* in) {
  entries_.clear();
  uint64_t count = 0;
  if (!GetVarint64(in, &count) || count > in->size()) return false;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view node;
    Entry e;
    if (!GetLengthPrefixed(in, &node) || !GetVarint64(in, &e.counter) || !GetVarint64(in, &e.timestamp_ms)) {
      return false;
    }
    if (node.empty() || !entries_.emplace(std::string(node), e).second) return false;
  }
  return true;
}

std::string VersionVector::Encode() const {
  std::string out;
  EncodeTo(&out);
  return out;
}

Result<VersionVector> VersionVector::Decode(std::string_view bytes) {
  VersionVector vv;
  if (!vv.DecodeFrom(&bytes) || !bytes.empty()) return Status::Corruption("malformed version vector");
  return vv;
}

std::string VersionVector::ToString() const {
  std::string out = "{";
  for (const auto& [node, e] : entries_) {
    if (out.size() > 1) out += ", ";
    out += node + ":" + std::to_string(e.counter);
  }
  return out + "}";
}

// ---- CausalContext ----

std::string CausalContext::Encode() const {
  std::string out;
  out.push_back(static_cast<char>(kCausalContextVersion));
  clock.EncodeTo(&out);
  EncodeWriteRefs(read, &out);
  return out;
}

Result<CausalContext> CausalContext::Decode(std::string_view bytes) {
  CausalContext c;
  if (bytes.empty()) return c;
  if (static_cast<uint8_t>(bytes[0]) != kCausalContextVersion) {  // the clock alone (older clients)
    RINGKV_ASSIGN(c.clock, VersionVector::Decode(bytes));
    return c;
  }
  bytes.remove_prefix(1);
  if (!c.clock.DecodeFrom(&bytes) || !DecodeWriteRefs(&bytes, &c.read) || !bytes.empty()) {
    return Status::Corruption("malformed context");
  }
  return c;
}

// ---- SiblingSet ----

Result<SiblingSet> SiblingSet::FromParts(VersionVector context, std::vector<Sibling> siblings,
                                         std::vector<WriteRef> retired, uint64_t retired_floor_ms,
                                         bool last_writer_wins) {
  for (const Sibling& s : siblings) {
    if (s.dot.node.empty() || s.dot.counter == 0) return Status::InvalidArgument("sibling without a dot");
    if (!context.Covers(s.dot)) {
      return Status::InvalidArgument("sibling " + s.dot.node + ":" + std::to_string(s.dot.counter) +
                                     " is not covered by its context " + context.ToString());
    }
  }
  for (const WriteRef& r : retired) {
    if (r.write_id == 0) return Status::InvalidArgument("retired write without an id");
  }
  SiblingSet set;
  set.context_ = std::move(context);
  set.siblings_ = std::move(siblings);
  set.retired_floor_ms_ = retired_floor_ms;
  set.Retire(retired);
  set.Normalize();
  if (last_writer_wins) set.ResolveLww();
  return set;
}

bool SiblingSet::IsRetired(uint64_t write_id) const {
  auto it = std::lower_bound(retired_.begin(), retired_.end(), write_id,
                             [](const WriteRef& r, uint64_t id) { return r.write_id < id; });
  return it != retired_.end() && it->write_id == write_id;
}

WriteFate SiblingSet::Classify(const Sibling& write) const {
  if (write.write_id == 0) return WriteFate::kNew;
  if (HasWriteId(siblings_, write.write_id)) return WriteFate::kHeld;
  if (IsRetired(write.write_id)) return WriteFate::kSuperseded;
  if (retired_floor_ms_ != 0 && write.timestamp_ms <= retired_floor_ms_) return WriteFate::kTooOld;
  return WriteFate::kNew;
}

CausalContext SiblingSet::ReadContext() const {
  CausalContext c{context_, {}};
  for (const Sibling& s : siblings_) {
    if (s.write_id != 0) c.read.push_back(WriteRef{s.write_id, s.timestamp_ms});
  }
  return c;
}

Dot SiblingSet::Update(const CausalContext& context, const std::string& node, Sibling write, uint64_t counter_floor) {
  switch (Classify(write)) {
    case WriteFate::kHeld:
      for (const Sibling& s : siblings_) {
        if (s.write_id == write.write_id) return s.dot;  // a retry of a write we already hold
      }
      break;
    case WriteFate::kSuperseded:
    case WriteFate::kTooOld:
      return Dot{};
    case WriteFate::kNew:
      break;
  }
  auto read = [&](const Sibling& s) {
    return std::any_of(context.read.begin(), context.read.end(),
                       [&](const WriteRef& r) { return r.write_id != 0 && r.write_id == s.write_id; });
  };
  std::vector<WriteRef> superseded = context.read;
  std::erase_if(siblings_, [&](const Sibling& s) {
    if (!context.clock.Covers(s.dot) && !read(s)) return false;
    if (s.write_id != 0) superseded.push_back(WriteRef{s.write_id, s.timestamp_ms});
    return true;
  });
  uint64_t counter = std::max({context_.Get(node) + 1, context.clock.Get(node) + 1, counter_floor});
  context_.Merge(context.clock);
  context_.Advance(node, counter, write.timestamp_ms);
  write.dot = Dot{node, counter};
  Dot dot = write.dot;
  siblings_.push_back(std::move(write));
  Retire(superseded);
  Normalize();
  // A set written in LWW mode stays resolved, whether or not this writer knows the mode (a
  // node that has not heard of the namespace yet): two siblings here would be a set no
  // reader can decode.
  if (lww_) ResolveLww();
  return dot;
}

bool SiblingSet::Merge(const SiblingSet& other) {
  auto in = [](const std::vector<Sibling>& v, const Dot& d) {
    return std::any_of(v.begin(), v.end(), [&](const Sibling& s) { return s.dot == d; });
  };
  // A sibling survives if the other side holds it too or has never seen its write, and
  // neither side has seen its write superseded. Ours are dropped in place and theirs
  // appended, so nothing that stays is copied.
  std::vector<WriteRef> superseded;  // dropped here because the other side's context covers them
  size_t dropped = std::erase_if(siblings_, [&](const Sibling& s) {
    if (other.IsRetired(s.write_id)) return true;
    if (in(other.siblings_, s.dot) || !other.context_.Covers(s.dot)) return false;
    if (s.write_id != 0) superseded.push_back(WriteRef{s.write_id, s.timestamp_ms});
    return true;
  });
  size_t kept = siblings_.size();
  for (const Sibling& s : other.siblings_) {
    if (!in(siblings_, s.dot) && !context_.Covers(s.dot) && !IsRetired(s.write_id)) siblings_.push_back(s);
  }
  size_t retired_before = retired_.size();
  uint64_t floor_before = retired_floor_ms_;
  Retire(other.retired_);
  Retire(superseded);
  retired_floor_ms_ = std::max(retired_floor_ms_, other.retired_floor_ms_);
  Causality order = context_.Compare(other.context_);
  bool changed = dropped > 0 || siblings_.size() != kept || order == Causality::kBefore ||
                 order == Causality::kConcurrent || retired_.size() != retired_before ||
                 retired_floor_ms_ != floor_before;
  if (changed) {
    context_.Merge(other.context_);
    Normalize();
  }
  if (lww_ || other.lww_) changed = ResolveLww() || changed;
  return changed;
}

bool SiblingSet::ForgetRetiredBefore(uint64_t cutoff_ms) {
  return std::erase_if(retired_, [&](const WriteRef& r) { return r.timestamp_ms < cutoff_ms; }) > 0;
}

void SiblingSet::Retire(const std::vector<WriteRef>& writes) {
  for (const WriteRef& w : writes) {
    if (w.write_id == 0) continue;
    auto it = std::lower_bound(retired_.begin(), retired_.end(), w.write_id,
                               [](const WriteRef& r, uint64_t id) { return r.write_id < id; });
    if (it != retired_.end() && it->write_id == w.write_id)
      it->timestamp_ms = std::max(it->timestamp_ms, w.timestamp_ms);
    else
      retired_.insert(it, w);
  }
}

void SiblingSet::BoundRetired() {
  while (retired_.size() > kMaxRetired) {
    auto oldest = std::min_element(retired_.begin(), retired_.end(), [](const WriteRef& a, const WriteRef& b) {
      return a.timestamp_ms < b.timestamp_ms;
    });
    retired_floor_ms_ = std::max(retired_floor_ms_, oldest->timestamp_ms);
    retired_.erase(oldest);
  }
}

bool SiblingSet::ResolveLww() {
  bool newly = !lww_;
  lww_ = true;
  if (siblings_.size() <= 1) return newly;
  auto newest = std::max_element(siblings_.begin(), siblings_.end(), [](const Sibling& a, const Sibling& b) {
    if (a.timestamp_ms != b.timestamp_ms) return a.timestamp_ms < b.timestamp_ms;
    if (a.dot.node != b.dot.node) return a.dot.node < b.dot.node;
    return a.dot.counter < b.dot.counter;
  });
  Sibling keep = *newest;
  siblings_ = {std::move(keep)};
  return true;
}

bool SiblingSet::Expire(uint64_t now_ms) {
  bool changed = false;
  for (Sibling& s : siblings_) {
    if (s.tombstone || !s.ExpiredAt(now_ms)) continue;
    s.tombstone = true;
    s.value.clear();
    s.value.shrink_to_fit();
    changed = true;
  }
  return changed;
}

uint64_t SiblingSet::AllExpireAt() const {
  uint64_t at = 0;
  for (const Sibling& s : siblings_) {
    if (s.tombstone) continue;
    if (s.expires_at_ms == 0) return 0;
    at = std::max(at, s.expires_at_ms);
  }
  return at;
}

std::string SiblingSet::EncodeExpiredAt(uint64_t now_ms) const {
  SiblingSet expired;
  expired.context_ = context_;
  expired.retired_ = retired_;
  expired.retired_floor_ms_ = retired_floor_ms_;
  expired.lww_ = lww_;
  expired.siblings_.reserve(siblings_.size());
  for (const Sibling& s : siblings_) {
    bool gone = !s.tombstone && s.ExpiredAt(now_ms);
    expired.siblings_.push_back(Sibling{s.dot, s.write_id, s.timestamp_ms, s.tombstone || gone,
                                        gone ? std::string() : s.value, s.expires_at_ms});
  }
  return expired.Encode();
}

bool SiblingSet::AllTombstones() const {
  return std::all_of(siblings_.begin(), siblings_.end(), [](const Sibling& s) { return s.tombstone; });
}

uint64_t SiblingSet::NewestTimestamp() const {
  uint64_t ts = 0;
  for (const Sibling& s : siblings_) ts = std::max(ts, s.timestamp_ms);
  return ts;
}

uint64_t SiblingSet::DeletedAtMs() const {
  uint64_t at = 0;
  for (const Sibling& s : siblings_) at = std::max({at, s.timestamp_ms, s.expires_at_ms});
  return at;
}

void SiblingSet::Normalize() {
  std::sort(siblings_.begin(), siblings_.end(), [](const Sibling& a, const Sibling& b) {
    return a.dot.node != b.dot.node ? a.dot.node < b.dot.node : a.dot.counter < b.dot.counter;
  });
  if (siblings_.size() > 1) {
    std::vector<uint64_t> seen;
    std::erase_if(siblings_, [&](const Sibling& s) {
      if (s.write_id == 0) return false;
      if (std::find(seen.begin(), seen.end(), s.write_id) != seen.end()) return true;
      seen.push_back(s.write_id);
      return false;
    });
  }
  // A live write is not superseded: an id can be retired on one side while the other
  // still holds it under another dot only if that dot was coordinated later (a
  // duplicate); then the duplicate was dropped above, so what is live here stays.
  std::erase_if(retired_, [&](const WriteRef& r) { return HasWriteId(siblings_, r.write_id); });
  BoundRetired();
  PruneContext();
}

void SiblingSet::PruneContext() {
  std::vector<std::string> pinned;  // entries that name a live sibling's dot must stay
  for (const Sibling& s : siblings_) pinned.push_back(s.dot.node);
  context_.Prune(kMaxClockEntries, pinned);
}

std::string SiblingSet::Encode() const {
  std::string out;
  EncodeTo(&out, /*versions_only=*/false);
  return out;
}

std::string SiblingSet::EncodeVersions() const {
  std::string out;
  EncodeTo(&out, /*versions_only=*/true);
  return out;
}

void SiblingSet::EncodeTo(std::string* out_ptr, bool versions_only) const {
  std::string& out = *out_ptr;
  bool with_history = !versions_only && (!retired_.empty() || retired_floor_ms_ != 0 || lww_);
  out.push_back(static_cast<char>(with_history ? kSiblingSetWithHistoryVersion : kSiblingSetVersion));
  context_.EncodeTo(&out);
  PutVarint64(&out, siblings_.size());
  for (const Sibling& s : siblings_) {
    PutLengthPrefixed(&out, s.dot.node);
    PutVarint64(&out, s.dot.counter);
    PutFixed64(&out, s.write_id);
    PutVarint64(&out, s.timestamp_ms);
    // Replicas agree on an expiring write by its dot and expiry; whether a holder has
    // dropped its value yet is its own business (see EncodeVersions).
    bool write_only = versions_only && s.expires_at_ms != 0;
    uint8_t flags = (s.tombstone && !write_only ? kTombstoneFlag : 0) | (s.expires_at_ms != 0 ? kExpiresFlag : 0);
    out.push_back(static_cast<char>(flags));
    if (s.expires_at_ms != 0) PutVarint64(&out, s.expires_at_ms);
    PutLengthPrefixed(&out, write_only ? std::string_view() : std::string_view(s.value));
  }
  if (with_history) {
    PutVarint64(&out, lww_ ? kLwwFlag : 0);
    PutVarint64(&out, retired_floor_ms_);
    EncodeWriteRefs(retired_, &out);
  }
}

Result<SiblingSet> SiblingSet::Decode(std::string_view in) {
  auto bad = [](const char* what) { return Status::Corruption(std::string("malformed sibling set: ") + what); };
  if (in.empty()) return bad("unknown version");
  auto version = static_cast<uint8_t>(in[0]);
  if (version != kSiblingSetVersion && version != kSiblingSetWithHistoryVersion) return bad("unknown version");
  in.remove_prefix(1);
  SiblingSet set;
  uint64_t count = 0;
  if (!set.context_.DecodeFrom(&in)) return bad("context");
  if (!GetVarint64(&in, &count) || count > in.size()) return bad("sibling count");
  for (uint64_t i = 0; i < count; ++i) {
    Sibling s;
    std::string_view node, value;
    if (!GetLengthPrefixed(&in, &node) || !GetVarint64(&in, &s.dot.counter) || !GetFixed64(&in, &s.write_id) ||
        !GetVarint64(&in, &s.timestamp_ms) || in.empty()) {
      return bad("sibling header");
    }
    auto flags = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    if ((flags & ~(kTombstoneFlag | kExpiresFlag)) != 0) return bad("sibling flags");
    if ((flags & kExpiresFlag) != 0 && (!GetVarint64(&in, &s.expires_at_ms) || s.expires_at_ms == 0)) {
      return bad("sibling expiry");
    }
    if (!GetLengthPrefixed(&in, &value)) return bad("sibling body");
    s.dot.node.assign(node);
    s.tombstone = (flags & kTombstoneFlag) != 0;
    s.value.assign(value);
    set.siblings_.push_back(std::move(s));
  }
  if (version == kSiblingSetWithHistoryVersion) {
    std::vector<WriteRef> retired;
    uint64_t flags = 0;
    if (!GetVarint64(&in, &flags) || (flags & ~kLwwFlag) != 0) return bad("flags");
    if (!GetVarint64(&in, &set.retired_floor_ms_) || !DecodeWriteRefs(&in, &retired)) return bad("retired writes");
    set.lww_ = (flags & kLwwFlag) != 0;
    set.Retire(retired);
    if (set.lww_ && set.siblings_.size() > 1) return bad("last-writer-wins set with siblings");
    for (const WriteRef& r : set.retired_) {
      if (HasWriteId(set.siblings_, r.write_id)) return bad("a retired write is live");
    }
  }
  if (!in.empty()) return bad("trailing bytes");
  return set;
}

}  // namespace ringkv
