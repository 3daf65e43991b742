#pragma once
// Cross-DC replication on the nodes. A client writing at a LOCAL_* level reaches only its
// own DC's replicas; the replica that coordinates the write queues the result durably,
// before it acks, for every other DC (a hint whose target is "dc:NAME"). Hinted handoff
// ships those hints to one live node of each DC, which applies the write if it is a
// replica of the key and queues it as an ordinary hint for the key's other replicas in
// its DC — so each version crosses the WAN once per DC, survives restarts on both sides,
// and waits out a DC that cannot be reached. Versions merge by vector clock, so the order
// in which they arrive does not matter.

#include <string>
#include <string_view>
#include <vector>

#include "common/ring_view.h"
#include "node/replica/hint_store.h"
#include "node/replica/replica_store.h"

namespace ringkv {

bool IsDcTarget(std::string_view target);   // "dc:NAME"
std::string DcTarget(std::string_view dc);  // NAME -> "dc:NAME"
std::string_view DcOfTarget(std::string_view target);

// Queues `set` for each of `dcs` (the coordinator, before it acks the client).
Status QueueForDcs(HintStore& hints, std::string_view key, const SiblingSet& set, const std::vector<std::string>& dcs,
                   bool lww, uint64_t now_ms, HintStore::Mode mode);

// Applies a write shipped to DC `dc` at this node: merged here if this node is one
// of the key's replicas there, queued as hints for the others. A node outside `dc` (the
// ring changed in between) queues it for `dc` again.
Status FanOutInDc(ReplicaStore& store, HintStore& hints, const RingView& view, std::string_view self_id,
                  std::string_view self_dc, std::string_view dc, std::string_view key, const SiblingSet& set, bool lww,
                  uint64_t now_ms, HintStore::Mode mode);

}  // namespace ringkv
