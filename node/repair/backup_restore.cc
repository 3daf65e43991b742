#include "node/repair/backup_restore.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <set>

#include "capnp/convert.h"
#include "capnp/request_header.h"
#include "common/namespace_catalog.h"
#include "node/repair/backups.h"
#include "node/replica/hint_store.h"
#include "node/replica/replica_store.h"
#include "node/storage/file.h"
#include "node/storage/manifest.h"

namespace ringkv {
namespace {

namespace fs = std::filesystem;

constexpr auto kCallLimit = std::chrono::seconds(30);
constexpr size_t kPageEntries = 256;
constexpr size_t kPageBytes = 4u << 20;

// `from`'s files in the new directory `to`: the tables and blob files, which no engine
// ever writes to again, as hard links (copies when `from` is on another filesystem); the
// rest (the MANIFEST) as copies. So the backup's files are never written to.
Status LinkOrCopyDir(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return Status::IOError("cannot create " + to + ": " + ec.message());
  for (const fs::directory_entry& e : fs::directory_iterator(from, ec)) {
    if (!e.is_regular_file()) continue;
    fs::path target = fs::path(to) / e.path().filename();
    uint64_t number = 0;
    storage::FileKind kind = storage::ParseFileName(e.path().filename().string(), &number);
    if (kind == storage::FileKind::kTable || kind == storage::FileKind::kBlob) {
      fs::create_hard_link(e.path(), target, ec);
    } else {
      ec = std::make_error_code(std::errc::operation_not_supported);
    }
    if (ec) {
      ec.clear();
      fs::copy_file(e.path(), target, ec);
    }
    if (ec) return Status::IOError("cannot copy " + e.path().string() + " to " + to + ": " + ec.message());
  }
  if (ec) return Status::IOError("cannot list " + from + ": " + ec.message());
  return Status::OK();
}

// For reading a part's copy: no tombstone is purged and nothing waits on compaction.
StorageOptions ReadCopyOptions() {
  StorageOptions o;
  o.max_value_bytes = 64u << 20;
  o.tombstone_grace = std::chrono::hours(24 * 365 * 100);
  o.level0_compaction_trigger = 1 << 20;
  o.stall_table_count = 1 << 20;
  return o;
}

}  // namespace

// Pages of (key, set) per replica address, sent with `replicate` when full.
class BackupRestore::Sender {
 public:
  Sender(BackgroundLoop::Context& ctx, std::shared_ptr<const RingView> view, std::string cluster)
      : ctx_(ctx), view_(std::move(view)), cluster_(std::move(cluster)) {}

  Status Add(std::string_view key, const SiblingSet& set) {
    std::set<std::string> sent_to;
    size_t bytes = key.size() + set.Encode().size();
    for (const auto& list : {view_->Replicas(key), view_->FutureReplicas(key)}) {
      for (const RingNode* n : list) {
        if (!sent_to.insert(n->id).second) continue;
        Page& page = outbox_[n->address];
        page.entries.emplace_back(std::string(key), set);
        page.bytes += bytes;
        if (page.entries.size() >= kPageEntries || page.bytes >= kPageBytes) RINGKV_TRY(Flush(n->address));
      }
    }
    return Status::OK();
  }

  Status FlushAll() {
    for (auto& [address, page] : outbox_) RINGKV_TRY(Flush(address));
    return Status::OK();
  }

  uint64_t sent() const { return sent_; }

 private:
  struct Page {
    std::vector<std::pair<std::string, SiblingSet>> entries;
    size_t bytes = 0;
  };

  Status Flush(const std::string& address) {
    Page& page = outbox_[address];
    if (page.entries.empty()) return Status::OK();
    auto req = ctx_.pool.Get(address).replicateRequest();
    wire::FillRequestHeader(req.initHeader(), cluster_);
    wire::ToWire(page.entries, req.initEntries(static_cast<unsigned>(page.entries.size())));
    auto reply = ctx_.Await(address, req.send(), kCallLimit, "restore: replicating to " + address);
    if (!reply.ok()) return reply.status();
    for (auto e : reply->getErrors()) RINGKV_TRY(wire::FromWire(e));
    sent_ += page.entries.size();
    page = Page{};
    return Status::OK();
  }

