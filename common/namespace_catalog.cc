#include "common/namespace_catalog.h"

#include <algorithm>
#include <tuple>

#include "common/coding.h"
#include "common/hash.h"

namespace ringkv {
namespace {

constexpr char kFormat = 'N';
constexpr uint8_t kFormatVersion = 1;

auto Order(const NamespaceRecord& r) { return std::tie(r.version, r.author); }

bool ByName(const NamespaceRecord& a, const NamespaceRecord& b) { return a.name < b.name; }

void EncodeRecord(const NamespaceRecord& r, std::string* out) {
  PutLengthPrefixed(out, r.name);
  PutVarint64(out, r.version);
  PutLengthPrefixed(out, r.author);
  PutVarint64(out, r.incarnation);
  out->push_back(r.dropped ? 1 : 0);
  const NamespaceSettings& s = r.settings;
  PutVarint32(out, static_cast<uint32_t>(s.n));
  PutVarint32(out, static_cast<uint32_t>(s.w));
  PutVarint32(out, static_cast<uint32_t>(s.r));
  out->push_back(static_cast<char>(s.conflict));
  PutVarint64(out, s.default_ttl_s);
  PutVarint64(out, s.max_value_bytes);
  PutVarint64(out, s.tombstone_grace_s);
}

bool DecodeRecord(std::string_view* in, NamespaceRecord* r) {
  std::string_view name, author;
  uint32_t n = 0, w = 0, rr = 0;
  if (!GetLengthPrefixed(in, &name) || !GetVarint64(in, &r->version) || !GetLengthPrefixed(in, &author) ||
      !GetVarint64(in, &r->incarnation) || in->empty()) {
    return false;
  }
  r->name = std::string(name);
  r->author = std::string(author);
  r->dropped = (*in)[0] != 0;
  in->remove_prefix(1);
  if (!GetVarint32(in, &n) || !GetVarint32(in, &w) || !GetVarint32(in, &rr) || in->empty()) return false;
  uint8_t conflict = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  if (conflict > 1 || n > 1000 || w > 1000 || rr > 1000) return false;
  NamespaceSettings& s = r->settings;
  s.n = static_cast<int>(n);
  s.w = static_cast<int>(w);
  s.r = static_cast<int>(rr);
  s.conflict = static_cast<ConflictMode>(conflict);
  return GetVarint64(in, &s.default_ttl_s) && GetVarint64(in, &s.max_value_bytes) &&
         GetVarint64(in, &s.tombstone_grace_s);
}

}  // namespace

bool Supersedes(const NamespaceRecord& a, const NamespaceRecord& b) { return Order(a) > Order(b); }

NamespaceCatalog::NamespaceCatalog(NamespaceSettings default_settings) {
  NamespaceRecord def;
  def.name = std::string(kDefaultNamespace);
  def.settings = default_settings;
  records_.push_back(std::move(def));
}

NamespaceRecord* NamespaceCatalog::FindRecord(std::string_view name) {
  auto it = std::lower_bound(records_.begin(), records_.end(), name,
                             [](const NamespaceRecord& r, std::string_view n) { return r.name < n; });
  return it != records_.end() && it->name == name ? &*it : nullptr;
}

const NamespaceRecord* NamespaceCatalog::Find(std::string_view name) const {
  const NamespaceRecord* r = const_cast<NamespaceCatalog*>(this)->FindRecord(name);
  return r != nullptr && !r->dropped ? r : nullptr;
}

const NamespaceRecord* NamespaceCatalog::FindIncarnation(const ParsedStoredKey& key) const {
  const NamespaceRecord* r = Find(key.name);
  if (r == nullptr) return nullptr;
  return key.name == kDefaultNamespace || r->incarnation == key.incarnation ? r : nullptr;
}

namespace {
// The least incarnation of `r`'s name that is not dropped.
uint64_t FirstLiveIncarnation(const NamespaceRecord& r) { return r.dropped ? r.incarnation + 1 : r.incarnation; }
}  // namespace

bool NamespaceCatalog::IsDropped(const ParsedStoredKey& key) const {
  if (key.name == kDefaultNamespace) return false;
  const NamespaceRecord* r = const_cast<NamespaceCatalog*>(this)->FindRecord(key.name);
  return r != nullptr && key.incarnation < FirstLiveIncarnation(*r);
}

bool NamespaceCatalog::IsDroppedKey(std::string_view stored_key) const {
  auto parsed = ParseStoredKey(stored_key);
  return parsed.ok() && IsDropped(*parsed);
}

std::vector<DroppedRange> NamespaceCatalog::DroppedRanges() const {
  std::vector<DroppedRange> ranges;
  for (const NamespaceRecord& r : records_) {
    uint64_t first_live = FirstLiveIncarnation(r);
    if (r.name == kDefaultNamespace || first_live == 0) continue;
    ranges.push_back({r.name, StoredKeyPrefix(r.name, 0), StoredKeyPrefix(r.name, first_live)});
  }
  return ranges;
}

std::vector<NamespaceRecord> NamespaceCatalog::Live() const {
  std::vector<NamespaceRecord> live;
  for (const NamespaceRecord& r : records_) {
    if (!r.dropped) live.push_back(r);
  }
  return live;
}

uint64_t NamespaceCatalog::NextVersion(std::string_view name, uint64_t now_ms) {
  uint64_t floor = max_version_ + 1;
  if (const NamespaceRecord* r = FindRecord(name)) floor = std::max(floor, r->version + 1);
  return std::max(floor, now_ms);
}

Result<NamespaceRecord> NamespaceCatalog::Apply(NamespaceRecord record) {
  Merge(std::span<const NamespaceRecord>(&record, 1));
  return record;
}

Result<NamespaceRecord> NamespaceCatalog::Create(std::string_view name, const NamespaceSettings& settings,
                                                 std::string_view author, uint64_t now_ms) {
  if (Status s = ValidateNamespaceName(name); !s.ok()) return s;
  if (Status s = ValidateSettings(settings); !s.ok()) return s;
  if (Find(name) != nullptr) return Status::InvalidArgument("namespace '" + std::string(name) + "' already exists");
  NamespaceRecord record;
  record.name = std::string(name);
  record.settings = settings;
  record.version = NextVersion(name, now_ms);
  record.author = std::string(author);
  record.incarnation = record.version;
  return Apply(std::move(record));
}

Result<NamespaceRecord> NamespaceCatalog::Alter(std::string_view name, const NamespaceSettings& settings,
                                                std::string_view author, uint64_t now_ms) {
  const NamespaceRecord* current = Find(name);
  if (current == nullptr) return Status::NotFound("namespace '" + std::string(name) + "' does not exist");
  if (Status s = ValidateSettings(settings); !s.ok()) return s;
  if (settings.n != current->settings.n) {
    return Status::InvalidArgument("n of namespace '" + std::string(name) + "' is " +
                                   std::to_string(current->settings.n) +
                                   " and cannot change; create a new namespace and copy the data");
  }
  NamespaceRecord record = *current;
  record.settings = settings;
  record.version = NextVersion(name, now_ms);
  record.author = std::string(author);
  return Apply(std::move(record));
}

Result<NamespaceRecord> NamespaceCatalog::Drop(std::string_view name, std::string_view author, uint64_t now_ms) {
  if (name == kDefaultNamespace) return Status::InvalidArgument("the default namespace cannot be dropped");
  const NamespaceRecord* current = Find(name);
  if (current == nullptr) return Status::NotFound("namespace '" + std::string(name) + "' does not exist");
  NamespaceRecord record = *current;
  record.dropped = true;
  record.version = NextVersion(name, now_ms);
  record.author = std::string(author);
  return Apply(std::move(record));
}

bool NamespaceCatalog::Merge(std::span<const NamespaceRecord> records) {
  bool changed = false;
  for (const NamespaceRecord& in : records) {
    if (!ValidateNamespaceName(in.name).ok() || !ValidateSettings(in.settings).ok()) continue;
    if (in.name == kDefaultNamespace && in.dropped) continue;
    max_version_ = std::max(max_version_, in.version);
    NamespaceRecord* mine = FindRecord(in.name);
    if (mine == nullptr) {
      records_.insert(std::upper_bound(records_.begin(), records_.end(), in, ByName), in);
      changed = true;
    } else if (Supersedes(in, *mine)) {
      *mine = in;
      changed = true;
    }
  }
  return changed;
}

uint64_t NamespaceCatalog::Digest() const {
  std::string bytes;
  for (const NamespaceRecord& r : records_) EncodeRecord(r, &bytes);
  return Hash64(bytes);
}

std::string NamespaceCatalog::Encode() const {
  std::string out;
  out.push_back(kFormat);
  out.push_back(static_cast<char>(kFormatVersion));
  PutVarint32(&out, static_cast<uint32_t>(records_.size()));
  for (const NamespaceRecord& r : records_) EncodeRecord(r, &out);
  PutFixed64(&out, Hash64(out));
  return out;
}

Result<NamespaceCatalog> NamespaceCatalog::Decode(std::string_view bytes) {
  if (bytes.size() < 2 + 1 + 8 || bytes[0] != kFormat) return Status::Corruption("not a namespace catalog");
  if (static_cast<uint8_t>(bytes[1]) != kFormatVersion) {
    return Status::NotSupported("namespace catalog format " + std::to_string(static_cast<uint8_t>(bytes[1])) +
                                " is newer than this build reads");
  }
  std::string_view body = bytes.substr(0, bytes.size() - 8);
  std::string_view tail = bytes.substr(bytes.size() - 8);
  uint64_t checksum = 0;
  if (!GetFixed64(&tail, &checksum) || checksum != Hash64(body)) {
    return Status::Corruption("namespace catalog checksum mismatch");
  }
  std::string_view in = body.substr(2);
  uint32_t count = 0;
  if (!GetVarint32(&in, &count)) return Status::Corruption("namespace catalog is truncated");
  std::vector<NamespaceRecord> records;
  for (uint32_t i = 0; i < count; ++i) {
    NamespaceRecord r;
    if (!DecodeRecord(&in, &r))
      return Status::Corruption("namespace catalog record " + std::to_string(i) + " is damaged");
    records.push_back(std::move(r));
  }
  if (!in.empty()) return Status::Corruption("namespace catalog has trailing bytes");
  NamespaceCatalog catalog;
  for (const NamespaceRecord& r : records) {
    // The file's default record is this catalog's own, whatever its version.
    if (r.name == kDefaultNamespace && !r.dropped && ValidateSettings(r.settings).ok()) catalog.records_[0] = r;
  }
  catalog.Merge(records);
  return catalog;
}

}  // namespace ringkv
