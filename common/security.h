#pragma once
// Secrets and TLS material as nodes, the SDK and the kv shell read them from files.
//
// A cluster can require two credentials, each a secret string read from a file:
//   - the cluster secret, which nodes present to each other: without it a process cannot
//     gossip, stream, repair or hand off hints with the cluster's nodes;
//   - the client token, which applications (SDK) and operators (kv, the admin endpoint)
//     present: without it no data or admin call is served.
// What a presented credential grants is the node's decision (node/rpc/credentials.h).
//
// TLS: every connection (client to node, node to node) is TLS 1.2+ with certificates from
// the cluster's own CA, and the node also checks the client's certificate (mutual TLS).
// Where the files are is public (ringkv/tls_files.h); loading them is internal.

#include <string>
#include <string_view>

#include "ringkv/status.h"
#include "ringkv/tls_files.h"

namespace ringkv {

// A secret from a file: the first line, without its newline. Refuses a missing, empty or
// group/world-readable file (chmod 600), naming `what` in the error.
Result<std::string> ReadSecretFile(const std::string& path, std::string_view what);

// True for 127.0.0.0/8, ::1 and "localhost": an endpoint bound there is reachable only
// from this machine.
bool IsLoopbackHost(std::string_view host);

// The TLS files, loaded (PEM text), so that each event loop can build its own TLS context.
struct TlsMaterial {
  std::string ca_pem, cert_pem, key_pem, server_name;
};

// Reads the files; InvalidArgument naming the file that is missing or not PEM. A node
// needs cert and key; a client may leave them out only if nodes do not verify clients
// (they always do in ringkv, so kv and the SDK need them too).
Result<TlsMaterial> LoadTlsMaterial(const TlsFiles& files);

}  // namespace ringkv