  BackgroundLoop::Context& ctx_;
  std::shared_ptr<const RingView> view_;
  const std::string cluster_;
  std::map<std::string, Page> outbox_;
  uint64_t sent_ = 0;
};

Status BackupRestore::MergeNamespaces(const std::string& dir) {
  std::string path = dir + "/NAMESPACES";
  if (!storage::FileExists(path)) return Status::OK();
  RINGKV_ASSIGN(std::string bytes, storage::ReadFileToString(path));
  auto catalog = NamespaceCatalog::Decode(bytes);
  if (!catalog.ok()) return Status::Corruption(path + ": " + catalog.status().message());
  namespaces_->Merge(catalog->Records());
  return namespaces_->FlushSaves();
}

Status BackupRestore::RestorePart(BackgroundLoop::Context& ctx, const std::string& dir, const std::string& scratch,
                                  RestoreReport* report) {
  RINGKV_TRY(LinkOrCopyDir(dir + "/engine", scratch + "/engine"));
  RINGKV_TRY(LinkOrCopyDir(dir + "/hints", scratch + "/hints"));
  Sender sender(ctx, membership_->View(), membership_->options().cluster_name);
  {
    RINGKV_ASSIGN(auto engine, storage::StorageEngine::Open(scratch + "/engine", ReadCopyOptions()));
    ReplicaStore store(engine.get(), "restore");
    Status failed;
    RINGKV_TRY(store.ForEach({}, [&](std::string_view key, const SiblingSet& set) {
      ++report->keys;
      failed = sender.Add(key, set);
      return failed.ok() && !ctx.stopping.load();
    }));
    RINGKV_TRY(failed);
    RINGKV_TRY(engine->Close());
  }
  {
    RINGKV_ASSIGN(auto hints, HintStore::Open(scratch + "/hints", "restore", ReadCopyOptions()));
    for (const auto& [target, count] : hints->Queued()) {
      std::string after;
      for (bool more = true; more && !ctx.stopping.load();) {
        RINGKV_ASSIGN(std::vector<Hint> page, hints->Scan(target, after, kPageEntries));
        for (const Hint& h : page) {
          ++report->hints;
          RINGKV_TRY(sender.Add(h.key, h.set));
        }
        more = page.size() == kPageEntries;
        if (!page.empty()) after = page.back().key;
      }
    }
    RINGKV_TRY(hints->Close());
  }
  RINGKV_TRY(sender.FlushAll());
  if (ctx.stopping.load()) return Status::Aborted("the node is stopping; run the restore again");
  report->sets_sent += sender.sent();
  return Status::OK();
}

Result<RestoreReport> BackupRestore::Run(BackgroundLoop::Context& ctx, const std::vector<std::string>& dirs) {
  std::vector<BackupManifest> parts;
  for (const std::string& dir : dirs) {
    auto part = ReadBackupPart(dir);
    if (!part.ok()) return Status::InvalidArgument(part.status().message());
    parts.push_back(std::move(part).value());
  }
  RINGKV_TRY(CheckBackupParts(parts));
  for (const std::string& dir : dirs) RINGKV_TRY(MergeNamespaces(dir));  // each part's copy, in case one lags
  RestoreReport report;
  std::error_code ec;
  fs::remove_all(scratch_root_, ec);
  for (size_t i = 0; i < dirs.size(); ++i) {
    std::string scratch = scratch_root_ + "/" + std::to_string(i);
    Status s = RestorePart(ctx, dirs[i], scratch, &report);
    fs::remove_all(scratch_root_, ec);
    if (!s.ok()) return s.Annotated("while restoring the part of " + parts[i].node_id + " (run the restore again)");
    ++report.parts;
    spdlog::info("restore: part of {} done ({} keys, {} hints read so far)", parts[i].node_id, report.keys,
                 report.hints);
  }
  return report;
}

}  // namespace ringkv
