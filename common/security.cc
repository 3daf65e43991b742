#include "common/security.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace ringkv {
namespace {

Result<std::string> ReadPemFile(const std::string& path, std::string_view what) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument(std::string(what) + " '" + path + "' cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  std::string pem = text.str();
  if (pem.find("-----BEGIN ") == std::string::npos) {
    return Status::InvalidArgument(std::string(what) + " '" + path + "' is not a PEM file");
  }
  return pem;
}

}  // namespace

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

Result<std::string> ReadSecretFile(const std::string& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Status::InvalidArgument(std::string(what) + " file '" + path + "' not found");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Status::InvalidArgument(std::string(what) + " file '" + path + "' is readable by other users: chmod 600 it");
  }
  std::ifstream in(path);
  std::string secret;
  if (!in || !std::getline(in, secret))
    return Status::InvalidArgument(std::string(what) + " file '" + path + "' is empty");
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.size() < 16) {
    return Status::InvalidArgument(std::string(what) + " in '" + path + "' is shorter than 16 characters");
  }
  return secret;
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  if (host.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      return false;
  }
  return dots == 3;
}

Result<TlsMaterial> LoadTlsMaterial(const TlsFiles& files) {
  if (files.cert_file.empty() || files.key_file.empty()) {
    return Status::InvalidArgument("TLS needs a certificate and its key as well as the CA (--tls-cert, --tls-key)");
  }
  TlsMaterial m;
  RINGKV_ASSIGN(m.ca_pem, ReadPemFile(files.ca_file, "TLS CA certificate"));
  RINGKV_ASSIGN(m.cert_pem, ReadPemFile(files.cert_file, "TLS certificate"));
  RINGKV_ASSIGN(m.key_pem, ReadPemFile(files.key_file, "TLS private key"));
  m.server_name = files.server_name.empty() ? "ringkv" : files.server_name;
  return m;
}

}  // namespace ringkv
