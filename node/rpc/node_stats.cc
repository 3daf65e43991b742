#include "node/rpc/node_stats.h"

#include "node/replica/cross_dc.h"
#include "node/storage/engine.h"

namespace ringkv {
namespace {

class Samples {
 public:
  explicit Samples(std::vector<MetricSample>* out) : out_(out) {}
  void Counter(std::string name, uint64_t v, std::string help, std::string labels = "") {
    out_->push_back(
        {std::move(name), std::move(labels), static_cast<double>(v), MetricSample::kCounter, std::move(help)});
  }
  void Gauge(std::string name, double v, std::string help, std::string labels = "") {
    out_->push_back({std::move(name), std::move(labels), v, MetricSample::kGauge, std::move(help)});
  }

 private:
  std::vector<MetricSample>* out_;
};

void AddStorage(storage::StorageEngine& engine, Samples& s) {
  storage::EngineInfo info = engine.Info();
  s.Gauge("memtable_bytes", static_cast<double>(info.memtable_bytes + info.immutable_memtable_bytes),
          "bytes in the memtables (active and flushing)");
  s.Gauge("sstables", static_cast<double>(info.num_tables), "SSTables on disk (one size-tiered level)");
  s.Gauge("sstable_bytes", static_cast<double>(info.table_bytes), "bytes of SSTables on disk: the node's load");
  s.Gauge("wal_bytes", static_cast<double>(info.wal_bytes), "bytes in the current write-ahead log");
  s.Gauge("tombstones_awaiting_proof", static_cast<double>(info.tombstones_awaiting_proof),
          "tombstones past their grace kept because not every replica is known to hold them (a replica "
          "down or not repaired with, a hint pending): see /health");
  const storage::StorageStats& st = engine.stats();
  constexpr auto r = std::memory_order_relaxed;
  s.Counter("wal_fsyncs_total", st.wal_fsyncs.load(r), "fsyncs of the write-ahead log");
  s.Counter("flushes_total", st.flush_count.load(r), "memtables flushed to SSTables");
  s.Counter("compactions_total", st.compaction_count.load(r), "compactions run");
  s.Counter("compaction_bytes_written_total", st.compaction_bytes_written.load(r), "bytes written by compactions");
  s.Counter("tombstones_dropped_total", st.tombstones_dropped.load(r),
            "tombstones dropped by compaction after their grace period");
  s.Counter("expired_values_dropped_total", st.values_expired.load(r),
            "records whose values compaction dropped because every one had expired (TTL)");
  s.Counter("bloom_checks_total", st.bloom_checks.load(r), "bloom filter checks on reads");
  s.Counter("bloom_skips_total", st.bloom_skips.load(r), "table reads skipped because the bloom filter said absent");
  s.Counter("block_cache_hits_total", st.block_cache_hits.load(r), "block cache hits");
  s.Counter("block_cache_misses_total", st.block_cache_misses.load(r), "block cache misses");
  s.Counter("write_stalls_total", st.write_stalls.load(r), "writes that waited for a flush or compaction");
  s.Counter("write_slowdowns_total", st.write_slowdowns.load(r),
            "writes paced because level 0 neared the table count that stops writes");
  s.Counter("write_errors_total", st.write_errors.load(r), "WAL writes and fsyncs that failed (a full disk included)");
  s.Counter("flush_errors_total", st.flush_errors.load(r),
            "memtable flushes that failed other than for a full disk (the error is sticky: writes are refused)");
  s.Gauge("writes_refused", engine.WriteError().ok() ? 0 : 1,
          "1 while storage refuses writes (a failed fsync, or a full disk); /health says why");
}

void AddMembership(const Membership& membership, Samples& s) {
  s.Gauge("ring_version", static_cast<double>(membership.RingVersion()), "version of this node's ring");
  int up = 0, suspect = 0, down = 0;
  for (const MemberRecord& r : membership.Snapshot()) {
    if (r.ring_state == RingState::kLeft || r.ring_state == RingState::kRemoved) continue;
    switch (membership.StatusOf(r.id)) {
      case MemberStatus::kUp:
        ++up;
        break;
      case MemberStatus::kSuspect:
        ++suspect;
        break;
      case MemberStatus::kDown:
        ++down;
        break;
    }
  }
  const std::string help = "cluster members by status, as this node's gossip sees them";
  s.Gauge("members", up, help, "status=\"up\"");
  s.Gauge("members", suspect, help, "status=\"suspect\"");
  s.Gauge("members", down, help, "status=\"down\"");
}

// One snapshot, so every scrape satisfies stored == delivered + dropped + queued.
void AddHints(const HintStats& hints, Samples& s) {
  for (const auto& [target, n] : hints.queued) {
    s.Gauge("hints_queued", static_cast<double>(n), "hint entries held now for a target (one per key)",
            "target=\"" + target + "\"");
  }
  s.Gauge("hints_queued_total", static_cast<double>(hints.QueuedTotal()),
          "hint entries held now for all targets: stored - delivered - dropped");
  const HintCounters& hc = hints.counters;
  s.Counter("hints_stored_total", hc.stored,
            "hint entries created, one per (target, key) until delivered or dropped; at start, those found on disk");
  s.Counter("hints_merged_total", hc.merged,
            "incoming hints folded into the entry already held for their target and key");
  s.Counter("hints_delivered_total", hc.delivered,
            "hint entries acknowledged by their target (or by the key's replicas, redirected) and deleted");
  s.Counter("hints_redirected_total", hc.redirected,
            "of the delivered entries, those given to the key's replicas because the target left the ring");
  for (size_t i = 0; i < kHintDropReasons; ++i) {
    s.Counter("hints_dropped_total", hc.dropped[i],
              "hint entries given up: expired (older than the hint window), refused (invalid, by the target), "
              "namespace_dropped (the key's namespace was dropped)",
              "reason=\"" + std::string(HintDropName(static_cast<HintDrop>(i))) + "\"");
  }
}

void AddRepair(const AntiEntropyCounters& ae, const StreamCounters& sc, Samples& s) {
  s.Counter("repair_sessions_total", ae.sessions, "Merkle repair sessions run from this node");
  s.Counter("repair_keys_pulled_total", ae.keys_pulled, "keys repair fetched from peers");
  s.Counter("repair_keys_pushed_total", ae.keys_pushed, "keys repair sent to peers");
  s.Counter("repair_bytes_sent_total", ae.bytes_sent, "bytes repair sent");
  s.Counter("repair_bytes_received_total", ae.bytes_received, "bytes repair received");
  s.Counter("repair_failures_total", ae.failures, "repair sessions that failed");
  s.Gauge("repair_sessions_running", static_cast<double>(ae.running),
          "Merkle repairs run from this node that are under way now");
  s.Counter("stream_keys_received_total", sc.keys_received, "keys streamed in while joining");
  s.Counter("stream_keys_sent_total", sc.keys_sent, "keys streamed out to a joining node or while leaving");
}

void AddAutoscale(const AutoscaleLog& log, Samples& s) {
  auto counts = log.Counts();
  for (size_t i = 0; i < counts.size(); ++i) {
    s.Counter("autoscale_decisions_total", counts[i],
              "decisions an autoscaler (kv autoscale --report-to) posted to this node, by action",
              "action=\"" + std::string(AutoscaleLog::kActions[i]) + "\"");
  }
}

void AddDroppedNamespaces(const NodeServices& services, Samples& s) {
  if (services.eraser) {
    for (const auto& [name, n] : services.eraser->ErasedKeys()) {
      s.Counter("namespace_erased_keys_total", n, "keys deleted from this node because their namespace was dropped",
                "namespace=\"" + name + "\"");
    }
    s.Gauge("namespace_drops_pending", services.eraser->Pending() ? 1 : 0,
            "1 while a namespace drop this node knows of is not yet erased and compacted here");
  }
  if (services.users) {
    s.Gauge("users", static_cast<double>(services.users->Snapshot()->Live().size()),
            "users in this node's user catalog (kv user list)");
  }
  if (services.namespaces) {
    s.Counter("namespace_dropped_writes_total", services.namespaces->published().dropped_writes(),
              "writes (puts, replication, repair, hints, streaming, cross-DC) refused or discarded because their "
              "namespace was dropped");
  }
}

void AddCrossDc(const HintStats& hints, const HintedHandoff& handoff, Samples& s) {
  for (const auto& [dc, lag] : handoff.CrossDcLagSeconds()) {
    std::string label = "dc=\"" + dc + "\"";
    auto q = hints.queued.find(DcTarget(dc));
    s.Gauge("cross_dc_queued", q == hints.queued.end() ? 0.0 : static_cast<double>(q->second),
            "versions queued here for a remote DC (one hint entry per key)", label);
    s.Gauge("cross_dc_lag_seconds", lag, "age of the oldest version queued here for a remote DC", label);
  }
}

}  // namespace

std::vector<MetricSample> CollectNodeSamples(const NodeServices& services) {
  std::vector<MetricSample> out;
  Samples s(&out);
  if (services.metrics) services.metrics->AppendSamples(&out);
  if (services.engine) AddStorage(*services.engine, s);
  AddMembership(*services.membership, s);
  HintStats hints = services.hints->Stats();
  AddHints(hints, s);
  AddRepair(services.anti_entropy->counters(), services.streamer->counters(), s);
  if (services.handoff) AddCrossDc(hints, *services.handoff, s);
  AddDroppedNamespaces(services, s);
  if (services.autoscale) AddAutoscale(*services.autoscale, s);
  if (services.verify) {
    std::vector<MetricSample> verify = VerifySamples(*services.verify);
    out.insert(out.end(), verify.begin(), verify.end());
  }
  if (services.purge) {
    ProofGaps gaps = services.purge->Gaps();
    s.Gauge("purge_ranges", static_cast<double>(gaps.ranges), "token ranges this node replicates");
    s.Gauge("purge_ranges_unproven", static_cast<double>(gaps.unproven),
            "of those, ranges without a completed repair session with every other replica since the ring "
            "changed or this node started: their tombstones cannot be purged");
  }
  if (services.connections) {
    constexpr auto r = std::memory_order_relaxed;
    s.Gauge("rpc_connections", static_cast<double>(services.connections->open.load(r)), "RPC connections open");
    s.Counter("rpc_connections_accepted_total", services.connections->accepted.load(r), "RPC connections accepted");
    s.Counter("rpc_connections_refused_total", services.connections->refused.load(r),
              "RPC connections closed on accept: --max-connections were open");
    s.Counter("rpc_unauthenticated_total", services.connections->unauthenticated.load(r),
              "RPC calls refused: no or wrong client token / cluster secret");
    s.Counter("rpc_tls_handshake_failures_total", services.connections->tls_failed.load(r),
              "TLS handshakes that failed (untrusted or missing certificate, not TLS)");
    s.Counter("rpc_permission_denied_total", services.connections->permission_denied.load(r),
              "RPC calls refused: the user's role does not allow them on the namespace");
    s.Counter("credential_reloads_total", services.connections->reloads.load(r),
              "credential and TLS file reloads applied (SIGHUP)");
  }
  return out;
}

}  // namespace ringkv
