#pragma once
// ScanCursor: where a paged scan stands, as the opaque string ScanPage::cursor carries.
//
// A cursor names a *key*, not a token range or a node: the last user key the previous
// page covered (returned or skipped as deleted). The next page reads the keys after it
// from whatever ring the client has then, so a cursor survives node failures and ring
// changes. It also names the scan it belongs to — the namespace, the namespace's
// incarnation and the prefix (by hash) — so that a cursor used with another namespace,
// another prefix, or after the namespace was dropped and re-created is refused with a
// clear error instead of silently reading the wrong keys.
//
// Encoding: base64url (no padding) of
//   [format version: 1 byte = 1][namespace: varint length + bytes][incarnation: fixed64]
//   [prefix hash: fixed64][after key: varint length + bytes][checksum: fixed32 of all before]
// Pure: no I/O.

#include <cstdint>
#include <string>
#include <string_view>

#include "ringkv/status.h"

namespace ringkv::sdk {

struct ScanCursor {
  std::string ns;
  uint64_t incarnation = 0;
  uint64_t prefix_hash = 0;  // ScanPrefixHash(prefix)
  std::string after_key;     // the last user key covered; never empty in an encoded cursor
  bool operator==(const ScanCursor&) const = default;
};

uint64_t ScanPrefixHash(std::string_view prefix);

std::string EncodeScanCursor(const ScanCursor& cursor);
// InvalidArgument for anything that is not a cursor this code wrote (bad base64, wrong
// format version, truncated, trailing bytes, checksum mismatch).
Result<ScanCursor> DecodeScanCursor(std::string_view text);
// InvalidArgument unless `cursor` was made by a scan of namespace `ns` (incarnation
// `incarnation`) with `prefix`; the message says which of them differs.
Status CheckScanCursor(const ScanCursor& cursor, std::string_view ns, uint64_t incarnation, std::string_view prefix);

}  // namespace ringkv::sdk
