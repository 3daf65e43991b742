// Fuzz target: opening an SSTable (footer, index, bloom filter, properties) and reading
// every block of it, on arbitrary file contents.

#include <cstdint>

#include "node/storage/block_cache.h"
#include "node/storage/sstable.h"
#include "tests/fuzz/fuzz_util.h"

using namespace ringkv;
using namespace ringkv::storage;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = fuzz::ScratchPath("sst");
  fuzz::WriteFile(path, data, size);
  auto table = SSTable::Open(path, 1, nullptr, nullptr);
  if (!table.ok()) return 0;
  auto it = (*table)->NewIterator();
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid() && n < 100000; it->Next(), ++n) {
    std::string_view user_key = ExtractUserKey(it->key());
    (void)(*table)->MayContain(user_key);
    (void)(*table)->Get(user_key, kMaxSequence);
    Record record;
    (void)DecodeRecord(it->value(), &record);
  }
  (void)(*table)->Get("absent-key", kMaxSequence);
  return 0;
}
