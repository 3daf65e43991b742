#include "capnp/request_header.h"

namespace ringkv::wire {

void FillRequestHeader(RequestHeader::Builder header, std::string_view cluster, uint64_t ring_version) {
  header.setProtocolVersion(PROTOCOL_VERSION);
  header.setClusterName(capnp::Text::Reader(cluster.data(), cluster.size()));
  header.setRingVersion(ring_version);
}

}  // namespace ringkv::wire
