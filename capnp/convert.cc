#include "capnp/convert.h"

#include <algorithm>

namespace ringkv::wire {

void ToWire(const VersionVector& vv, capnp::List<ClockEntry>::Builder out) {
  unsigned i = 0;
  for (const auto& [node, e] : vv.entries()) {
    auto b = out[i++];
    b.setNode(node);
    b.setCounter(e.counter);
    b.setTimestampMs(e.timestamp_ms);
  }
}

Result<VersionVector> FromWire(capnp::List<ClockEntry>::Reader in) {
  VersionVector vv;
  for (auto e : in) {
    if (e.getNode().size() == 0) return Status::InvalidArgument("clock entry with an empty node id");
    if (vv.Get(ToText(e.getNode())) != 0) return Status::InvalidArgument("clock names a node twice");
    vv.Advance(ToText(e.getNode()), e.getCounter(), e.getTimestampMs());
  }
  return vv;
}

void ToWire(const ringkv::Sibling& s, wire::Sibling::Builder out) {
  out.setDotNode(s.dot.node);
  out.setDotCounter(s.dot.counter);
  out.setWriteId(s.write_id);
  out.setTimestampMs(s.timestamp_ms);
  out.setTombstone(s.tombstone);
  out.setValue(AsData(s.value));
  out.setExpiresAtMs(s.expires_at_ms);
}

ringkv::Sibling FromWire(wire::Sibling::Reader in) {
  ringkv::Sibling s;
  s.dot.node = ToText(in.getDotNode());
  s.dot.counter = in.getDotCounter();
  s.write_id = in.getWriteId();
  s.timestamp_ms = in.getTimestampMs();
  s.tombstone = in.getTombstone();
  s.value = ToBytes(in.getValue());
  s.expires_at_ms = in.getExpiresAtMs();
  return s;
}

void ToWire(const std::vector<ringkv::WriteRef>& refs, capnp::List<wire::WriteRef>::Builder out) {
  for (unsigned i = 0; i < refs.size(); ++i) {
    out[i].setWriteId(refs[i].write_id);
    out[i].setTimestampMs(refs[i].timestamp_ms);
  }
}

std::vector<ringkv::WriteRef> FromWire(capnp::List<wire::WriteRef>::Reader in) {
  std::vector<ringkv::WriteRef> out;
  out.reserve(in.size());
  for (auto r : in) out.push_back(ringkv::WriteRef{r.getWriteId(), r.getTimestampMs()});
  return out;
}

void ToWire(const SiblingSet& set, VersionedValue::Builder out) {
  ToWire(set.context(), out.initContext(static_cast<unsigned>(set.context().size())));
  auto siblings = out.initSiblings(static_cast<unsigned>(set.siblings().size()));
  for (unsigned i = 0; i < siblings.size(); ++i) ToWire(set.siblings()[i], siblings[i]);
  if (!set.retired().empty()) ToWire(set.retired(), out.initRetired(static_cast<unsigned>(set.retired().size())));
  out.setRetiredFloorMs(set.retired_floor_ms());
  out.setLastWriterWins(set.last_writer_wins());
}

void ToWire(std::span<const std::pair<std::string, SiblingSet>> entries, capnp::List<KeyedValue>::Builder out) {
  for (unsigned i = 0; i < entries.size(); ++i) {
    out[i].setKey(AsData(entries[i].first));
    ToWire(entries[i].second, out[i].initValue());
  }
}

Result<SiblingSet> FromWire(VersionedValue::Reader in) {
  RINGKV_ASSIGN(VersionVector context, FromWire(in.getContext()));
  std::vector<ringkv::Sibling> siblings;
  for (auto s : in.getSiblings()) siblings.push_back(FromWire(s));
  return SiblingSet::FromParts(std::move(context), std::move(siblings), FromWire(in.getRetired()),
                               in.getRetiredFloorMs(), in.getLastWriterWins());
}

namespace {

NodeStatus ToWire(Liveness l) {
  switch (l) {
    case Liveness::kUp:
      return NodeStatus::UP;
    case Liveness::kSuspect:
      return NodeStatus::SUSPECT;
    case Liveness::kDown:
      return NodeStatus::DOWN;
  }
  return NodeStatus::UP;
}

Liveness FromWire(NodeStatus s) {
  switch (s) {
    case NodeStatus::SUSPECT:
      return Liveness::kSuspect;
    case NodeStatus::DOWN:
      return Liveness::kDown;
    default:
      return Liveness::kUp;
  }
}

void ToWire(const RingNode& n, wire::RingState state, const RingView& view, NodeInfo::Builder b) {
  b.setId(n.id);
  b.setAddress(n.address);
  b.setDc(n.dc);
  b.setRack(n.rack);
  auto tokens = b.initTokens(static_cast<unsigned>(n.tokens.size()));
  for (unsigned t = 0; t < n.tokens.size(); ++t) tokens.set(t, n.tokens[t]);
  auto live = view.liveness.find(n.id);
  b.setStatus(ToWire(live == view.liveness.end() ? Liveness::kUp : live->second));
  b.setRingState(state);
  b.setWeight(n.weight);
}

}  // namespace

void ToWire(const RingView& view, RingSnapshot::Builder out) {
  out.setVersion(view.version);
  out.setClusterName(view.cluster_name);
  out.setReplicationFactor(static_cast<uint8_t>(view.replication_factor));
  auto per_dc = out.initDcReplication(static_cast<unsigned>(view.dc_replication.size()));
  unsigned d = 0;
  for (const auto& [dc, n] : view.dc_replication) {
    per_dc[d].setDc(dc);
    per_dc[d++].setReplicas(static_cast<uint8_t>(n));
  }
  // Current owners (normal, or leaving when the future lacks them), then the joiners.
  std::vector<std::pair<const RingNode*, wire::RingState>> all;
  for (const RingNode& n : view.ring.nodes()) {
    all.emplace_back(&n, view.future.Find(n.id) ? wire::RingState::NORMAL : wire::RingState::LEAVING);
  }
  for (const RingNode& n : view.future.nodes()) {
    if (!view.ring.Find(n.id)) all.emplace_back(&n, wire::RingState::JOINING);
  }
  auto list = out.initNodes(static_cast<unsigned>(all.size()));
  for (unsigned i = 0; i < all.size(); ++i) ToWire(*all[i].first, all[i].second, view, list[i]);
}

Result<RingView> FromWire(RingSnapshot::Reader in) {
  RingView view;
  view.version = in.getVersion();
  view.cluster_name = ToText(in.getClusterName());
  view.replication_factor = std::max<uint32_t>(1, in.getReplicationFactor());
  for (auto d : in.getDcReplication()) {
    if (d.getReplicas() > 0) view.dc_replication[ToText(d.getDc())] = d.getReplicas();
  }
  std::vector<RingNode> now, future;
  for (auto n : in.getNodes()) {
    RingNode node;
    node.id = ToText(n.getId());
    node.address = ToText(n.getAddress());
    node.dc = ToText(n.getDc());
    node.rack = ToText(n.getRack());
    for (uint64_t t : n.getTokens()) node.tokens.push_back(t);
    node.weight = n.getWeight();
    Liveness live = FromWire(n.getStatus());
    if (live != Liveness::kUp) view.liveness[node.id] = live;
    switch (n.getRingState()) {
      case wire::RingState::NORMAL:
        now.push_back(node);
        future.push_back(std::move(node));
        break;
      case wire::RingState::LEAVING:
        now.push_back(std::move(node));
        break;
      case wire::RingState::JOINING:
        future.push_back(std::move(node));
        break;
      default:
        break;  // left/removed nodes own nothing
    }
  }
  RINGKV_ASSIGN(view.ring, Ring::FromNodes(std::move(now), view.version));
  RINGKV_ASSIGN(view.future, Ring::FromNodes(std::move(future), view.version));
  view.namespaces.Merge(FromWire(in.getNamespaces()));
  return view;
}

void ToWire(const ringkv::NamespaceSettings& s, wire::NamespaceSettings::Builder out) {
  out.setN(static_cast<uint8_t>(s.n));
  out.setW(static_cast<uint8_t>(s.w));
  out.setR(static_cast<uint8_t>(s.r));
  out.setConflict(s.conflict == ringkv::ConflictMode::kLastWriterWins ? wire::ConflictMode::LWW
                                                                      : wire::ConflictMode::SIBLINGS);
  out.setDefaultTtlS(s.default_ttl_s);
  out.setMaxValueBytes(s.max_value_bytes);
  out.setTombstoneGraceS(s.tombstone_grace_s);
}

ringkv::NamespaceSettings FromWire(wire::NamespaceSettings::Reader in) {
  ringkv::NamespaceSettings s;
  s.n = in.getN();
  s.w = in.getW();
  s.r = in.getR();
  s.conflict = in.getConflict() == wire::ConflictMode::LWW ? ringkv::ConflictMode::kLastWriterWins
                                                           : ringkv::ConflictMode::kSiblings;
  s.default_ttl_s = in.getDefaultTtlS();
  s.max_value_bytes = in.getMaxValueBytes();
  s.tombstone_grace_s = in.getTombstoneGraceS();
  return s;
}

void ToWire(const ringkv::NamespaceRecord& r, wire::NamespaceRecord::Builder out) {
  out.setName(r.name);
  ToWire(r.settings, out.initSettings());
  out.setVersion(r.version);
  out.setAuthor(r.author);
  out.setIncarnation(r.incarnation);
  out.setDropped(r.dropped);
}

ringkv::NamespaceRecord FromWire(wire::NamespaceRecord::Reader in) {
  ringkv::NamespaceRecord r;
  r.name = ToText(in.getName());
  r.settings = FromWire(in.getSettings());
  r.version = in.getVersion();
  r.author = ToText(in.getAuthor());
  r.incarnation = in.getIncarnation();
  r.dropped = in.getDropped();
  return r;
}

void ToWire(const std::vector<ringkv::NamespaceRecord>& records, capnp::List<wire::NamespaceRecord>::Builder out) {
  for (unsigned i = 0; i < records.size(); ++i) ToWire(records[i], out[i]);
}

std::vector<ringkv::NamespaceRecord> FromWire(capnp::List<wire::NamespaceRecord>::Reader in) {
  std::vector<ringkv::NamespaceRecord> out;
  out.reserve(in.size());
  for (auto r : in) out.push_back(FromWire(r));
  return out;
}

void ToWire(const Status& status, Error::Builder out) {
  ErrorCode code = ErrorCode::INTERNAL;
  switch (status.code()) {
    case StatusCode::kOk:
      code = ErrorCode::OK;
      break;
    case StatusCode::kNotFound:
      code = ErrorCode::NOT_FOUND;
      break;
    case StatusCode::kInvalidArgument:
      code = ErrorCode::INVALID_ARGUMENT;
      break;
    case StatusCode::kCorruption:
      code = ErrorCode::CORRUPTION;
      break;
    case StatusCode::kIOError:
      code = ErrorCode::IO_ERROR;
      break;
    case StatusCode::kBusy:
      code = ErrorCode::BUSY;
      break;
    case StatusCode::kNotSupported:
      code = ErrorCode::UNSUPPORTED_VERSION;
      break;
    case StatusCode::kAborted:
      code = ErrorCode::BUSY;
      break;
    case StatusCode::kTimedOut:
    case StatusCode::kUnavailable:
    case StatusCode::kQuorumNotReached:
      code = ErrorCode::BUSY;
      break;
    case StatusCode::kStaleRing:
      code = ErrorCode::STALE_RING;
      break;
    case StatusCode::kUnauthenticated:
      code = ErrorCode::UNAUTHENTICATED;
      break;
    case StatusCode::kPermissionDenied:
      code = ErrorCode::PERMISSION_DENIED;
      break;
    case StatusCode::kExists:  // the SDK's verdict on a read (PutIfAbsent); no node sends it
      break;
  }
  out.setCode(code);
  out.setMessage(status.message());
}

Status FromWire(Error::Reader in) {
  std::string msg = ToText(in.getMessage());
  switch (in.getCode()) {
    case ErrorCode::OK:
      return Status::OK();
    case ErrorCode::NOT_FOUND:
      return Status::NotFound(msg);
    case ErrorCode::INVALID_ARGUMENT:
      return Status::InvalidArgument(msg);
    case ErrorCode::CORRUPTION:
      return Status::Corruption(msg);
    case ErrorCode::IO_ERROR:
      return Status::IOError(msg);
    case ErrorCode::BUSY:
      return Status::Busy(msg);
    case ErrorCode::WRONG_CLUSTER:
      return Status::InvalidArgument("wrong cluster: " + msg);
    case ErrorCode::UNSUPPORTED_VERSION:
      return Status::NotSupported(msg);
    case ErrorCode::STALE_RING:
      return Status::StaleRing(msg);
    case ErrorCode::UNAUTHENTICATED:
      return Status::Unauthenticated(msg);
    case ErrorCode::PERMISSION_DENIED:
      return Status::PermissionDenied(msg);
    case ErrorCode::INTERNAL:
      break;
  }
  return Status::Aborted("node error: " + msg);
}

}  // namespace ringkv::wire
