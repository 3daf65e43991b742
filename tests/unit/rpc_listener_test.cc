// How the node-wide in-flight budget is shared among connections (node/rpc/rpc_listener.h).

#include <catch2/catch.hpp>

#include "node/rpc/rpc_listener.h"

using namespace ringkv;

TEST_CASE("connections share the in-flight budget evenly, within the per-connection cap and floor") {
  RpcLimits limits;  // 16 MB per connection, 256 MB in all
  CHECK(InflightShare(limits, 0) == 16u << 20);
  CHECK(InflightShare(limits, 1) == 16u << 20);   // one connection: its own cap
  CHECK(InflightShare(limits, 16) == 16u << 20);  // 256 / 16
  CHECK(InflightShare(limits, 17) == 8u << 20);   // 15.06 MB rounds down to 8
  CHECK(InflightShare(limits, 1024) == 256u << 10);
  CHECK(InflightShare(limits, 100000) == kMinInflightShare);  // never below the floor
  for (size_t open : {1, 2, 3, 50, 300, 1000, 4000}) {
    uint64_t share = InflightShare(limits, open);
    INFO(open << " connections: " << share << " bytes each");
    CHECK(share * open <= std::max<uint64_t>(limits.max_inflight_total_bytes, kMinInflightShare * open));
    CHECK((share & (share - 1)) == 0);  // a power of two
  }
}
