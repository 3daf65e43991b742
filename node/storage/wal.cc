// WAL framing, group commit and replay. See wal.h for the format and the guarantees.

#include "node/storage/wal.h"

#include <algorithm>
#include <cassert>
#include <optional>

#include "common/coding.h"
#include "common/hash.h"

namespace ringkv::storage {
namespace {

// Fragments larger than this are written by the background thread in one go.
constexpr size_t kWakeWriterBytes = 1u << 20;
// Appenders wait while this much is buffered (the writer thread is behind).
constexpr size_t kBackpressureBytes = 8u << 20;

uint32_t FragmentChecksum(WalFragmentType type, std::string_view data) {
  char t = static_cast<char>(type);
  return MaskChecksum(Checksum32(std::string_view(&t, 1), data));
}

}  // namespace

// ---- framing ----

void WalWriter::AddRecord(std::string_view payload, std::string* out) {
  bool first = true;
  do {
    size_t leftover = kWalBlockSize - block_offset_;
    if (leftover < kWalHeaderSize) {
      out->append(leftover, '\0');  // too small for a header: pad the block
      block_offset_ = 0;
      leftover = kWalBlockSize;
    }
    size_t avail = leftover - kWalHeaderSize;
    size_t n = std::min(avail, payload.size());
    bool last = n == payload.size();
    WalFragmentType type = first && last ? WalFragmentType::kFull
                           : first       ? WalFragmentType::kFirst
                           : last        ? WalFragmentType::kLast
                                         : WalFragmentType::kMiddle;
    char header[kWalHeaderSize];
    EncodeFixed32(header, FragmentChecksum(type, payload.substr(0, n)));
    header[4] = static_cast<char>(n & 0xff);
    header[5] = static_cast<char>(n >> 8);
    header[6] = static_cast<char>(type);
    out->append(header, kWalHeaderSize);
    out->append(payload.data(), n);
    block_offset_ += kWalHeaderSize + n;
    payload.remove_prefix(n);
    first = false;
  } while (!payload.empty());
}

// ---- replay ----

namespace {

// Walks a log held in memory, one physical fragment at a time.
class WalScanner {
 public:
  explicit WalScanner(std::string_view data) : data_(data) {}

  enum class Outcome { kFragment, kEnd, kBad };
  struct Fragment {
    WalFragmentType type;
    std::string_view data;
    uint64_t offset;  // of the header
  };

  // Reads the fragment at the current position. kBad leaves `error` describing it.
  Outcome Next(Fragment* f, std::string* error) {
    for (;;) {
      size_t block_left = kWalBlockSize - pos_ % kWalBlockSize;
      if (pos_ >= data_.size()) return Outcome::kEnd;
      if (block_left < kWalHeaderSize) {  // zero padding at a block's end
        pos_ += block_left;
        continue;
      }
      if (data_.size() - pos_ < kWalHeaderSize) {
        error->assign("truncated fragment header");
        return Outcome::kBad;
      }
      const char* h = data_.data() + pos_;
      size_t len = static_cast<unsigned char>(h[4]) | (static_cast<size_t>(static_cast<unsigned char>(h[5])) << 8);
      auto type = static_cast<WalFragmentType>(static_cast<unsigned char>(h[6]));
      if (type == WalFragmentType::kZero && len == 0 && DecodeFixed32(h) == 0) {
        // Zeroed space (a preallocated or partly written tail): skip the rest of the block.
        if (AllZeroFrom(pos_)) return Outcome::kEnd;
        error->assign("zeroed fragment header");
        return Outcome::kBad;
      }
      if (type < WalFragmentType::kFull || type > WalFragmentType::kLast) {
        error->assign("unknown fragment type " + std::to_string(static_cast<int>(type)));
        return Outcome::kBad;
      }
      if (kWalHeaderSize + len > block_left) {
        error->assign("fragment length " + std::to_string(len) + " crosses a block boundary");
        return Outcome::kBad;
      }
      if (pos_ + kWalHeaderSize + len > data_.size()) {
        error->assign("fragment extends past the end of the file");
        return Outcome::kBad;
      }
      std::string_view payload = data_.substr(pos_ + kWalHeaderSize, len);
      if (FragmentChecksum(type, payload) != DecodeFixed32(h)) {
        error->assign("checksum mismatch");
        return Outcome::kBad;
      }
      *f = Fragment{type, payload, pos_};
      pos_ += kWalHeaderSize + len;
      return Outcome::kFragment;
    }
  }

  uint64_t position() const { return pos_; }
  void SkipToNextBlock() { pos_ = (pos_ / kWalBlockSize + 1) * kWalBlockSize; }
  void Seek(uint64_t pos) { pos_ = pos; }
  size_t size() const { return data_.size(); }

