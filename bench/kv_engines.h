#pragma once
// The engines storage_bench compares, behind one small interface, configured alike.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ringkv::bench {

struct EngineReport {
  double write_amp = 0;         // bytes written to disk / logical bytes written
  double write_amp_no_wal = 0;  // the same, flushes and compactions only
  double space_amp = 0;         // bytes on disk / logical bytes
  uint64_t stalls = 0;
  double stall_ms_total = 0;
  double stall_ms_max = 0;
};

class KvEngine {
 public:
  virtual ~KvEngine() = default;
  virtual std::string Name() const = 0;
  virtual void Put(const std::string& key, std::string_view value) = 0;  // aborts on error
  virtual bool Get(const std::string& key, std::string* value) = 0;      // false: not found
  virtual void FinishWrites() {}
  // Flushes the memtable and waits for pending compactions, so reads see a settled tree.
  virtual void SettleForReads() = 0;
  virtual EngineReport Report(uint64_t logical_bytes) = 0;
};

bool RocksDbAvailable();
// "ringkv" or "rocksdb"; exits with a message if the engine cannot open.
std::unique_ptr<KvEngine> OpenEngine(const std::string& name, const std::string& dir, const std::string& compression);

}  // namespace ringkv::bench
