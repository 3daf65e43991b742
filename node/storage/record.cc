#include "node/storage/record.h"

#include "common/coding.h"

namespace ringkv::storage {
namespace {
constexpr uint8_t kFlagTombstone = 0x01;
constexpr uint8_t kKnownFlags = kFlagTombstone;
}  // namespace

void EncodeRecord(const Record& r, std::string* out) {
  out->push_back(static_cast<char>(r.tombstone ? kFlagTombstone : 0));
  PutVarint64(out, r.timestamp_ms);
  PutLengthPrefixed(out, r.clock);
  out->append(r.value);
}

Status DecodeRecord(std::string_view in, Record* out) {
  if (in.empty()) return Status::Corruption("empty record");
  auto flags = static_cast<uint8_t>(in[0]);
  if ((flags & ~kKnownFlags) != 0) return Status::Corruption("record has unknown flags");
  in.remove_prefix(1);
  std::string_view clock;
  if (!GetVarint64(&in, &out->timestamp_ms) || !GetLengthPrefixed(&in, &clock)) {
    return Status::Corruption("truncated record header");
  }
  out->tombstone = (flags & kFlagTombstone) != 0;
  out->clock.assign(clock);
  out->value.assign(in);
  return Status::OK();
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
