#include "capnp/convert.h"

#include <algorithm>

namespace ringkv::wire {
namespace {

std::string ToString(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }
std::string ToString(capnp::Data::Reader d) { return std::string(reinterpret_cast<const char*>(d.begin()), d.size()); }
capnp::Data::Reader AsData(const std::string& s) {
  return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

}  // namespace

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
    if (vv.Get(ToString(e.getNode())) != 0) return Status::InvalidArgument("clock names a node twice");
    vv.Advance(ToString(e.getNode()), e.getCounter(), e.getTimestampMs());
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
}

ringkv::Sibling FromWire(wire::Sibling::Reader in) {
  ringkv::Sibling s;
  s.dot.node = ToString(in.getDotNode());
  s.dot.counter = in.getDotCounter();
  s.write_id = in.getWriteId();
  s.timestamp_ms = in.getTimestampMs();
  s.tombstone = in.getTombstone();
  s.value = ToString(in.getValue());
  return s;
}

void ToWire(const SiblingSet& set, VersionedValue::Builder out) {
  ToWire(set.context(), out.initContext(static_cast<unsigned>(set.context().size())));
  auto siblings = out.initSiblings(static_cast<unsigned>(set.siblings().size()));
  for (unsigned i = 0; i < siblings.size(); ++i) ToWire(set.siblings()[i], siblings[i]);
}

Result<SiblingSet> FromWire(VersionedValue::Reader in) {
  RINGKV_ASSIGN(VersionVector context, FromWire(in.getContext()));
  std::vector<ringkv::Sibling> siblings;
  for (auto s : in.getSiblings()) siblings.push_back(FromWire(s));
  return SiblingSet::FromParts(std::move(context), std::move(siblings));
}

void ToWire(const RingView& view, RingSnapshot::Builder out) {
  out.setVersion(view.version);
  out.setClusterName(view.cluster_name);
  const auto& nodes = view.ring.nodes();
  auto list = out.initNodes(static_cast<unsigned>(nodes.size()));
  for (unsigned i = 0; i < nodes.size(); ++i) {
    const RingNode& n = nodes[i];
    auto b = list[i];
    b.setId(n.id);
    b.setAddress(n.address);
    b.setDc(n.dc);
    b.setRack(n.rack);
    auto tokens = b.initTokens(static_cast<unsigned>(n.tokens.size()));
    for (unsigned t = 0; t < n.tokens.size(); ++t) tokens.set(t, n.tokens[t]);
    // `status` stays at its default (up): with static membership a node does not track
    // its peers' health; gossip will fill it in.
  }
}

Result<RingView> FromWire(RingSnapshot::Reader in) {
  RingView view;
  view.version = in.getVersion();
  view.cluster_name = ToString(in.getClusterName());
  std::vector<RingNode> nodes;
  for (auto n : in.getNodes()) {
    RingNode node;
    node.id = ToString(n.getId());
    node.address = ToString(n.getAddress());
    node.dc = ToString(n.getDc());
    node.rack = ToString(n.getRack());
    for (uint64_t t : n.getTokens()) node.tokens.push_back(t);
    nodes.push_back(std::move(node));
  }
  RINGKV_ASSIGN(view.ring, Ring::FromNodes(std::move(nodes), view.version));
  return view;
}

void ToWire(const Status& status, Error::Builder out) {
  ErrorCode code = ErrorCode::INTERNAL;
  switch (status.code()) {
    case StatusCode::kOk: code = ErrorCode::OK; break;
    case StatusCode::kNotFound: code = ErrorCode::NOT_FOUND; break;
    case StatusCode::kInvalidArgument: code = ErrorCode::INVALID_ARGUMENT; break;
    case StatusCode::kCorruption: code = ErrorCode::CORRUPTION; break;
    case StatusCode::kIOError: code = ErrorCode::IO_ERROR; break;
    case StatusCode::kBusy: code = ErrorCode::BUSY; break;
    case StatusCode::kNotSupported: code = ErrorCode::UNSUPPORTED_VERSION; break;
    case StatusCode::kAborted: code = ErrorCode::BUSY; break;
    case StatusCode::kTimedOut:
    case StatusCode::kUnavailable:
    case StatusCode::kQuorumNotReached: code = ErrorCode::BUSY; break;
  }
  out.setCode(code);
  out.setMessage(status.message());
}

Status FromWire(Error::Reader in) {
  std::string msg = ToString(in.getMessage());
  switch (in.getCode()) {
    case ErrorCode::OK: return Status::OK();
    case ErrorCode::NOT_FOUND: return Status::NotFound(msg);
    case ErrorCode::INVALID_ARGUMENT: return Status::InvalidArgument(msg);
    case ErrorCode::CORRUPTION: return Status::Corruption(msg);
    case ErrorCode::IO_ERROR: return Status::IOError(msg);
    case ErrorCode::BUSY: return Status::Busy(msg);
    case ErrorCode::WRONG_CLUSTER: return Status::InvalidArgument("wrong cluster: " + msg);
    case ErrorCode::UNSUPPORTED_VERSION: return Status::NotSupported(msg);
    case ErrorCode::INTERNAL: break;
  }
  return Status::Aborted("node error: " + msg);
}

}  // namespace ringkv::wire
