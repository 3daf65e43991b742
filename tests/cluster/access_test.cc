// Users, roles and reloads on real processes (docs/security.md): every denial path of the
// user catalog gets a clear error and writes nothing; the admin endpoint speaks HTTPS with
// mutual TLS when the cluster does; SIGHUP swaps the token and the certificates while a
// client keeps writing.

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/cluster/http_client.h"
#include "tests/cluster/local_cluster.h"
#include "tests/cluster/security_files.h"
#include "tests/temp_dir.h"

using namespace ringkv;
using namespace ringkv::testing;
using namespace std::chrono_literals;

namespace {

ClientOptions AsUser(const std::string& user, const std::string& password) {
  ClientOptions o;
  o.user = user;
  o.password = password;
  o.timeout = 3000ms;
  return o;
}

// Every node's catalog holds `users` live users (gossip has spread the changes).
bool UsersEverywhere(LocalCluster& cluster, Client& admin, double users) {
  for (int i = 0; i < cluster.size(); ++i) {
    if (StatValue(admin, cluster.id(i), "users") != users) return false;
  }
  return true;
}

// A read at ALL by `client` (an admin) finds nothing under `key`: nothing was written.
bool NothingAt(Client& client, const std::string& key, const RequestOptions& options = {}) {
  RequestOptions all = options;
  all.level = Consistency::kAll;
  auto got = client.Get(key, all);
  return got.ok() && !got->found && got->siblings.empty();
}

}  // namespace

