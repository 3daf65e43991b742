#include "sdk/scan_cursor.h"

#include <array>

#include "common/coding.h"
#include "common/hash.h"

namespace ringkv::sdk {
namespace {

constexpr uint8_t kFormatVersion = 1;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr uint64_t kChecksumSeed = 0x5c4e2c0ab5eedULL;

std::string Base64Url(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = byte(i) << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

Result<std::string> FromBase64Url(std::string_view text) {
  std::array<int, 256> value{};
  value.fill(-1);
  for (int k = 0; k < 64; ++k) value[static_cast<uint8_t>(kAlphabet[k])] = k;
  if (text.size() % 4 == 1) return Status::InvalidArgument("malformed scan cursor (bad length)");
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = value[static_cast<uint8_t>(c)];
    if (v < 0) return Status::InvalidArgument("malformed scan cursor (not a cursor a scan returned)");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace

uint64_t ScanPrefixHash(std::string_view prefix) { return Hash64(prefix, kChecksumSeed); }

std::string EncodeScanCursor(const ScanCursor& cursor) {
  std::string bytes;
  bytes.push_back(static_cast<char>(kFormatVersion));
  PutLengthPrefixed(&bytes, cursor.ns);
  PutFixed64(&bytes, cursor.incarnation);
  PutFixed64(&bytes, cursor.prefix_hash);
  PutLengthPrefixed(&bytes, cursor.after_key);
  PutFixed32(&bytes, static_cast<uint32_t>(Hash64(bytes, kChecksumSeed)));
  return Base64Url(bytes);
}

Result<ScanCursor> DecodeScanCursor(std::string_view text) {
  RINGKV_ASSIGN(std::string bytes, FromBase64Url(text));
  const Status malformed = Status::InvalidArgument("malformed scan cursor (truncated or damaged)");
  if (bytes.size() < 1 + 4) return malformed;
  std::string_view body(bytes.data(), bytes.size() - 4);
  std::string_view tail(bytes.data() + body.size(), 4);
  uint32_t checksum = 0;
  if (!GetFixed32(&tail, &checksum) || checksum != static_cast<uint32_t>(Hash64(body, kChecksumSeed))) {
    return Status::InvalidArgument("malformed scan cursor (checksum mismatch: damaged or not from a scan)");
  }
  if (static_cast<uint8_t>(body[0]) != kFormatVersion) {
    return Status::InvalidArgument("scan cursor of format version " + std::to_string(static_cast<uint8_t>(body[0])) +
                                   "; this client reads version " + std::to_string(kFormatVersion));
  }
  body.remove_prefix(1);
  ScanCursor cursor;
  std::string_view ns, key;
  if (!GetLengthPrefixed(&body, &ns) || !GetFixed64(&body, &cursor.incarnation) ||
      !GetFixed64(&body, &cursor.prefix_hash) || !GetLengthPrefixed(&body, &key) || !body.empty() || key.empty()) {
    return malformed;
  }
  cursor.ns = std::string(ns);
  cursor.after_key = std::string(key);
  return cursor;
}

Status CheckScanCursor(const ScanCursor& cursor, std::string_view ns, uint64_t incarnation, std::string_view prefix) {
  if (cursor.ns != ns) {
    return Status::InvalidArgument("the scan cursor belongs to a scan of namespace '" + cursor.ns + "', not '" +
                                   std::string(ns) + "'");
  }
  if (cursor.incarnation != incarnation) {
    return Status::InvalidArgument("the scan cursor is stale: namespace '" + std::string(ns) +
                                   "' was dropped and re-created since the scan began; start a new scan");
  }
  if (cursor.prefix_hash != ScanPrefixHash(prefix)) {
    return Status::InvalidArgument("the scan cursor belongs to a scan with another prefix");
  }
  return Status::OK();
}

}  // namespace ringkv::sdk
