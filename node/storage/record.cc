#include "node/storage/record.h"

#include "common/coding.h"

namespace ringkv::storage {
namespace {
constexpr uint8_t kFlagTombstone = 0x01;
constexpr uint8_t kFlagBlob = 0x02;
constexpr uint8_t kKnownFlags = kFlagTombstone | kFlagBlob;

// Parses [flags][timestamp][clock]; `in` is left at the value.
bool ParseHeader(std::string_view* in, uint8_t* flags, uint64_t* timestamp_ms, std::string_view* clock) {
  if (in->empty()) return false;
  *flags = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  return GetVarint64(in, timestamp_ms) && GetLengthPrefixed(in, clock);
}

bool DecodeBlobRef(std::string_view in, BlobRef* ref) {
  return GetVarint64(&in, &ref->file_number) && GetVarint64(&in, &ref->offset) && GetVarint64(&in, &ref->size) &&
         GetFixed32(&in, &ref->checksum) && in.empty();
}

}  // namespace

void EncodeRecord(const Record& r, std::string* out) {
  out->push_back(static_cast<char>(r.tombstone ? kFlagTombstone : 0));
  PutVarint64(out, r.timestamp_ms);
  PutLengthPrefixed(out, r.clock);
  out->append(r.value);
}

Status DecodeRecord(std::string_view in, Record* out, std::optional<BlobRef>* blob) {
  if (in.empty()) return Status::Corruption("empty record");
  uint8_t flags = 0;
  std::string_view clock;
  if (!ParseHeader(&in, &flags, &out->timestamp_ms, &clock)) return Status::Corruption("truncated record header");
  if ((flags & ~kKnownFlags) != 0) return Status::Corruption("record has unknown flags");
  out->tombstone = (flags & kFlagTombstone) != 0;
  out->clock.assign(clock);
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
  uint8_t flags = 0;
  uint64_t ts = 0;
  std::string_view clock;
  if (!ParseHeader(&in, &flags, &ts, &clock)) return false;
  *header = encoded.substr(0, encoded.size() - in.size());
  *value = (flags & kFlagBlob) != 0 ? std::string_view() : in;
  return true;
}

bool PeekBlobRef(std::string_view encoded, BlobRef* ref) {
  uint8_t flags = 0;
  uint64_t ts = 0;
  std::string_view clock;
  if (!ParseHeader(&encoded, &flags, &ts, &clock) || (flags & kFlagBlob) == 0) return false;
  return DecodeBlobRef(encoded, ref);
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