TEST_CASE("every denial path of users and roles answers a clear error and writes nothing") {
  TempDir secrets;
  auto options = FastCluster(3);
  std::vector<std::string> flags = {"--cluster-secret-file", WriteSecret(secrets, "secret", kSecret),
                                    "--client-token-file", WriteSecret(secrets, "token", kToken)};
  options.extra_flags.insert(options.extra_flags.end(), flags.begin(), flags.end());
  auto cluster = LocalCluster::Start(options);
  REQUIRE(cluster.ok());
  ClientOptions token;
  token.token = kToken;
  auto admin = (*cluster)->Connect(token);  // the shared token: the bootstrap admin
  INFO(admin.status().ToString());
  REQUIRE(admin.ok());
  REQUIRE((*admin)->CreateNamespace("orders", {}).ok());
  REQUIRE((*admin)->AddUser("reader", "reader-password-1", "read").ok());
  REQUIRE((*admin)->AddUser("clerk", "clerk-password-12", "write", "orders").ok());
  REQUIRE((*admin)->AddUser("ops", "ops-password-1234", "admin").ok());
  REQUIRE((*admin)->AddUser("reader", "another-password").IsInvalidArgument());  // exists
  CHECK(Eventually(10s, [&] { return UsersEverywhere(**cluster, **admin, 3); }));
  REQUIRE((*admin)->Put("existing", "v0").ok());

  // Unknown user, wrong password: Unauthenticated, the same words for both.
  for (auto [user, password] : {std::pair{"nobody", "whatever-password"}, std::pair{"reader", "wrong-password-1234"}}) {
    auto refused = (*cluster)->Connect(AsUser(user, password));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().IsUnauthenticated());
    CHECK_THAT(refused.status().message(), Catch::Contains("is unknown or the password is wrong"));
  }

  // A reader reads everywhere but cannot write: PermissionDenied, nothing written.
  auto reader = (*cluster)->Connect(AsUser("reader", "reader-password-1"));
  INFO(reader.status().ToString());
  REQUIRE(reader.ok());
  auto got = (*reader)->Get("existing");
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"v0"});
  Status put = (*reader)->Put("by-reader", "x").status();
  CHECK(put.IsPermissionDenied());
  CHECK_THAT(put.message(), Catch::Contains("'reader' needs the write role on namespace 'default'"));
  CHECK((*reader)->Delete("existing").status().IsPermissionDenied());
  RequestOptions all;
  all.level = Consistency::kAll;
  CHECK(NothingAt(**admin, "by-reader"));
  auto still = (*admin)->Get("existing", all);
  REQUIRE(still.ok());
  CHECK(still->values == std::vector<std::string>{"v0"});

  // A clerk with write on "orders" only: there it works; the default namespace is closed.
  auto clerk = (*cluster)->Connect(AsUser("clerk", "clerk-password-12"));
  REQUIRE(clerk.ok());
  RequestOptions orders;
  orders.ns = "orders";
  // The clerk's ring shows every node up first: a sanitized node's gossip, slowed by the
  // logins above, was seen calling two peers down for a moment, and W=2 then has one
  // replica to write (what this case tests is the grant, not availability).
  bool all_up = Eventually(15s, [&] {
    (void)(*clerk)->RefreshRing();
    for (const RingMember& m : (*clerk)->Members()) {
      if (m.status != "up") return false;
    }
    return true;
  });
  CHECK(all_up);
  Status in_orders = (*clerk)->Put("o1", "shoes", {}, orders).status();
  INFO(in_orders.ToString());
  REQUIRE(in_orders.ok());
  auto order = (*clerk)->Get("o1", orders);
  REQUIRE(order.ok());
  CHECK(order->values == std::vector<std::string>{"shoes"});
  CHECK((*clerk)->Get("existing").status().IsPermissionDenied());
  Status outside = (*clerk)->Put("by-clerk", "x").status();
  CHECK(outside.IsPermissionDenied());
  CHECK_THAT(outside.message(), Catch::Contains("needs the write role on namespace 'default'"));
  CHECK(NothingAt(**admin, "by-clerk"));

  // Admin calls without the admin role: refused, nothing changed.
  for (Client* c : {&**reader, &**clerk}) {
    CHECK(c->CreateNamespace("sneaky", {}).IsPermissionDenied());
    CHECK(c->AddUser("mallory", "mallory-password", "admin").IsPermissionDenied());
    CHECK(c->GrantUser("clerk", "admin").IsPermissionDenied());
    CHECK(c->ListUsers().status().IsPermissionDenied());
    CHECK(c->NodeStats("node1").status().IsPermissionDenied());
  }
  auto namespaces = (*admin)->ListNamespaces();
  REQUIRE(namespaces.ok());
  for (const auto& ns : *namespaces) CHECK(ns.name != "sneaky");
  auto users = (*admin)->ListUsers();
  REQUIRE(users.ok());
  CHECK(users->size() == 3);
  for (const auto& u : *users) {
    CHECK(u.name != "mallory");
    if (u.name == "clerk") CHECK(u.grants == std::map<std::string, std::string>{{"orders", "write"}});
  }

  // A user with the admin role does admin work.
  auto ops = (*cluster)->Connect(AsUser("ops", "ops-password-1234"));
  REQUIRE(ops.ok());
  REQUIRE((*ops)->GrantUser("reader", "write", "orders").ok());
  REQUIRE((*ops)->NodeStats("node1").ok());

  // A revoke applies to the next call of an open connection, once gossip has brought it.
  REQUIRE((*ops)->RevokeUser("clerk", "orders").ok());
  CHECK(Eventually(10s, [&] { return (*clerk)->Put("o2", "hat", {}, orders).status().IsPermissionDenied(); }));
  // A removed user's open connections are refused from then on (each replica answers
  // Unauthenticated, so the read fails), and it cannot log in again.
  REQUIRE((*ops)->RemoveUser("reader").ok());
  CHECK(Eventually(10s, [&] { return !(*reader)->Get("existing").ok(); }));
  CHECK(Eventually(10s, [&] { return UsersEverywhere(**cluster, **admin, 2); }));
  auto removed = (*cluster)->Connect(AsUser("reader", "reader-password-1"));
  REQUIRE_FALSE(removed.ok());
  CHECK(removed.status().IsUnauthenticated());

  // kv: --user/--password-file (or RINGKV_USER/RINGKV_PASSWORD_FILE), exit 8 on a denial,
  // and `kv user` managed with the token.
  const std::string kv = std::string(RINGKV_KV_PATH) + " --cluster " + (*cluster)->seeds();
  const std::string token_flag = " --token-file " + secrets.file("token");
  CommandResult added = RunCommand("echo viewer-password-1 | " + kv + token_flag + " user add viewer read && " + kv +
                                   token_flag + " user list");
  INFO(added.output);
  CHECK(added.exit_code == 0);
  CHECK_THAT(added.output, Catch::Contains("viewer") && Catch::Contains("*=read") && Catch::Contains("ops") &&
                               !Catch::Contains("reader"));
  CHECK(Eventually(10s, [&] { return UsersEverywhere(**cluster, **admin, 3); }));  // ops, clerk, viewer
  const std::string viewer =
      "RINGKV_USER=viewer RINGKV_PASSWORD_FILE=" + WriteSecret(secrets, "viewer", "viewer-password-1");
  CommandResult denied = RunCommand(viewer + " " + kv + " put by-kv x");
  INFO(denied.output);
  CHECK(denied.exit_code == 8);
  CHECK_THAT(denied.output, Catch::Contains("PermissionDenied") && Catch::Contains("write role"));
  CommandResult read = RunCommand(viewer + " " + kv + " get existing");
  CHECK(read.exit_code == 0);
  CHECK_THAT(read.output, Catch::Contains("v0"));
  CommandResult not_admin = RunCommand(viewer + " " + kv + " user list");
  CHECK(not_admin.exit_code == 8);
  CommandResult wrong =
      RunCommand("RINGKV_USER=viewer RINGKV_PASSWORD_FILE=" + WriteSecret(secrets, "bad", "bad-password-123456") + " " +
                 kv + " get existing");
  CHECK(wrong.exit_code == 6);
  CHECK(NothingAt(**admin, "by-kv"));
}

