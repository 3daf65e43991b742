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
