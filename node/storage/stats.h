#pragma once
// Counters the storage engine keeps about itself; read by benchmarks, tests and (later)
// the node's /metrics endpoint. All fields are relaxed atomics: cheap to bump, safe to read.

#include <atomic>
#include <cstdint>

namespace ringkv::storage {

struct StorageStats {
  using Counter = std::atomic<uint64_t>;
  Counter user_bytes_written{0};  // keys + encoded records accepted by Write
  Counter wal_bytes_written{0};
  Counter wal_fsyncs{0};
  Counter flush_count{0};
  Counter flush_bytes_written{0};
  Counter compaction_count{0};
  Counter compaction_bytes_read{0};
  Counter compaction_bytes_written{0};
  Counter trivial_moves{0};  // leveled: tables moved down a level without a merge
  Counter tombstones_dropped{0};
  Counter values_expired{0};  // records whose values compaction dropped because all had expired (TTL)
  Counter bloom_checks{0};
  Counter bloom_skips{0};  // table reads avoided because the bloom filter said "absent"
  Counter block_cache_hits{0};
  Counter block_cache_misses{0};
  Counter write_stalls{0};
  Counter write_stall_micros{0};
  Counter max_write_stall_micros{0};
  Counter write_slowdowns{0};  // writes paced while level 0 neared the stop (slowdown_write_bytes_per_s)
  Counter write_slowdown_micros{0};
  Counter corrupt_wal_records_skipped{0};
  Counter write_errors{0};          // WAL writes and fsyncs that failed (full disk included)
  Counter flush_errors{0};          // flushes that failed for a reason other than a full disk (sticky)
  Counter blob_bytes_written{0};    // values written to blob files by flushes and compactions
  Counter blob_bytes_relocated{0};  // of which live values moved out of mostly-garbage files
  Counter blob_files_deleted{0};
  Counter blob_reads{0};

  static void AddMax(Counter& c, uint64_t v) {
    uint64_t cur = c.load(std::memory_order_relaxed);
    while (v > cur && !c.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
    }
  }
};

}  // namespace ringkv::storage