TEST_CASE("with TLS on, the admin endpoint speaks HTTPS and wants a client certificate of the cluster CA") {
  TempDir dir;
  const std::string ours = dir.file("ca"), theirs = dir.file("rogue");
  MakeCerts(ours, "node client");
  MakeCerts(theirs, "client");
  auto options = FastCluster(3);
  for (const std::string& f : std::vector<std::string>{"--tls-ca", ours + "/ca.pem", "--tls-cert", ours + "/node.pem",
                                                       "--tls-key", ours + "/node-key.pem"}) {
    options.extra_flags.push_back(f);
  }
  auto cluster = LocalCluster::Start(options);
  REQUIRE(cluster.ok());
  const std::string admin = (*cluster)->admin_address(0);

  auto good = HttpRequest(admin, "GET", "/health", "", 10s, "", Tls(ours, "client"));
  INFO((good.ok() ? std::to_string(good->status) : good.status().ToString()));
  REQUIRE(good.ok());
  CHECK(good->status == 200);
  auto metrics = HttpRequest(admin, "GET", "/metrics", "", 10s, "", Tls(ours, "client"));
  REQUIRE(metrics.ok());
  CHECK_THAT(metrics->body, Catch::Contains("ringkv_rpc_tls_handshake_failures_total"));

  TlsFiles no_cert = Tls(ours, "client");
  no_cert.cert_file = no_cert.key_file = "";
  auto anonymous = HttpRequest(admin, "GET", "/health", "", 5s, "", no_cert);
  CHECK_FALSE(anonymous.ok());
  TlsFiles rogue = Tls(theirs, "client");
  rogue.ca_file = ours + "/ca.pem";  // trusts our nodes, presents another CA's certificate
  auto stranger = HttpRequest(admin, "GET", "/health", "", 5s, "", rogue);
  CHECK_FALSE(stranger.ok());
  auto plain = HttpRequest(admin, "GET", "/health", "", 5s);
  CHECK((!plain.ok() || plain->status != 200));
  // Each refusal was a failed handshake, counted.
  auto after = HttpRequest(admin, "GET", "/metrics", "", 10s, "", Tls(ours, "client"));
  REQUIRE(after.ok());
  CHECK_THAT(after->body, !Catch::Contains("ringkv_rpc_tls_handshake_failures_total 0\n"));
}

