#pragma once
// Conversions between the wire types of kv.capnp and ringkv's own (common/), in one place.
// Readers validate what they convert: malformed wire data is an InvalidArgument status.

#include <span>
#include <string>
#include <utility>

#include <capnp/list.h>

#include "capnp/kv.capnp.h"
#include "common/namespace_catalog.h"
#include "common/ring.h"
#include "common/ring_view.h"
#include "common/vector_clock.h"
#include "ringkv/status.h"

namespace ringkv::wire {

using ringkv::RingView;

void ToWire(const VersionVector& vv, capnp::List<ClockEntry>::Builder out);
Result<VersionVector> FromWire(capnp::List<ClockEntry>::Reader in);

void ToWire(const ringkv::Sibling& s, wire::Sibling::Builder out);
ringkv::Sibling FromWire(wire::Sibling::Reader in);

void ToWire(const std::vector<ringkv::WriteRef>& refs, capnp::List<wire::WriteRef>::Builder out);
std::vector<ringkv::WriteRef> FromWire(capnp::List<wire::WriteRef>::Reader in);
void ToWire(const SiblingSet& set, VersionedValue::Builder out);
Result<SiblingSet> FromWire(VersionedValue::Reader in);
// (key, set) entries into a list sized for them (e.g. req.initEntries(entries.size())).
void ToWire(std::span<const std::pair<std::string, SiblingSet>> entries, capnp::List<KeyedValue>::Builder out);

void ToWire(const RingView& view, RingSnapshot::Builder out);
Result<RingView> FromWire(RingSnapshot::Reader in);

void ToWire(const ringkv::NamespaceSettings& settings, wire::NamespaceSettings::Builder out);
ringkv::NamespaceSettings FromWire(wire::NamespaceSettings::Reader in);  // validated by the catalog
void ToWire(const ringkv::NamespaceRecord& record, wire::NamespaceRecord::Builder out);
ringkv::NamespaceRecord FromWire(wire::NamespaceRecord::Reader in);
void ToWire(const std::vector<ringkv::NamespaceRecord>& records, capnp::List<wire::NamespaceRecord>::Builder out);
std::vector<ringkv::NamespaceRecord> FromWire(capnp::List<wire::NamespaceRecord>::Reader in);

void ToWire(const Status& status, Error::Builder out);

// Bytes and text between std::string and capnp readers (no copy into the message).
inline capnp::Data::Reader AsData(const std::string& s) {
  return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}
inline std::string ToBytes(capnp::Data::Reader d) {
  return std::string(reinterpret_cast<const char*>(d.begin()), d.size());
}
inline std::string ToText(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }
Status FromWire(Error::Reader in);

}  // namespace ringkv::wire
