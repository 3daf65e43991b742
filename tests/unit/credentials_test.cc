// What a credential grants, how secrets are read, when the admin endpoint asks for the
// token, and TLS material that is refused at startup rather than on first use.

#include <sys/stat.h>

#include <fstream>

#include <catch2/catch.hpp>

#include "capnp/tls.h"
#include "common/security.h"
#include "node/admin/admin_routes.h"
#include "node/node_config.h"
#include "node/rpc/credentials.h"
#include "temp_dir.h"

using namespace ringkv;
using ringkv::testing::TempDir;

namespace {

constexpr const char* kSecret = "cluster-secret-0123456789";
constexpr const char* kToken = "client-token-0123456789";

std::string WriteFile(const TempDir& dir, const std::string& name, const std::string& text, mode_t mode) {
  std::string path = dir.file(name);
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

}  // namespace

TEST_CASE("a credential grants peer, client or no access, as the cluster requires") {
  Credentials open;
  CHECK(AccessFor(open, "") == Access::kPeer);
  CHECK(AccessFor(open, "anything") == Access::kPeer);

  Credentials secret_only{kSecret, ""};
  CHECK(AccessFor(secret_only, kSecret) == Access::kPeer);
  CHECK(AccessFor(secret_only, "") == Access::kClient);  // data open, node-to-node closed
  CHECK(AccessFor(secret_only, "cluster-secret-0123456780") == Access::kClient);

  Credentials both{kSecret, kToken};
  CHECK(AccessFor(both, kSecret) == Access::kPeer);
  CHECK(AccessFor(both, kToken) == Access::kClient);
  CHECK(AccessFor(both, "") == Access::kNone);
  CHECK(AccessFor(both, std::string(kToken) + "x") == Access::kNone);
  CHECK(AccessFor(both, std::string(kToken).substr(1)) == Access::kNone);
}

TEST_CASE("a client token without a cluster secret, or equal to it, is refused") {
  CHECK(ValidateCredentials({"", ""}).ok());
  CHECK(ValidateCredentials({kSecret, ""}).ok());
  CHECK(ValidateCredentials({kSecret, kToken}).ok());
  CHECK_THAT(ValidateCredentials({"", kToken}).message(), Catch::Contains("needs a cluster secret"));
  CHECK_THAT(ValidateCredentials({kSecret, kSecret}).message(), Catch::Contains("must differ"));
}

TEST_CASE("secrets are read from private files only, with clear errors") {
  TempDir dir;
  auto good = ReadSecretFile(WriteFile(dir, "good", std::string(kSecret) + "\n", 0600), "cluster secret");
  REQUIRE(good.ok());
  CHECK(*good == kSecret);
  CHECK_THAT(ReadSecretFile(WriteFile(dir, "shared", kSecret, 0644), "cluster secret").status().message(),
             Catch::Contains("readable by other users"));
  CHECK_THAT(ReadSecretFile(WriteFile(dir, "short", "abc\n", 0600), "client token").status().message(),
             Catch::Contains("shorter than 16"));
  CHECK_THAT(ReadSecretFile(WriteFile(dir, "empty", "", 0600), "client token").status().message(),
             Catch::Contains("empty"));
  CHECK_THAT(ReadSecretFile(dir.file("missing"), "client token").status().message(), Catch::Contains("not found"));
}

TEST_CASE("the admin endpoint needs the token beyond loopback or when told to, and then only lets /health through") {
  CHECK(IsLoopbackHost("127.0.0.1"));
  CHECK(IsLoopbackHost("127.3.2.1"));
  CHECK(IsLoopbackHost("localhost"));
  CHECK(IsLoopbackHost("::1"));
  CHECK_FALSE(IsLoopbackHost("0.0.0.0"));
  CHECK_FALSE(IsLoopbackHost("10.0.0.7"));
  CHECK_FALSE(IsLoopbackHost("127.example.com"));

  NodeConfig c;
  c.admin = "9100";  // a bare port binds 127.0.0.1
  CHECK_FALSE(AdminNeedsToken(c));
  c.admin = "0.0.0.0:9100";
  CHECK(AdminNeedsToken(c));
  c.admin = "127.0.0.2:9100";
  c.admin_auth = "always";
  CHECK(AdminNeedsToken(c));

  // A node config that would expose the endpoint without a token to check is refused.
  c = NodeConfig{};
  c.id = "n1";
  c.data_dir = "/tmp/n1";
  c.admin = "0.0.0.0:9100";
  CHECK_THAT(ValidateNodeConfig(c).message(), Catch::Contains("needs --client-token-file"));
  c.cluster_secret_file = "/s";
  c.client_token_file = "/t";
  CHECK(ValidateNodeConfig(c).ok());
  c.admin_auth = "sometimes";
  CHECK_THAT(ValidateNodeConfig(c).message(), Catch::Contains("--admin-auth must be auto or always"));
  c.admin_auth = "auto";
  c.tls_ca = "/ca.pem";
  CHECK_THAT(ValidateNodeConfig(c).message(), Catch::Contains("all of --tls-ca, --tls-cert and --tls-key"));

  NodeServices services;
  services.admin_token = kToken;
  CHECK(HandleAdminRequest(services, "GET", "/v1/ring").status == 401);
  CHECK(HandleAdminRequest(services, "GET", "/metrics", "Bearer wrong-token-0123456789").status == 401);
  CHECK(HandleAdminRequest(services, "GET", "/", std::string("Bearer ") + kToken).status == 200);
  CHECK(HandleAdminRequest(services, "GET", std::string("/?refresh=1&token=") + kToken).status == 200);
  CHECK(HandleAdminRequest(services, "GET", "/?token=").status == 401);
}

TEST_CASE("TLS material that cannot work is refused with the file or part named") {
  TempDir dir;
  TlsFiles missing{dir.file("ca.pem"), dir.file("node.pem"), dir.file("node-key.pem"), "ringkv"};
  CHECK_THAT(LoadTlsMaterial(missing).status().message(), Catch::Contains("ca.pem' cannot be read"));
  TlsFiles no_key{dir.file("ca.pem"), "", "", "ringkv"};
  CHECK_THAT(LoadTlsMaterial(no_key).status().message(), Catch::Contains("--tls-cert"));
  WriteFile(dir, "ca.pem", "not a certificate", 0600);
  WriteFile(dir, "node.pem", "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n", 0600);
  WriteFile(dir, "node-key.pem", "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n", 0600);
  CHECK_THAT(LoadTlsMaterial(missing).status().message(), Catch::Contains("not a PEM file"));
  TlsMaterial garbage{"-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n", "", "", "ringkv"};
  auto context = wire::MakeTlsContext(garbage, wire::TlsRole::kServer);
  REQUIRE_FALSE(context.ok());
  CHECK_THAT(context.status().message(), Catch::Contains("cannot load the CA certificate"));
}
