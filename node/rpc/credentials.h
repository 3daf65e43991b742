#pragma once
// What a credential presented at login grants on this node (the Gate, node/rpc/gate.h).
// Node-only: an application never sees these types; it only presents its client token
// (ClientOptions::token). How secrets are read from files: common/security.h.
//
// A cluster can require two credentials: the cluster secret, which nodes present to each
// other, and the client token, which applications and operators present. AccessFor() is
// the one place that decides what a presented credential grants.

#include <memory>
#include <string>
#include <string_view>

#include "common/mutex.h"
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

// Who a connection logged in as (node/rpc/gate.h), and so what its calls may do.
struct Principal {
  Access access = Access::kNone;
  // Empty: the cluster secret or the client token (or nothing was required): every
  // namespace and every admin call within `access`. Else a user of the user catalog
  // (node/cluster/users.h) whose grants are checked on every call.
  std::string user;
  std::string salt;  // the user's salt at login: a new password (or removal) ends old logins
};

// The credentials a node requires now. Replaced whole when the node reloads its files
// (SIGHUP); read by the gate on the event loop and by the admin endpoint's thread. A
// connection keeps what it was granted at login; the next logins see the new credentials.
class RequiredCredentials {
 public:
  explicit RequiredCredentials(Credentials c) : current_(std::make_shared<const Credentials>(std::move(c))) {}
  std::shared_ptr<const Credentials> Get() const {
    MutexLock lock(&mu_);
    return current_;
  }
  void Set(Credentials c) {
    auto fresh = std::make_shared<const Credentials>(std::move(c));
    MutexLock lock(&mu_);
    current_ = std::move(fresh);
  }

 private:
  mutable Mutex mu_;
  std::shared_ptr<const Credentials> current_ GUARDED_BY(mu_);
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
