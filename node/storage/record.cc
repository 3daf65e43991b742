#include "node/storage/record.h"

#include <algorithm>

#include "common/coding.h"

namespace ringkv::storage {
namespace {
constexpr uint8_t kFlagTombstone = 0x01;
constexpr uint8_t kFlagBlob = 0x02;
constexpr uint8_t kFlagExpires = 0x04;
constexpr uint8_t kKnownFlags = kFlagTombstone | kFlagBlob | kFlagExpires;

struct Header {
  uint8_t flags = 0;
  uint64_t timestamp_ms = 0;
  uint64_t expires_at_ms = 0;
  std::string_view expired_value;
  std::string_view clock;
};

// Parses [flags][timestamp][expiry, expired value][clock]; `in` is left at the value.
bool ParseHeader(std::string_view* in, Header* h) {
  if (in->empty()) return false;
  h->flags = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  if (!GetVarint64(in, &h->timestamp_ms)) return false;
  if ((h->flags & kFlagExpires) != 0 &&
      (!GetVarint64(in, &h->expires_at_ms) || h->expires_at_ms == 0 || !GetLengthPrefixed(in, &h->expired_value))) {
    return false;
  }
  return GetLengthPrefixed(in, &h->clock);
}

bool DecodeBlobRef(std::string_view in, BlobRef* ref) {
  return GetVarint64(&in, &ref->file_number) && GetVarint64(&in, &ref->offset) && GetVarint64(&in, &ref->size) &&
         GetFixed32(&in, &ref->checksum) && in.empty();
}

}  // namespace

void EncodeRecord(const Record& r, std::string* out) {
  bool expires = r.expires_at_ms != 0;
  out->push_back(static_cast<char>((r.tombstone ? kFlagTombstone : 0) | (expires ? kFlagExpires : 0)));
  PutVarint64(out, r.timestamp_ms);
  if (expires) {
    PutVarint64(out, r.expires_at_ms);
    PutLengthPrefixed(out, r.expired_value);
  }
  PutLengthPrefixed(out, r.clock);
  out->append(r.value);
}

Status DecodeRecord(std::string_view in, Record* out, std::optional<BlobRef>* blob) {
  if (in.empty()) return Status::Corruption("empty record");
  Header h;
  if (!ParseHeader(&in, &h)) return Status::Corruption("truncated record header");
  uint8_t flags = h.flags;
  if ((flags & ~kKnownFlags) != 0) return Status::Corruption("record has unknown flags");
  out->timestamp_ms = h.timestamp_ms;
  out->tombstone = (flags & kFlagTombstone) != 0;
  out->expires_at_ms = h.expires_at_ms;
  out->expired_value.assign(h.expired_value);
  out->clock.assign(h.clock);
  if ((flags & kFlagBlob) == 0) {
    out->value.assign(in);
    if (blob != nullptr) blob->reset();
    return Status::OK();
  }
  BlobRef ref;
  if (!DecodeBlobRef(in, &ref)) return Status::Corruption("malformed blob reference");
  if (blob == nullptr) return Status::Corruption("record refers to a blob file the reader cannot read");
  out->value.clear();
  *blob = ref;
  return Status::OK();
}

bool SplitRecord(std::string_view encoded, std::string_view* header, std::string_view* value) {
  std::string_view in = encoded;
  Header h;
  if (!ParseHeader(&in, &h)) return false;
  *header = encoded.substr(0, encoded.size() - in.size());
  *value = (h.flags & kFlagBlob) != 0 ? std::string_view() : in;
  return true;
}

bool PeekBlobRef(std::string_view encoded, BlobRef* ref) {
  Header h;
  if (!ParseHeader(&encoded, &h) || (h.flags & kFlagBlob) == 0) return false;
  return DecodeBlobRef(encoded, ref);
}

uint64_t PeekExpiry(std::string_view encoded) {
  Header h;
  return ParseHeader(&encoded, &h) ? h.expires_at_ms : 0;
}

bool ExpireRecord(std::string_view encoded, uint64_t now_ms, std::string* out) {
  Header h;
  if (!ParseHeader(&encoded, &h) || h.expires_at_ms == 0 || now_ms < h.expires_at_ms) return false;
  out->clear();
  out->push_back(static_cast<char>(kFlagTombstone));
  PutVarint64(out, std::max(h.timestamp_ms, h.expires_at_ms));  // deleted at its expiry
  PutLengthPrefixed(out, h.clock);
  out->append(h.expired_value);
  return true;
}

void EncodeBlobRecord(std::string_view header, const BlobRef& ref, std::string* out) {
  out->append(header);
  (*out)[out->size() - header.size()] |= static_cast<char>(kFlagBlob);
  PutVarint64(out, ref.file_number);
  PutVarint64(out, ref.offset);
  PutVarint64(out, ref.size);
  PutFixed32(out, ref.checksum);
}

bool PeekTombstone(std::string_view encoded, bool* tombstone, uint64_t* timestamp_ms) {
  if (encoded.empty()) return false;
  *tombstone = (static_cast<uint8_t>(encoded[0]) & kFlagTombstone) != 0;
  encoded.remove_prefix(1);
  return GetVarint64(&encoded, timestamp_ms);
}

void EncodeSequenceTrailer(char* dst, SequenceNumber seq) {
  uint64_t inv = ~seq;
  for (int i = 7; i >= 0; --i) {
    dst[i] = static_cast<char>(inv & 0xff);
    inv >>= 8;
  }
}

void AppendInternalKey(std::string* out, std::string_view user_key, SequenceNumber seq) {
  out->append(user_key);
  char buf[kInternalKeyTrailer];
  EncodeSequenceTrailer(buf, seq);
  out->append(buf, kInternalKeyTrailer);
}

std::string MakeInternalKey(std::string_view user_key, SequenceNumber seq) {
  std::string k;
  k.reserve(user_key.size() + kInternalKeyTrailer);
  AppendInternalKey(&k, user_key, seq);
  return k;
}

SequenceNumber ExtractSequence(std::string_view ikey) {
  const auto* p = reinterpret_cast<const unsigned char*>(ikey.data() + ikey.size() - kInternalKeyTrailer);
  uint64_t inv = 0;
  for (int i = 0; i < 8; ++i) inv = (inv << 8) | p[i];
  return ~inv;
}

int CompareInternalKeys(std::string_view a, std::string_view b) {
  int c = ExtractUserKey(a).compare(ExtractUserKey(b));
  if (c != 0) return c;
  // Trailers hold ~seq big-endian: bytewise ascending == sequence descending.
  return a.substr(a.size() - kInternalKeyTrailer).compare(b.substr(b.size() - kInternalKeyTrailer));
}

}  // namespace ringkv::storage
