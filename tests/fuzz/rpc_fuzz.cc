// Fuzz target: the node's handling of Cap'n Proto messages — a malformed, truncated or
// oversized message read under the same limits the RPC layer uses, then taken apart by
// the conversions the server runs on coordinatePuts, replicate, gossip and ring replies.
// The first byte picks the message type; the rest is the message (segment table + data).

#include <capnp/serialize.h>
#include <kj/debug.h>

#include <cstdint>
#include <cstring>

#include "capnp/convert.h"
#include "capnp/kv.capnp.h"
#include "node/cluster/gossip.h"

using namespace ringkv;

namespace {

template <typename Params>
void Take(capnp::MessageReader& message);

template <>
void Take<wire::Node::CoordinatePutsParams>(capnp::MessageReader& message) {
  auto params = message.getRoot<wire::Node::CoordinatePutsParams>();
  for (auto item : params.getPuts()) {
    (void)wire::FromWire(item.getContext());
    (void)wire::FromWire(item.getWrite());
    (void)wire::ToBytes(item.getKey());
    (void)wire::ToText(item.getHintFor());
    for (auto dc : item.getShipToDcs()) (void)wire::ToText(dc);
  }
}

template <>
void Take<wire::Node::ReplicateParams>(capnp::MessageReader& message) {
  auto params = message.getRoot<wire::Node::ReplicateParams>();
  for (auto entry : params.getEntries()) {
    (void)wire::FromWire(entry.getValue());
    (void)wire::ToBytes(entry.getKey());
  }
}

template <>
void Take<wire::Node::GossipParams>(capnp::MessageReader& message) {
  (void)FromWire(message.getRoot<wire::Node::GossipParams>().getRecords());
}

template <>
void Take<wire::RingSnapshot>(capnp::MessageReader& message) {
  (void)wire::FromWire(message.getRoot<wire::RingSnapshot>());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 + sizeof(capnp::word)) return 0;
  uint8_t kind = data[0];
  size_t words = (size - 1) / sizeof(capnp::word);
  auto buffer = kj::heapArray<capnp::word>(words);
  std::memcpy(buffer.begin(), data + 1, words * sizeof(capnp::word));
  capnp::ReaderOptions limits;
  limits.traversalLimitInWords = 1 << 20;  // 8 MB, as a bounded RPC message
  limits.nestingLimit = 32;
  kj::runCatchingExceptions([&] {
    capnp::FlatArrayMessageReader message(buffer, limits);
    switch (kind % 4) {
      case 0:
        Take<wire::Node::CoordinatePutsParams>(message);
        break;
      case 1:
        Take<wire::Node::ReplicateParams>(message);
        break;
      case 2:
        Take<wire::Node::GossipParams>(message);
        break;
      default:
        Take<wire::RingSnapshot>(message);
        break;
    }
  });
  return 0;
}
