#include <algorithm>
#include <chrono>

#include "common/coding.h"
#include "node/storage/engine.h"
#include "ringkv/limits.h"

namespace ringkv::storage {
namespace {

uint64_t WallClockMs() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace

Status WriteBatch::ValidateRecord(std::string_view key, const Record& record) {
  RINGKV_TRY(ValidateKey(key));
  if (record.clock.size() > kMaxClockBytes) {
    return Status::InvalidArgument("version metadata is " + std::to_string(record.clock.size()) +
                                   " bytes; the limit is " + std::to_string(kMaxClockBytes));
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
    stamped.timestamp_ms = WallClockMs();
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