TEST_CASE("SIGHUP swaps the client token and the certificates without a restart or a failed put") {
  TempDir dir;
  const std::string old_ca = dir.file("old"), new_ca = dir.file("new"), live = dir.file("live");
  MakeCerts(old_ca, "node client");
  MakeCerts(new_ca, "node client");
  std::filesystem::create_directories(live);
  auto install = [&](const std::string& from) {  // what the node's flags point to
    for (const char* f : {"ca.pem", "node.pem", "node-key.pem"}) {
      std::filesystem::copy_file(from + "/" + f, live + "/" + f, std::filesystem::copy_options::overwrite_existing);
    }
  };
  install(old_ca);
  const std::string token_file = WriteSecret(dir, "token", kToken);
  auto options = FastCluster(1);
  for (const std::string& f :
       std::vector<std::string>{"--tls-ca", live + "/ca.pem", "--tls-cert", live + "/node.pem", "--tls-key",
                                live + "/node-key.pem", "--cluster-secret-file", WriteSecret(dir, "secret", kSecret),
                                "--client-token-file", token_file, "--replication-factor", "1"}) {
    options.extra_flags.push_back(f);
  }
  auto cluster = LocalCluster::Start(options);
  REQUIRE(cluster.ok());
  auto client_options = [&](const std::string& token, const std::string& ca_dir) {
    ClientOptions o;
    o.n = o.w = o.r = 1;
    o.token = token;
    o.tls = Tls(ca_dir, "client");
    o.timeout = 3000ms;
    return o;
  };
  auto writer = (*cluster)->Connect(client_options(kToken, old_ca));
  INFO(writer.status().ToString());
  REQUIRE(writer.ok());

  // A client writes in a loop over its open connection for the whole test.
  std::atomic<bool> stop{false};
  std::atomic<int> puts{0}, failed{0};
  std::string first_failure;
  std::thread loop([&] {
    for (int i = 0; !stop.load() && i < 1'000'000; ++i) {
      Status s = (*writer)->Put("loop-" + std::to_string(i % 100), std::to_string(i)).status();
      if (s.ok()) {
        puts.fetch_add(1);
      } else if (failed.fetch_add(1) == 0) {
        first_failure = s.ToString();
      }
    }
  });
  struct Joiner {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Joiner() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } joiner{stop, loop};
  CHECK(Eventually(10s, [&] { return puts.load() >= 50; }));

  const std::string new_token = "client-token-rotated-9876543210";
  WriteSecret(dir, "token", new_token);
  install(new_ca);
  REQUIRE(::kill((*cluster)->pid(0), SIGHUP) == 0);
  const int before = puts.load();
  std::unique_ptr<Client> fresh;
  CHECK(Eventually(10s, [&] {
    auto c = (*cluster)->Connect(client_options(new_token, new_ca));
    if (c.ok()) fresh = std::move(c).value();
    return fresh != nullptr;
  }));
  REQUIRE(fresh != nullptr);
  REQUIRE(fresh->Put("after-reload", "new credentials").ok());
  CHECK(StatValue(*fresh, "node1", "credential_reloads_total") == 1);
  // The old token (with the new CA) and the old CA (with the new token): refused.
  auto old_token = (*cluster)->Connect(client_options(kToken, new_ca));
  REQUIRE_FALSE(old_token.ok());
  CHECK(old_token.status().IsUnauthenticated());
  auto old_cert = (*cluster)->Connect(client_options(new_token, old_ca));
  REQUIRE_FALSE(old_cert.ok());
  CHECK(old_cert.status().IsUnavailable());
  CHECK(Eventually(10s, [&] { return puts.load() >= before + 50; }));  // still writing after the reload
  stop = true;
  loop.join();
  INFO(first_failure);
  CHECK(failed.load() == 0);
  CHECK((*cluster)->IsRunning(0));
}
