// Security on real processes: the client token (SDK, kv, admin endpoint), the cluster
// secret (a node without it cannot join: refused from gossip and streaming), and mutual
// TLS with the cluster's CA (another CA, or plain TCP, cannot connect).

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "tests/cluster/http_client.h"
#include "tests/cluster/local_cluster.h"
#include "tests/cluster/security_files.h"
#include "tests/temp_dir.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;

namespace {

bool IsMember(Client& client, const std::string& id) {
  (void)client.RefreshRing();
  for (const auto& m : client.Members()) {
    if (m.id == id) return true;
  }
  return false;
}

std::vector<std::string> TlsFlags(const TlsFiles& f) {
  return {"--tls-ca", f.ca_file, "--tls-cert", f.cert_file, "--tls-key", f.key_file};
}

}  // namespace

TEST_CASE(
    "a client without the token gets a clear auth error, and with it data, admin calls and the admin endpoint work") {
  TempDir secrets;
  auto options = FastCluster(3);
  const std::string token_file = WriteSecret(secrets, "token", kToken);
  std::vector<std::string> flags = {"--cluster-secret-file", WriteSecret(secrets, "secret", kSecret),
                                    "--client-token-file",   token_file,
                                    "--admin-auth",          "always"};
  options.extra_flags.insert(options.extra_flags.end(), flags.begin(), flags.end());
  auto cluster = LocalCluster::Start(options);
  REQUIRE(cluster.ok());

  auto anonymous = (*cluster)->Connect();
  REQUIRE_FALSE(anonymous.ok());
  CHECK(anonymous.status().IsUnauthenticated());
  CHECK_THAT(anonymous.status().message(), Catch::Contains("requires a client token"));
  ClientOptions wrong;
  wrong.token = "client-token-not-the-right-one";
  auto impostor = (*cluster)->Connect(wrong);
  REQUIRE_FALSE(impostor.ok());
  CHECK(impostor.status().IsUnauthenticated());

  ClientOptions good;
  good.token = kToken;
  auto client = (*cluster)->Connect(good);
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  REQUIRE((*client)->Put("secret-key", "secret-value").ok());
  auto got = (*client)->Get("secret-key");
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"secret-value"});
  // The nodes authenticate to each other with the secret: gossip keeps everyone up.
  CHECK(Eventually(10s, [&] { return AllMembersUp(**client); }));
  CHECK(StatValue(**client, "node1", "rpc_unauthenticated_total") >= 1);

  // kv: a clear message and its own exit code without the token; works with it.
  const std::string kv = std::string(RINGKV_KV_PATH) + " --cluster " + (*cluster)->seeds();
  CommandResult refused = RunCommand(kv + " get secret-key");
  CHECK(refused.exit_code == 6);
  CHECK_THAT(refused.output, Catch::Contains("refused this client") && Catch::Contains("client token"));
  CommandResult allowed = RunCommand(kv + " --token-file " + token_file + " get secret-key");
  INFO(allowed.output);
  CHECK(allowed.exit_code == 0);
  CHECK_THAT(allowed.output, Catch::Contains("secret-value"));

  // The admin endpoint: /health is open, the rest needs the token.
  const std::string admin = (*cluster)->admin_address(0);
  auto health = HttpGet(admin, "/health");
  REQUIRE(health.ok());
  CHECK(health->status == 200);
  for (const char* page : {"/metrics", "/v1/members", "/v1/ring", "/v1/stats", "/"}) {
    auto denied = HttpGet(admin, page);
    REQUIRE(denied.ok());
    CHECK(denied->status == 401);
    auto with_header = HttpRequest(admin, "GET", page, "", 10s, std::string("Bearer ") + kToken);
    REQUIRE(with_header.ok());
    CHECK(with_header->status == 200);
  }
  auto wrong_token = HttpRequest(admin, "GET", "/metrics", "", 10s, "Bearer client-token-not-the-right-one");
  REQUIRE(wrong_token.ok());
  CHECK(wrong_token->status == 401);
  auto dashboard = HttpGet(admin, std::string("/?token=") + kToken);  // how a browser opens it
  REQUIRE(dashboard.ok());
  CHECK(dashboard->status == 200);
}

TEST_CASE("a node with the wrong cluster secret cannot join, and one with the right secret can") {
  TempDir secrets;
  auto options = FastCluster(3);
  options.extra_flags.push_back("--cluster-secret-file");
  options.extra_flags.push_back(WriteSecret(secrets, "secret", kSecret));
  auto cluster = LocalCluster::Start(options);
  REQUIRE(cluster.ok());
  auto client = (*cluster)->Connect();  // no client token required: data is open, the cluster is not
  REQUIRE(client.ok());
  for (int i = 0; i < 200; ++i) REQUIRE((*client)->Put("k" + std::to_string(i), "v").ok());

  // node4 has another secret: it reads the ring as any client may, claims tokens and
  // gossips its join — every node refuses its gossip and streaming.
  auto intruder = (*cluster)->AddJoiningNode(
      {"--cluster-secret-file", WriteSecret(secrets, "other", "another-clusters-secret-000")});
  REQUIRE(intruder.ok());
  const std::string intruder_id = (*cluster)->id(*intruder);
  std::this_thread::sleep_for(3s);  // many gossip rounds (100 ms) and handoff attempts
  CHECK_FALSE(IsMember(**client, intruder_id));
  double refused = 0;
  for (int i = 0; i < 3; ++i) refused += StatValue(**client, (*cluster)->id(i), "rpc_unauthenticated_total");
  CHECK(refused >= 1);
  CHECK_THAT((*cluster)->kvnode_log(*intruder), Catch::Contains("cluster's secret"));
  REQUIRE((*cluster)->Kill(*intruder).ok());

  // The same join with the cluster's secret works: gossip and streaming are let through.
  auto member = (*cluster)->AddJoiningNode();
  REQUIRE(member.ok());
  const std::string member_id = (*cluster)->id(*member);
  CHECK(Eventually(20s, [&] { return IsMember(**client, member_id); }));
  CHECK_FALSE(IsMember(**client, intruder_id));
}

