#pragma once
// The files a secured test cluster is started from, made as an operator would make them:
// the cluster secret and client token (one line, chmod 600) and, for TLS, a CA with a
// certificate per name (scripts/make-certs.sh). Shared by security_test and access_test.

#include <sys/stat.h>

#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "tests/cluster/local_cluster.h"
#include "tests/temp_dir.h"

namespace ringkv::testing {

inline constexpr const char* kSecret = "cluster-secret-0123456789abcdef";
inline constexpr const char* kToken = "client-token-0123456789abcdef";

// Writes `secret` (and a newline) to `dir`/`name`, replacing what was there, chmod 600.
// Returns the path.
inline std::string WriteSecret(const TempDir& dir, const std::string& name, const std::string& secret) {
  std::string path = dir.file(name);
  std::ofstream(path, std::ios::trunc) << secret << "\n";
  ::chmod(path.c_str(), 0600);
  return path;
}

// scripts/make-certs.sh into `dir`: a CA and one certificate per name (space-separated).
inline void MakeCerts(const std::string& dir, const std::string& names) {
  CommandResult r = RunCommand(std::string(RINGKV_SOURCE_DIR) + "/scripts/make-certs.sh " + dir + " " + names);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
}

// The CA and `name`'s certificate and key that MakeCerts wrote to `dir`.
inline TlsFiles Tls(const std::string& dir, const std::string& name) {
  return {dir + "/ca.pem", dir + "/" + name + ".pem", dir + "/" + name + "-key.pem", "ringkv"};
}

}  // namespace ringkv::testing
