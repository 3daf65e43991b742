#include <algorithm>

#include "common/coding.h"
#include "node/storage/engine.h"
#include "ringkv/limits.h"

namespace ringkv::storage {

Status WriteBatch::ValidateRecord(std::string_view key, const Record& record) {
  RINGKV_TRY(ValidateKey(key));
  if (record.clock.size() > kMaxClockBytes) {
    return Status::InvalidArgument("version metadata is " + std::to_string(record.clock.size()) +
                                   " bytes; the limit is " + std::to_string(kMaxClockBytes));
  }
  if (record.expired_value.size() > kMaxClockBytes) {
    return Status::InvalidArgument("expired form of the value is " + std::to_string(record.expired_value.size()) +
                                   " bytes; the limit is " + std::to_string(kMaxClockBytes));
  }
  if (record.expires_at_ms == 0 && !record.expired_value.empty()) {
    return Status::InvalidArgument("an expired form without an expiry");
  }
  max_value_bytes_ = std::max(max_value_bytes_, record.value.size());
  return Status::OK();
}

void WriteBatch::Put(std::string_view key, const Record& record) {
  Status s = ValidateRecord(key, record);
  if (!s.ok()) {
    if (validation_.ok()) validation_ = std::move(s);
    return;
  }
  PutLengthPrefixed(&rep_, key);
  std::string encoded;
  if (record.tombstone && record.timestamp_ms == 0) {
    Record stamped = record;  // a tombstone must age from its write, or it is never reaped
    stamped.timestamp_ms = clock_->WallMs();
    EncodeRecord(stamped, &encoded);
  } else {
    EncodeRecord(record, &encoded);
  }
  PutLengthPrefixed(&rep_, encoded);
  ++count_;
}

void WriteBatch::Clear() {
  rep_.clear();
  count_ = 0;
  validation_ = Status::OK();
}

}  // namespace ringkv::storage