TEST_CASE("with mutual TLS the cluster CA's nodes and clients work, and another CA or plain TCP cannot connect") {
  TempDir dir;
  const std::string ours = dir.file("ca"), theirs = dir.file("rogue");
  MakeCerts(ours, "node client");
  MakeCerts(theirs, "node client");
  auto options = FastCluster(3);
  auto node_tls = TlsFlags(Tls(ours, "node"));
  options.extra_flags.insert(options.extra_flags.end(), node_tls.begin(), node_tls.end());
  auto cluster = LocalCluster::Start(options);
  REQUIRE(cluster.ok());

  ClientOptions tls;
  tls.tls = Tls(ours, "client");
  auto client = (*cluster)->Connect(tls);
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  RequestOptions all;
  all.level = Consistency::kAll;
  for (int i = 0; i < 100; ++i) REQUIRE((*client)->Put("tls-" + std::to_string(i), "over tls", {}, all).ok());
  auto got = (*client)->Get("tls-7", all);
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"over tls"});
  CHECK(Eventually(10s, [&] { return AllMembersUp(**client); }));  // gossip over TLS
  auto repair = RepairWhenSettled(**client, "node1");              // Merkle repair over TLS
  INFO(repair.status().ToString());
  CHECK(repair.ok());

  // Plain TCP: the node wants a TLS handshake and drops the connection.
  ClientOptions plain;
  plain.timeout = 1000ms;
  auto refused = (*cluster)->Connect(plain);
  CHECK_FALSE(refused.ok());
  // Another CA: its certificate is not trusted by the nodes, nor theirs by it.
  ClientOptions rogue;
  rogue.timeout = 1000ms;
  rogue.tls = Tls(theirs, "client");
  auto stranger = (*cluster)->Connect(rogue);
  REQUIRE_FALSE(stranger.ok());
  CHECK(stranger.status().code() == StatusCode::kUnavailable);
  // Our CA trusted, but a client certificate of another CA: the node refuses it.
  ClientOptions half = rogue;
  half.tls.ca_file = ours + "/ca.pem";
  CHECK_FALSE((*cluster)->Connect(half).ok());
  CHECK(StatValue(**client, "node1", "rpc_tls_handshake_failures_total") >= 3);

  // A node with another CA's certificate cannot even fetch the ring to join.
  auto intruder = (*cluster)->AddJoiningNode(TlsFlags(Tls(theirs, "node")));
  REQUIRE_FALSE(intruder.ok());
  CHECK_THAT(intruder.status().message(), Catch::Contains("certificate"));
}

TEST_CASE("bad secrets and TLS files are refused at startup with a clear error, before any data is written") {
  TempDir dir;
  const std::string secret = WriteSecret(dir, "secret", kSecret);
  const std::string shared = dir.file("shared");
  std::ofstream(shared) << kToken << "\n";
  ::chmod(shared.c_str(), 0644);
  std::ofstream(dir.file("bad.pem")) << "not a certificate\n";
  const std::string node = std::string(RINGKV_KVNODE_PATH) + " --id n1 --listen 127.0.0.1:1 --data " + dir.file("data");
  struct Case {
    std::string flags, message;
  };
  for (const Case& c : std::vector<Case>{
           {"--cluster-secret-file " + dir.file("missing"), "not found"},
           {"--cluster-secret-file " + shared, "readable by other users"},
           {"--client-token-file " + secret, "needs --cluster-secret-file"},
           {"--cluster-secret-file " + secret + " --client-token-file " + secret, "must differ"},
           {"--tls-ca " + dir.file("bad.pem"), "all of --tls-ca, --tls-cert and --tls-key"},
           {"--tls-ca " + dir.file("bad.pem") + " --tls-cert " + dir.file("bad.pem") + " --tls-key " +
                dir.file("bad.pem"),
            "is not a PEM file"},
           {"--admin 0.0.0.0:0", "needs --client-token-file"},
       }) {
    auto run = RunCommand(node + " " + c.flags);
    INFO(c.flags << "\n" << run.output);
    CHECK(run.exit_code != 0);
    CHECK_THAT(run.output, Catch::Contains(c.message));
  }
  CHECK_FALSE(std::filesystem::exists(dir.file("data")));  // nothing created, nothing lost

  // The client side: kv with a bad token file, the SDK with TLS files that are not there.
  auto kv = RunCommand(std::string(RINGKV_KV_PATH) + " --cluster 127.0.0.1:1 --token-file " + shared + " get k");
  CHECK(kv.exit_code == 2);
  CHECK_THAT(kv.output, Catch::Contains("readable by other users"));
  ClientOptions options;
  options.seeds = {"127.0.0.1:1"};
  options.tls = {dir.file("missing-ca.pem"), dir.file("c.pem"), dir.file("k.pem"), "ringkv"};
  auto client = Client::Connect(options);
  REQUIRE_FALSE(client.ok());
  CHECK(client.status().IsInvalidArgument());
  CHECK_THAT(client.status().message(), Catch::Contains("missing-ca.pem' cannot be read"));
}
