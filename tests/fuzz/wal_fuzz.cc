// Fuzz target: the WAL reader (framing, checksums, torn tails, salvage) and the write
// batches it hands back, on arbitrary file contents. Must never crash, hang or read out
// of bounds; damage comes back as a Status.

#include <cstdint>

#include "common/coding.h"
#include "node/storage/record.h"
#include "node/storage/wal.h"
#include "tests/fuzz/fuzz_util.h"

using namespace ringkv;
using namespace ringkv::storage;

namespace {

// A payload as the engine writes it: [first seq fixed64][count varint]([key][record])*.
Status DecodeBatch(std::string_view payload) {
  uint64_t seq = 0;
  uint32_t count = 0;
  if (!GetFixed64(&payload, &seq) || !GetVarint32(&payload, &count)) return Status::Corruption("header");
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key, encoded;
    if (!GetLengthPrefixed(&payload, &key) || !GetLengthPrefixed(&payload, &encoded))
      return Status::Corruption("entry");
    Record record;
    RINGKV_TRY(DecodeRecord(encoded, &record));
  }
  return Status::OK();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = fuzz::ScratchPath("wal");
  for (bool salvage : {false, true}) {
    fuzz::WriteFile(path, data, size);  // replay may truncate a torn tail in place
    WalReplayStats stats;
    (void)ReplayWal(path, salvage, DecodeBatch, &stats);
  }
  return 0;
}
