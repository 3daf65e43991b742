#pragma once
// Credentials and TLS settings shared by nodes, the SDK and the kv shell.
//
// A cluster can require two credentials, each a secret string read from a file:
//   - the cluster secret, which nodes present to each other: without it a process cannot
//     gossip, stream, repair or hand off hints with the cluster's nodes;
//   - the client token, which applications (SDK) and operators (kv, the admin endpoint)
//     present: without it no data or admin call is served.
// Access() is the one place that decides what a presented credential grants.
//
// TLS: every connection (client to node, node to node) is TLS 1.2+ with certificates from
// the cluster's own CA, and the node also checks the client's certificate (mutual TLS).

#include <string>
#include <string_view>

#include "common/status.h"

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

// A secret from a file: the first line, without its newline. Refuses a missing, empty or
// group/world-readable file (chmod 600), naming `what` in the error.
Result<std::string> ReadSecretFile(const std::string& path, std::string_view what);

bool ConstantTimeEquals(std::string_view a, std::string_view b);

// True for 127.0.0.0/8, ::1 and "localhost": an endpoint bound there is reachable only
// from this machine.
bool IsLoopbackHost(std::string_view host);

// Where to find the TLS material; all paths to PEM files. Empty ca_file: TLS off.
struct TlsFiles {
  std::string ca_file;                 // the cluster CA: peers' certificates must be signed by it
  std::string cert_file;               // this process's certificate (a node's; a client's for mutual TLS)
  std::string key_file;                // its private key
  std::string server_name = "ringkv";  // name nodes' certificates carry (DNS SAN), checked by clients
  bool enabled() const { return !ca_file.empty(); }
};

// The same, loaded (PEM text), so that each event loop can build its own TLS context.
struct TlsMaterial {
  std::string ca_pem, cert_pem, key_pem, server_name;
};

// Reads the files; InvalidArgument naming the file that is missing or not PEM. A node
// needs cert and key; a client may leave them out only if nodes do not verify clients
// (they always do in ringkv, so kv and the SDK need them too).
Result<TlsMaterial> LoadTlsMaterial(const TlsFiles& files);

}  // namespace ringkv
