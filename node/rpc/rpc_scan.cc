// NodeServer's scan calls: one page of a namespace's stored keys, and a count of its live
// keys. Both read the engine through an iterator, so both run on the worker pool.

#include <algorithm>

#include "common/namespace.h"
#include "common/scan_range.h"
#include "node/replica/replica_scan.h"
#include "node/rpc/rpc_server.h"

namespace ringkv {
namespace {

constexpr uint32_t kMaxScanEntries = 10'000;
constexpr size_t kMinScanBytes = 64u << 10;
constexpr size_t kMaxScanBytes = 16u << 20;

}  // namespace

Result<std::vector<StoredKeyRange>> NodeServer::ScanRangesFor(wire::ScanRange::Reader range) const {
  std::string name = wire::ToText(range.getNamespace());
  uint64_t incarnation = range.getIncarnation();
  if (name != kDefaultNamespace) {
    RINGKV_TRY(ValidateNamespaceName(name));
    // A namespace (or incarnation) gossip has not brought here yet is read as asked: the
    // client knows it. An incarnation this node knows dropped, or re-created since, is
    // refused. (Incarnations are catalog versions: a later creation has a larger one.)
    for (const NamespaceRecord& record : s_.namespaces->Records()) {
      if (record.name != name) continue;
      if (record.dropped && incarnation <= record.version) {
        return Status::InvalidArgument("namespace '" + name + "' was dropped (node " + s_.node_id + ")");
      }
      if (!record.dropped && record.incarnation > incarnation) {
        return Status::InvalidArgument(
            "namespace '" + name + "' was dropped and re-created: the scan names incarnation " +
            std::to_string(incarnation) + ", node " + s_.node_id + " has " + std::to_string(record.incarnation));
      }
    }
  } else if (incarnation != 0) {
    return Status::InvalidArgument("the default namespace has no incarnation");
  }
  std::string prefix = wire::ToBytes(range.getPrefix());
  std::string after = wire::ToBytes(range.getAfterKey());
  if (!prefix.empty()) RINGKV_TRY(ValidateKey(prefix));
  if (!after.empty()) RINGKV_TRY(ValidateKey(after));
  return NamespaceScanRanges(name, incarnation, prefix, after);
}

kj::Promise<void> NodeServer::scan(ScanContext context) {
  auto params = context.getParams();
  Status header = CheckHeader(params.getHeader(), Access::kClient, /*routed=*/true);
  if (header.ok()) header = CheckRole(Role::kRead, wire::ToText(params.getRange().getNamespace()));
  auto ranges = header.ok() ? ScanRangesFor(params.getRange()) : Result<std::vector<StoredKeyRange>>(header);
  if (!ranges.ok()) {
    wire::ToWire(ranges.status(), context.getResults().initError());
    return kj::READY_NOW;
  }
  uint32_t max_entries = params.getMaxEntries();
  if (max_entries < 1 || max_entries > kMaxScanEntries) {
    wire::ToWire(Status::InvalidArgument("a scan page holds 1 to " + std::to_string(kMaxScanEntries) + " entries"),
                 context.getResults().initError());
    return kj::READY_NOW;
  }
  size_t max_bytes = std::clamp<size_t>(params.getMaxBytes(), kMinScanBytes, kMaxScanBytes);
  storage::StorageEngine* engine = s_.engine;
  const Clock* clock = s_.clock;
  return s_.workers
      ->Run<Result<ReplicaScanPage>>([engine, clock, ranges = std::move(ranges).value(), max_entries, max_bytes]() {
        return ReadReplicaRange(*engine, ranges, max_entries, max_bytes, clock->WallMs());
      })
      .then([context](Result<ReplicaScanPage> page) mutable {
        auto results = context.getResults();
        wire::ToWire(page.status(), results.initError());
        if (!page.ok()) return;
        wire::ToWire(page->entries, results.initEntries(static_cast<unsigned>(page->entries.size())));
        results.setMore(page->more);
      });
}

kj::Promise<void> NodeServer::countKeys(CountKeysContext context) {
  auto params = context.getParams();
  Status header = CheckHeader(params.getHeader(), Access::kClient);
  if (header.ok()) header = CheckRole(Role::kRead, wire::ToText(params.getRange().getNamespace()));
  auto ranges = header.ok() ? ScanRangesFor(params.getRange()) : Result<std::vector<StoredKeyRange>>(header);
  if (!ranges.ok()) {
    wire::ToWire(ranges.status(), context.getResults().initError());
    return kj::READY_NOW;
  }
  storage::StorageEngine* engine = s_.engine;
  const Clock* clock = s_.clock;
  return s_.workers
      ->Run<Result<uint64_t>>([engine, clock, ranges = std::move(ranges).value()]() {
        return CountLiveKeys(*engine, ranges, clock->WallMs());
      })
      .then([context](Result<uint64_t> count) mutable {
        auto results = context.getResults();
        wire::ToWire(count.status(), results.initError());
        if (count.ok()) results.setKeys(*count);
      });
}

}  // namespace ringkv