 private:
  bool AllZeroFrom(uint64_t pos) const {
    return std::all_of(data_.begin() + static_cast<std::ptrdiff_t>(pos), data_.end(), [](char c) { return c == 0; });
  }
  std::string_view data_;
  uint64_t pos_ = 0;
};

// True if a complete, valid record starts exactly at `pos`.
bool CompleteRecordAt(std::string_view data, uint64_t pos) {
  WalScanner scan(data);
  scan.Seek(pos);
  WalScanner::Fragment f;
  std::string error;
  if (scan.Next(&f, &error) != WalScanner::Outcome::kFragment || f.offset != pos) return false;
  if (f.type == WalFragmentType::kFull) return true;
  if (f.type != WalFragmentType::kFirst) return false;
  while (scan.Next(&f, &error) == WalScanner::Outcome::kFragment) {
    if (f.type == WalFragmentType::kLast) return true;
    if (f.type != WalFragmentType::kMiddle) return false;
  }
  return false;
}

// Where the first complete record after damage at `bad_offset` starts, if any: every byte
// of the damaged block is tried (a corrupt length hides where the next fragment is), then
// the fragments of each later block in order.
std::optional<uint64_t> FindResyncPoint(std::string_view data, uint64_t bad_offset) {
  uint64_t block_end = std::min<uint64_t>((bad_offset / kWalBlockSize + 1) * kWalBlockSize, data.size());
  for (uint64_t pos = bad_offset + 1; pos + kWalHeaderSize <= block_end; ++pos) {
    if (CompleteRecordAt(data, pos)) return pos;
  }
  WalScanner scan(data);
  for (uint64_t block = block_end; block < data.size(); block += kWalBlockSize) {
    scan.Seek(block);
    WalScanner::Fragment f;
    std::string error;
    while (scan.Next(&f, &error) == WalScanner::Outcome::kFragment && f.offset < block + kWalBlockSize) {
      bool starts = f.type == WalFragmentType::kFull || f.type == WalFragmentType::kFirst;
      if (starts && CompleteRecordAt(data, f.offset)) return f.offset;
    }
  }
  return std::nullopt;
}

}  // namespace

Status ReplayWal(const std::string& path, bool salvage, const std::function<Status(std::string_view)>& apply,
                 WalReplayStats* stats) {
  RINGKV_ASSIGN(std::string data, ReadFileToString(path));
  WalScanner scan(data);
  std::string assembled;
  bool in_record = false;
  uint64_t record_start = 0;

  for (;;) {
    WalScanner::Fragment f{};
    std::string error;
    auto outcome = scan.Next(&f, &error);
    uint64_t bad_offset = scan.position();
    if (outcome == WalScanner::Outcome::kEnd) {
      if (!in_record) break;
      error = "record not completed before the end of the file";
    } else if (outcome == WalScanner::Outcome::kFragment) {
      bool starts = f.type == WalFragmentType::kFull || f.type == WalFragmentType::kFirst;
      if (starts == in_record) {
        error = in_record ? "record interrupted by a new one" : "continuation fragment without a first fragment";
        bad_offset = f.offset;
      } else {
        if (starts) {
          assembled.clear();
          record_start = f.offset;
        }
        assembled.append(f.data);
        in_record = f.type == WalFragmentType::kFirst || f.type == WalFragmentType::kMiddle;
        if (!in_record) {
          RINGKV_TRY(apply(assembled));
          ++stats->records;
          stats->valid_bytes = scan.position();
        }
        continue;
      }
    }
    // Damage. Valid records after it mean real corruption; none means a torn tail.
    if (in_record) bad_offset = record_start;
    std::optional<uint64_t> resync = FindResyncPoint(data, bad_offset);
    if (!resync) {
      RINGKV_TRY(TruncateFile(path, stats->valid_bytes));
      stats->truncated_torn_tail = stats->valid_bytes < data.size();
      return Status::OK();
    }
    if (!salvage) {
      return Status::Corruption("wal " + path + " at offset " + std::to_string(bad_offset) + ": " + error +
                                "; valid records follow at offset " + std::to_string(*resync) +
                                " (open with salvage_wal to skip the damaged records)");
    }
    ++stats->corrupt_regions_skipped;
    in_record = false;
    scan.Seek(*resync);
  }
  stats->valid_bytes = data.size();
  return Status::OK();
}

// ---- group commit ----

Result<std::unique_ptr<Wal>> Wal::Create(const std::string& path, const StorageOptions& options, StorageStats* stats) {
  RINGKV_ASSIGN(auto file, WritableFile::Create(path));
  return std::unique_ptr<Wal>(new Wal(path, std::move(file), 0, options, stats));
}

Result<std::unique_ptr<Wal>> Wal::Reopen(const std::string& path, uint64_t good_bytes, std::string unwritten,
                                         const StorageOptions& options, StorageStats* stats) {
  RINGKV_TRY(TruncateFile(path, good_bytes));  // a failed write may have left part of a record
  RINGKV_ASSIGN(auto file, WritableFile::Create(path, /*truncate=*/false));
  std::unique_ptr<Wal> wal(new Wal(path, std::move(file), good_bytes, options, stats));
  MutexLock lock(&wal->mu_);
  // The carried payloads were framed to start at `good_bytes`: they still fit there.
  wal->framer_ = WalWriter(good_bytes + unwritten.size());
  wal->appended_ = unwritten.size();
  wal->pending_ = std::move(unwritten);
  wal->confirm_writes_ = true;
  wal->UpdateBacklog();
  return wal;
}

Wal::Wal(std::string path, std::unique_ptr<WritableFile> file, uint64_t file_bytes, const StorageOptions& options,
         StorageStats* stats)
    : path_(std::move(path)),
      file_(std::move(file)),
      durability_(options.durability),
      sync_interval_(options.wal_sync_interval),
      stats_(stats),
      framer_(file_bytes),
      base_bytes_(file_bytes) {
  thread_ = std::thread([this] { BackgroundLoop(); });
  if (durability_ == Durability::kBatch) sync_thread_ = std::thread([this] { SyncLoop(); });
}

Wal::~Wal() { (void)Close(); }

Result<uint64_t> Wal::Append(std::string_view payload, bool* durable_now) {
  MutexLock lock(&mu_);
  if (closing_) return Status::Aborted("wal " + path_ + " is closed");
  if (!bg_error_.ok()) return bg_error_;
  size_t before = pending_.size();
  framer_.AddRecord(payload, &pending_);
  appended_ += pending_.size() - before;
  if (stats_ != nullptr) stats_->wal_bytes_written.fetch_add(pending_.size() - before, std::memory_order_relaxed);
  if (pending_.size() >= kWakeWriterBytes) work_cv_.Signal();
  UpdateBacklog();
  if (durable_now != nullptr) *durable_now = durability_ == Durability::kNone && !confirm_writes_;
  return appended_;
}

void Wal::UpdateBacklog() {
  backlogged_.store(bg_error_.ok() && !closing_ && pending_.size() >= kBackpressureBytes, std::memory_order_relaxed);
}

void Wal::WaitForRoom() {
  MutexLock lock(&mu_);
  while (pending_.size() >= kBackpressureBytes && bg_error_.ok() && !closing_) durable_cv_.Wait(&mu_);
}

bool Wal::WritesWouldWait() {
  MutexLock lock(&mu_);
  return durability_ != Durability::kNone || confirm_writes_ || Backlogged();
}

bool Wal::OutOfSpace() {
  MutexLock lock(&mu_);
  return out_of_space_;
}

uint64_t Wal::GoodBytes() {
  MutexLock lock(&mu_);
  // kAlways acknowledges a payload only once synced: one written but not synced failed.
  return base_bytes_ + (durability_ == Durability::kAlways ? synced_ : written_);
}

std::string Wal::UnwrittenAcknowledged() {
  MutexLock lock(&mu_);
  return durability_ == Durability::kNone ? pending_ : std::string();
}

Status Wal::error() {
  MutexLock lock(&mu_);
  return bg_error_;
}

Status Wal::WaitDurable(uint64_t ticket) {
  MutexLock lock(&mu_);
  if (durability_ == Durability::kAlways) {
    sync_requested_ = std::max(sync_requested_, ticket);
    work_cv_.Signal();
    while (synced_ < ticket && bg_error_.ok()) durable_cv_.Wait(&mu_);
    return synced_ >= ticket ? Status::OK() : bg_error_;  // a later payload's failure is not this one's
  }
  if (durability_ == Durability::kBatch || confirm_writes_) {
    // The writer writes the buffer out itself when no other thread is writing: one write(2)
    // for every payload buffered so far (group write), without a hand-off to the WAL thread.
    // Otherwise it waits for that write, and writes what is left after it. While closing,
    // the WAL thread writes everything.
    while (written_ < ticket && bg_error_.ok()) {
      if (!io_in_progress_ && !closing_)
        WriteOut(/*sync=*/false);
      else
        durable_cv_.Wait(&mu_);
    }
  }
  return written_ >= ticket ? Status::OK() : bg_error_;
}

Status Wal::Sync() {
  MutexLock lock(&mu_);
  uint64_t target = appended_;
  sync_requested_ = std::max(sync_requested_, target);
  work_cv_.Signal();
  while (synced_ < target && bg_error_.ok() && !thread_done_) durable_cv_.Wait(&mu_);
  if (synced_ < target && bg_error_.ok()) return Status::Aborted("wal " + path_ + " closed before syncing");
  return bg_error_;
}

void Wal::WriteOut(bool sync) {
  assert(!io_in_progress_);
  std::string batch;
  batch.swap(pending_);
  uint64_t upto = appended_;
  io_in_progress_ = true;
  UpdateBacklog();
  mu_.Unlock();  // only the thread that set io_in_progress_ touches file_; appenders fill a fresh pending_
  Status s = batch.empty() ? Status::OK() : file_->Append(batch);
  if (s.ok()) s = file_->Flush();
  bool write_failed = !s.ok();
  if (s.ok() && sync) s = file_->Sync();
  mu_.Lock();
  io_in_progress_ = false;
  if (!s.ok()) {
    if (write_failed) batch.append(pending_), pending_.swap(batch);  // unwritten again, in order
    if (bg_error_.ok()) {
      bg_error_ = s;
      out_of_space_ = write_failed && IsDiskFull(s);
    }
    UpdateBacklog();
  } else {
    written_ = upto;
    confirm_writes_ = false;
    if (sync) {
      synced_ = std::max(synced_, upto);  // the sync thread may have synced a part meanwhile
      if (stats_ != nullptr) stats_->wal_fsyncs.fetch_add(1, std::memory_order_relaxed);
    }
  }
  durable_cv_.SignalAll();
  if (wal_thread_waits_for_io_) work_cv_.Signal();  // only then: not a wake-up per write
}

bool Wal::HasWork() const {
  // After a failure there is nothing to do but wait for Close.
  return closing_ || (bg_error_.ok() && (sync_requested_ > synced_ || pending_.size() >= kWakeWriterBytes));
}

void Wal::BackgroundLoop() {
  MutexLock lock(&mu_);
  auto next_sync = std::chrono::steady_clock::now() + sync_interval_;
  for (;;) {
    // Until there is work or the sync timer runs out, and no writer thread is writing.
    bool timed_out = false;
    while (!timed_out && (io_in_progress_ || !HasWork())) {
      if (io_in_progress_) {
        wal_thread_waits_for_io_ = true;
        work_cv_.Wait(&mu_);
        wal_thread_waits_for_io_ = false;
      } else {
        timed_out = !work_cv_.WaitUntil(&mu_, next_sync);
      }
    }
    if (io_in_progress_) continue;  // a writer began writing as the timer ran out: after it
    // kNone's buffer is written out every interval; kAlways syncs what its writers wait
    // for; kBatch's periodic fsync is the sync thread's.
    bool sync_due = std::chrono::steady_clock::now() >= next_sync;
    bool must_sync = sync_requested_ > synced_ || closing_;
    if (bg_error_.ok() && (!pending_.empty() || must_sync)) WriteOut(must_sync);
    if (sync_due) next_sync = std::chrono::steady_clock::now() + sync_interval_;
    if (closing_ && (pending_.empty() || !bg_error_.ok())) break;
  }
  thread_done_ = true;
  durable_cv_.SignalAll();
}

void Wal::SyncLoop() {
  MutexLock lock(&mu_);
  while (!closing_ && bg_error_.ok()) {
    auto next_sync = std::chrono::steady_clock::now() + sync_interval_;
    while (!closing_ && sync_cv_.WaitUntil(&mu_, next_sync)) {
    }
    if (closing_ || !bg_error_.ok() || synced_ >= written_) continue;
    uint64_t target = written_;
    mu_.Unlock();  // the writer thread goes on writing while the disk syncs
    Status s = file_->SyncWritten();
    mu_.Lock();
    if (!s.ok()) {
      if (bg_error_.ok()) bg_error_ = s;
      UpdateBacklog();
    } else {
      synced_ = std::max(synced_, target);
      if (stats_ != nullptr) stats_->wal_fsyncs.fetch_add(1, std::memory_order_relaxed);
    }
    durable_cv_.SignalAll();
  }
}

Status Wal::Close() {
  {
    MutexLock lock(&mu_);
    if (closed_) return bg_error_;
    closing_ = true;
    UpdateBacklog();
  }
  work_cv_.Signal();
  sync_cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
  if (sync_thread_.joinable()) sync_thread_.join();
  MutexLock lock(&mu_);
  while (io_in_progress_) durable_cv_.Wait(&mu_);  // a writer thread's last write
  if (durability_ == Durability::kBatch && synced_ < written_) {
    // The WAL thread syncs at close only without an error. After one (a full disk: the log
    // is continued by a Reopen) what was acknowledged is on the OS: make it durable too.
    if (file_->SyncWritten().ok()) synced_ = written_;
  }
  closed_ = true;
  Status s = file_->Close();
  if (bg_error_.ok() && !s.ok()) bg_error_ = s;
  return bg_error_;
}

}  // namespace ringkv::storage
