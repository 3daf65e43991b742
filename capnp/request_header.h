#pragma once
// The header every request to a node carries, filled in one place: the protocol version,
// the cluster the request is meant for (empty: any; a node of another cluster refuses a
// named one) and the ring version it was routed with (0: not routed by the ring, never
// refused as stale).

#include <cstdint>
#include <string_view>

#include "capnp/kv.capnp.h"

namespace ringkv::wire {

void FillRequestHeader(RequestHeader::Builder header, std::string_view cluster, uint64_t ring_version = 0);

}  // namespace ringkv::wire
