#pragma once
// What a credential presented at login grants on this node (the Gate, node/rpc/gate.h).
// Node-only: an application never sees these types; it only presents its client token
// (ClientOptions::token). How secrets are read from files: common/security.h.
//
// A cluster can require two credentials: the cluster secret, which nodes present to each
// other, and the client token, which applications and operators present. AccessFor() is
// the one place that decides what a presented credential grants.

#include <string>
#include <string_view>

#include "ringkv/status.h"

namespace ringkv {

// What a connection may call; ordered, each level includes the ones below.
enum class Access {
  kNone,    // nothing (ping excepted): a credential is required and none matched
  kClient,  // data (get/put/replicate/ring) and admin calls
  kPeer,    // also gossip, streaming and Merkle sessions: another node of the cluster
};

struct Credentials {
  std::string cluster_secret;  // empty: nodes are not authenticated (any peer may gossip)
  std::string client_token;    // empty: clients are not authenticated
};

// What `presented` grants against `required`. With neither set everything is open; a
// cluster secret alone closes the node-to-node calls; a client token (which requires the
// cluster secret, see ValidateCredentials) closes the rest. Constant-time comparisons.
Access AccessFor(const Credentials& required, std::string_view presented);

// A client token without a cluster secret would let anyone act as a node (and so read
// everything through the node-to-node calls): refused with a clear error.
Status ValidateCredentials(const Credentials& c);

// Equal strings, in a time that does not depend on where they differ (only on the length).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace ringkv
