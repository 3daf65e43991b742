#include "node/rpc/credentials.h"

namespace ringkv {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // The length is not secret (secrets have a fixed format); the content is.
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

Access AccessFor(const Credentials& required, std::string_view presented) {
  const bool secret_matches =
      !required.cluster_secret.empty() && ConstantTimeEquals(presented, required.cluster_secret);
  const bool token_matches = !required.client_token.empty() && ConstantTimeEquals(presented, required.client_token);
  if (secret_matches || required.cluster_secret.empty()) return Access::kPeer;
  if (token_matches || required.client_token.empty()) return Access::kClient;
  return Access::kNone;
}

Status ValidateCredentials(const Credentials& c) {
  if (!c.client_token.empty() && c.cluster_secret.empty()) {
    return Status::InvalidArgument(
        "a client token needs a cluster secret too (--cluster-secret-file): without one anyone could "
        "call the node-to-node methods and read every key");
  }
  if (!c.client_token.empty() && c.client_token == c.cluster_secret) {
    return Status::InvalidArgument("the client token and the cluster secret must differ");
  }
  return Status::OK();
}

}  // namespace ringkv
