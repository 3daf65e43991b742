// Client::Scan and Client::CountKeys: paged scans in key order over every node (sdk/scan.h),
// and the approximate key count of a namespace.

#include "sdk/scan.h"

#include <set>

#include "capnp/bounded.h"
#include "capnp/convert.h"
#include "capnp/request_header.h"
#include "common/namespace.h"
#include "sdk/client_impl.h"
#include "sdk/quorum.h"
#include "sdk/scan_cursor.h"
#include "sdk/scan_merge.h"

namespace ringkv {
namespace {

constexpr int kStaleRingRetries = 3;

// One node's answer to a scan round: its stream, or why it has none.
struct NodeReply {
  std::string id;
  Result<sdk::ScanStream> stream;
};

// Errors about the request itself: no other node can do better.
bool IsRequestError(const Status& s) {
  return s.IsInvalidArgument() || s.code() == StatusCode::kNotSupported || s.IsUnauthenticated() ||
         s.IsPermissionDenied();
}

// Gossip reports the node down, or a call to it failed or timed out a moment ago: a scan
// does not wait on it (unlike a get, which asks all N: a scan asks every node, each round).
bool KnownDown(const RingView& view, const wire::ConnectionPool& pool, const RingNode& node) {
  auto live = view.liveness.find(node.id);
  return (live != view.liveness.end() && live->second == Liveness::kDown) || pool.IsDown(node.address);
}

void FillRange(wire::ScanRange::Builder out, const sdk::ScanJob& job) {
  out.setNamespace(job.ns);
  out.setIncarnation(job.incarnation);
  out.setPrefix(wire::AsData(job.prefix));
  out.setAfterKey(wire::AsData(job.after));
}

// The stream in a node's reply; Corruption when it breaks the contract (a key outside the
// namespace, out of order), which the round treats like a node that did not answer.
Result<sdk::ScanStream> StreamOf(const std::string& id, const std::string& stored_prefix,
                                 wire::Node::ScanResults::Reader reply) {
  RINGKV_TRY(wire::FromWire(reply.getError()));
  sdk::ScanStream stream;
  stream.node_id = id;
  stream.answered = true;
  stream.more = reply.getMore();
  for (auto entry : reply.getEntries()) {
    std::string key = wire::ToBytes(entry.getKey());
    if (!key.starts_with(stored_prefix) || (!stream.entries.empty() && key <= stream.entries.back().first)) {
      return Status::Corruption("node " + id + " answered a scan with a key out of order or outside the namespace");
    }
    RINGKV_ASSIGN(SiblingSet set, wire::FromWire(entry.getValue()));
    stream.entries.emplace_back(std::move(key), std::move(set));
  }
  if (stream.more && stream.entries.empty()) return Status::Corruption("node " + id + " cut an empty scan page");
  return stream;
}

}  // namespace

Result<sdk::ScanJob> Client::Impl::PrepareScan(const std::string& ns, const ScanOptions& o) {
  if (o.page_size < 1 || o.page_size > kMaxScanPageSize) {
    return Status::InvalidArgument("scan page_size must be between 1 and " + std::to_string(kMaxScanPageSize) +
                                   " (got " + std::to_string(o.page_size) + ")");
  }
  std::string_view name = ns.empty() ? kDefaultNamespace : std::string_view(ns);
  if (!o.prefix.empty()) RINGKV_TRY(ValidateKeyIn(name, o.prefix));
  LearnIfUnknown(name);
  RequestOptions request;
  request.level = o.level;
  request.r = o.r;
  request.timeout = o.timeout;
  sdk::ScanJob job;
  job.ns = std::string(name);
  job.prefix = o.prefix;
  job.page_size = o.page_size;
  if (name == kDefaultNamespace) {
    RINGKV_ASSIGN(job.spec, Spec(request));
  } else {
    RINGKV_TRY(ValidateNamespaceName(name));
    auto ring = Ring();  // held: Find points into it
    const NamespaceRecord* record = ring->namespaces.Find(name);
    if (record == nullptr) return UnknownNamespace(name);
    const NamespaceSettings& s = record->settings;
    job.incarnation = record->incarnation;
    RINGKV_ASSIGN(job.spec, Spec(request, s.n, s.w, s.r, s.conflict == ConflictMode::kLastWriterWins));
  }
  job.stored_prefix = StoredKeyPrefix(job.ns, job.incarnation);
  if (!o.cursor.empty()) {
    RINGKV_ASSIGN(sdk::ScanCursor cursor, sdk::DecodeScanCursor(o.cursor));
    RINGKV_TRY(sdk::CheckScanCursor(cursor, job.ns, job.incarnation, job.prefix));
    job.after = std::move(cursor.after_key);
  }
  return job;
}

kj::Promise<Result<ScanPage>> Client::Impl::ScanPageOnLoop(std::shared_ptr<sdk::ScanJob> job) {
  auto view = Ring();
  job->spec.header.ring_version = view->version;
  kj::Vector<kj::Promise<NodeReply>> calls;
  for (const RingNode& node : view->ring.nodes()) {
    if (KnownDown(*view, *pool_, node)) {  // not asked: its ranges must be covered by the others (CheckRangesCovered)
      calls.add(NodeReply{node.id, Status::Unavailable(node.address + ": known down, not asked")});
      continue;
    }
    auto req = pool_->Dial(node.address).scanRequest();
    wire::FillRequestHeader(req.initHeader(), job->spec.header.cluster, job->spec.header.ring_version);
    FillRange(req.initRange(), *job);
    req.setMaxEntries(static_cast<uint32_t>(job->page_size - job->page.items.size()));
    req.setMaxBytes(sdk::kScanReplyBytes);
    std::string id = node.id, address = node.address, stored_prefix = job->stored_prefix;
    auto call = req.send().then(
        [this, id, address, stored_prefix](capnp::Response<wire::Node::ScanResults>&& reply) {
          pool_->MarkHealthy(address);
          return NodeReply{id, StreamOf(id, stored_prefix, reply)};
        },
        [this, id, address](kj::Exception&& e) {
          if (e.getType() == kj::Exception::Type::UNIMPLEMENTED) {  // an older node, mid-upgrade
            return NodeReply{id, Status::NotSupported(address + " (" + id + ") does not serve scans yet")};
          }
          pool_->MarkFailed(address);
          return NodeReply{id, Status::Unavailable(address + ": " + e.getDescription().cStr())};
        });
    calls.add(wire::Bounded(*timer_, kj::mv(call), job->spec.timeout, [this, id, address]() {
      pool_->MarkDown(address);  // slow, not gone: keep the connection, route around it a while
      return NodeReply{id, Status::TimedOut(address + ": no answer to a scan in time")};
    }));
  }
  return kj::joinPromises(calls.releaseAsArray())
      .then([this, job, view](kj::Array<NodeReply> replies) -> kj::Promise<Result<ScanPage>> {
        std::vector<sdk::ScanStream> streams;
        std::set<std::string> answered;
        bool stale = false;
        std::string failures;
        for (NodeReply& reply : replies) {
          if (reply.stream.ok()) {
            answered.insert(reply.id);
            streams.push_back(std::move(reply.stream).value());
            continue;
          }
          const Status& st = reply.stream.status();
          if (IsRequestError(st)) return Result<ScanPage>(st);
          stale = stale || st.IsStaleRing();
          failures += (failures.empty() ? "" : "; ") + reply.id + ": " + st.ToString();
        }
        if (stale) {
          if (job->stale_retries++ >= kStaleRingRetries) {
            return Result<ScanPage>(Status::StaleRing("scan: the ring kept changing under the page: " + failures));
          }
          metrics_.RecordRetry(ClientOp::kScan);
          return RefreshFromEveryNode(options_.replica_timeout).then([this, job]() { return ScanPageOnLoop(job); });
        }
        const sdk::QuorumSpec& spec = job->spec;
        if (Status covered = sdk::CheckRangesCovered(*view, spec.n, spec.r, answered, failures); !covered.ok()) {
          return Result<ScanPage>(covered);
        }
        auto replicas_of = [view, n = static_cast<size_t>(spec.n)](std::string_view key) {
          std::vector<std::string> ids;
          for (const RingNode* node : view->Replicas(key, n)) ids.push_back(node->id);
          return ids;
        };
        size_t room = job->page_size - job->page.items.size();
        auto round =
            sdk::MergeScanStreams(streams, replicas_of, spec.r, spec.lww, room, sdk::ClientWallMs(spec.clock_offset));
        if (!round.ok()) return Result<ScanPage>(round.status());
        for (sdk::ScanKey& key : round->keys) {
          job->page.items.push_back(
              ScanItem{key.stored_key.substr(job->stored_prefix.size()), sdk::ToGetResult(key.merged, key.replies)});
        }
        if (round->complete) {
          job->page.cursor.clear();
          return Result<ScanPage>(std::move(job->page));
        }
        if (!round->last) return Result<ScanPage>(Status::Aborted("scan: a round decided no key"));
        job->after = round->last->substr(job->stored_prefix.size());
        if (job->page.items.size() < job->page_size && ++job->rounds < sdk::kMaxScanRounds) {
          return ScanPageOnLoop(job);
        }
        job->page.cursor = sdk::EncodeScanCursor(
            sdk::ScanCursor{job->ns, job->incarnation, sdk::ScanPrefixHash(job->prefix), job->after});
        return Result<ScanPage>(std::move(job->page));
      });
}

kj::Promise<Result<KeyCount>> Client::Impl::CountKeysOnLoop(std::string ns, uint64_t incarnation, int n) {
  auto view = Ring();
  kj::Vector<kj::Promise<Result<uint64_t>>> calls;
  for (const RingNode& node : view->ring.nodes()) {
    if (KnownDown(*view, *pool_, node)) {
      calls.add(Result<uint64_t>(Status::Unavailable(node.address + ": known down, not asked")));
      continue;  // its share is estimated from the others'
    }
    auto req = pool_->Dial(node.address).countKeysRequest();
    wire::FillRequestHeader(req.initHeader(), ClusterName());
    auto range = req.initRange();
    range.setNamespace(ns);
    range.setIncarnation(incarnation);
    std::string address = node.address;
    auto call = req.send().then(
        [](capnp::Response<wire::Node::CountKeysResults>&& reply) -> Result<uint64_t> {
          RINGKV_TRY(wire::FromWire(reply.getError()));
          return reply.getKeys();
        },
        [address](kj::Exception&& e) -> Result<uint64_t> {
          return Status::Unavailable(address + ": " + e.getDescription().cStr());
        });
    // Counting reads a node's whole part of the namespace: allow it more than a request.
    calls.add(wire::Bounded(*timer_, kj::mv(call), options_.timeout * 30, [address]() -> Result<uint64_t> {
      return Status::TimedOut(address + ": no count in time");
    }));
  }
  int nodes = static_cast<int>(view->ring.size());
  return kj::joinPromises(calls.releaseAsArray()).then([nodes, n](kj::Array<Result<uint64_t>> counts) {
    uint64_t sum = 0;
    int counted = 0;
    std::string errors;
    for (const Result<uint64_t>& c : counts) {
      if (c.ok()) {
        sum += *c;
        ++counted;
      } else {
        if (IsRequestError(c.status())) return Result<KeyCount>(c.status());
        errors += (errors.empty() ? "" : "; ") + c.status().ToString();
      }
    }
    if (counted == 0) return Result<KeyCount>(Status::Unavailable("no node counted the namespace: " + errors));
    // Each key is held by n replicas; nodes that did not answer held their share as well.
    double estimate = static_cast<double>(sum) / n * nodes / counted;
    return Result<KeyCount>(KeyCount{static_cast<uint64_t>(estimate + 0.5), counted, nodes});
  });
}

Result<ScanPage> Client::Scan(const std::string& ns, const ScanOptions& options) {
  auto job = impl_->PrepareScan(ns, options);
  if (!job.ok()) return impl_->Rejected(ClientOp::kScan, job.status());
  auto shared = std::make_shared<sdk::ScanJob>(std::move(job).value());
  return impl_->RunSync<ScanPage>([&] {
    auto request = impl_->BeginRequest(ClientOp::kScan, shared->stored_prefix);
    return impl_->ScanPageOnLoop(shared).then([this, request](Result<ScanPage> page) {
      request.End(impl_->metrics(), page.status(), -1, -1);
      return page;
    });
  });
}

Result<KeyCount> Client::CountKeys(const std::string& ns) {
  ScanOptions whole;
  RINGKV_ASSIGN(sdk::ScanJob job, impl_->PrepareScan(ns, whole));
  return impl_->RunSync<KeyCount>([&] { return impl_->CountKeysOnLoop(job.ns, job.incarnation, job.spec.n); });
}

}  // namespace ringkv
