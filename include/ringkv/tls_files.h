#pragma once
// TlsFiles: where a ringkv process finds its TLS material (ClientOptions::tls for an app;
// kvnode and kv fill the same struct from --tls-ca, --tls-cert, --tls-key, --tls-server-name).
//
// With ca_file set, every connection is TLS 1.2+ with certificates from the cluster's own
// CA, and nodes also check the client's certificate (mutual TLS), so a client needs a
// certificate and key of that CA too. The files are read when the client connects (or the
// node starts): a missing or non-PEM file is an InvalidArgument naming it, never a failure
// on first use (docs/security.md).

#include <string>

namespace ringkv {

// All paths to PEM files. Empty ca_file: TLS off.
struct TlsFiles {
  std::string ca_file;                 // the cluster CA: peers' certificates must be signed by it
  std::string cert_file;               // this process's certificate (a node's; a client's for mutual TLS)
  std::string key_file;                // its private key
  std::string server_name = "ringkv";  // name nodes' certificates carry (DNS SAN), checked by clients
  bool enabled() const { return !ca_file.empty(); }
};

}  // namespace ringkv
