// kv: the ringkv shell. One-shot commands (`kv --cluster HOST:PORT get KEY`) or, with no
// command, an interactive shell. Exit codes: 0 ok, 1 not found, 2 bad input, 3 quorum not
// reached / timeout, 4 cluster unreachable, 5 other errors.

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/autoscale_command.h"
#include "cli/bench_command.h"
#include "cli/commands.h"
#include "cli/repl.h"
#include "cli/scan_command.h"
#include "cli/verify_command.h"
#include "common/comma_list.h"
#include "common/security.h"

using namespace ringkv;

int main(int argc, char** argv) {
  CLI::App app("kv: the ringkv shell\n" + cli::CommandHelp());
  std::string cluster = "127.0.0.1:7001";
  std::string level, context, cluster_name, value_file;
  int n = 0, w = 0, r = 0, timeout_ms = 0;
  bool json = false, lww = false;
  std::vector<std::string> words;
  app.add_option("--cluster,-c", cluster, "seed nodes, host:port[,host:port...] (default 127.0.0.1:7001)")
      ->envname("RINGKV_CLUSTER");
  app.add_option("--cluster-name", cluster_name, "refuse nodes of another cluster");
  std::string local_dc;
  app.add_option("--dc", local_dc, "this client's datacenter (LOCAL_* levels count there)");
  app.add_option("--n", n, "replicas per key (N)");
  app.add_option("--w", w, "acks a put waits for (W)");
  app.add_option("--r", r, "replies a get waits for (R)");
  app.add_option("--level", level, "one, quorum, all, local_one, local_quorum or each_quorum (sets W/R)")
      ->check(CLI::IsMember({"one", "quorum", "all", "local_one", "local_quorum", "each_quorum"}));
  app.add_option("--timeout", timeout_ms, "request timeout, ms");
  std::string ns;
  app.add_option("--ns", ns, "get/put/del/counter/set: the namespace of the key (default: default; kv ns list)");
  app.add_option("--context", context, "put/del: the context printed by a get (hex)");
  app.add_option("--file", value_file, "put: read the value from this file");
  std::string ttl;
  app.add_option("--ttl", ttl, "put: the value expires this long after the write (500ms, 30s, 5m, 2h, 7d)");
  bool if_absent = false;
  app.add_flag("--if-absent", if_absent, "put: only if the key holds no value (else exit 7, nothing written)");
  app.add_flag("--json", json, "JSON output");
  app.add_flag("--lww", lww, "retired: the conflict mode is a namespace setting (kv ns alter NAME conflict=lww)");
  std::string token_file;
  TlsFiles tls;
  app.add_option("--token-file", token_file, "file holding the cluster's client token (chmod 600)")
      ->envname("RINGKV_TOKEN_FILE")
      ->group("security");
  std::string user, password_file;
  app.add_option("--user", user, "log in as this user (kv user add) instead of the token")
      ->envname("RINGKV_USER")
      ->group("security");
  app.add_option("--password-file", password_file, "file holding the user's password (chmod 600)")
      ->envname("RINGKV_PASSWORD_FILE")
      ->group("security");
  app.add_option("--tls-ca", tls.ca_file, "cluster CA (PEM): connect over TLS, trust only this CA")
      ->envname("RINGKV_TLS_CA")
      ->group("security");
  app.add_option("--tls-cert", tls.cert_file, "this client's certificate (PEM), signed by the CA")
      ->envname("RINGKV_TLS_CERT")
      ->group("security");
  app.add_option("--tls-key", tls.key_file, "its private key (PEM)")->envname("RINGKV_TLS_KEY")->group("security");
  app.add_option("--tls-server-name", tls.server_name, "name the nodes' certificates carry")->group("security");
  cli::BenchFlags bench;
  app.add_option("--ops", bench.ops, "bench, verify: operations to run (1000, 250k, 1M)")->group("bench");
  app.add_option("--mix", bench.mix, "bench: put:get percentages")->group("bench");
  app.add_option("--value-size", bench.value_size, "bench: value bytes")->group("bench");
  app.add_option("--concurrency", bench.concurrency, "bench: requests in flight; verify: client threads (4)")
      ->group("bench");
  app.add_option("--keys", bench.keys, "bench: key space; verify: canary keys (16)")->group("bench");
  app.add_option("--plot", bench.plot, "bench: write an SVG latency histogram here")->group("bench");
  cli::ScanFlags scan;
  app.add_option("--prefix", scan.prefix, "scan: only keys starting with this")->group("scan");
  app.add_option("--limit", scan.limit, "scan: print at most this many keys (default: all)")->group("scan");
  app.add_option("--cursor", scan.cursor, "scan: continue where a scan with --limit stopped")->group("scan");
  app.add_flag("--count", scan.count, "scan: print the approximate key count instead")->group("scan");
  cli::AutoscaleFlags autoscale;
  cli::AddAutoscaleFlags(app, &autoscale);
  cli::VerifyFlags verify;
  app.add_option("--duration", verify.duration, "verify: how long the canary workload runs (5s)")->group("verify");
  app.add_option("command", words, "get KEY | put KEY [VALUE] | del KEY | ring | help");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return cli::kExitBadInput;
  }
  cli::Output out{json, &std::cout, &std::cerr};
  if (!words.empty() && words[0] == "help") {
    std::cout << cli::CommandHelp();
    return cli::kExitOk;
  }

  if (!value_file.empty()) {
    if (words.size() != 2 || words[0] != "put") {
      std::cerr << "error: --file goes with: put KEY --file PATH\n";
      return cli::kExitBadInput;
    }
    std::ifstream in(value_file, std::ios::binary);
    if (!in) {
      std::cerr << "error: cannot read " << value_file << "\n";
      return cli::kExitBadInput;
    }
    words.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  if (lww) {
    std::cerr << "error: --lww is retired: the conflict mode is a setting of the namespace, applied by the nodes "
                 "for every client (kv ns alter default conflict=lww, or kv ns create NAME conflict=lww)\n";
    return cli::kExitBadInput;
  }
  RequestOptions request;
  if (!ttl.empty()) {  // checked before connecting: bad input writes nothing
    if (words.empty() || (words[0] != "put" && words[0] != "mput"))
      return cli::Usage(out, "--ttl goes with put: put KEY VALUE --ttl 30s");
    auto parsed = cli::ParseTtl(ttl);
    if (!parsed.ok()) return cli::Fail(out, parsed.status());
    request.ttl = *parsed;
  }

  if (if_absent) {  // checked before connecting, like --ttl
    if (words.empty() || words[0] != "put")
      return cli::Usage(out, "--if-absent goes with put: put KEY VALUE --if-absent");
    if (!context.empty()) return cli::Usage(out, "--if-absent takes no --context: it reads the key itself");
  }

  ClientOptions options;
  options.seeds = SplitCommaList(cluster);
  options.cluster_name = cluster_name;
  options.local_dc = local_dc;
  options.tls = tls;
  if (!token_file.empty()) {
    auto token = ReadSecretFile(token_file, "client token");
    if (!token.ok()) {
      std::cerr << "error: " << token.status().message() << "\n";
      return cli::kExitBadInput;
    }
    options.token = std::move(token).value();
  }
  if (!user.empty()) {  // checked before connecting, like the token
    if (password_file.empty()) return cli::Usage(out, "--user needs --password-file (or RINGKV_PASSWORD_FILE)");
    auto password = ReadSecretFile(password_file, "password");
    if (!password.ok()) return cli::Fail(out, password.status());
    options.user = user;
    options.password = std::move(password).value();
  }
  if (n > 0) {  // a smaller cluster than the default N: defaults follow N
    options.n = n;
    options.w = options.r = n / 2 + 1;
  }
  request.ns = ns;
  if (w > 0) request.w = w;
  if (r > 0) request.r = r;
  if (timeout_ms > 0) request.timeout = std::chrono::milliseconds(timeout_ms);
  if (level == "one")
    request.level = Consistency::kOne;
  else if (level == "quorum")
    request.level = Consistency::kQuorum;
  else if (level == "all")
    request.level = Consistency::kAll;
  else if (level == "local_quorum")
    request.level = Consistency::kLocalQuorum;
  else if (level == "local_one")
    request.level = Consistency::kLocalOne;
  else if (level == "each_quorum")
    request.level = Consistency::kEachQuorum;

  // Before connecting: a mistyped command is bad input (2), not an unreachable cluster (4).
  if (!words.empty() && !cli::IsCommand(words[0])) return cli::Usage(out, "unknown command '" + words[0] + "'");
  auto client = Client::Connect(options);
  if (!client.ok()) {
    const char* what =
        client.status().IsUnauthenticated() ? "the cluster refused this client" : "cannot reach the cluster";
    std::cerr << "error: " << what << " at " << cluster << ": " << client.status().ToString() << "\n";
    return cli::ExitCodeFor(client.status());
  }
  if (words.empty()) return cli::RunRepl(**client, request, out);
  if (words[0] == "bench") {
    if (words.size() != 1) return cli::Usage(out, "bench takes options, not arguments: kv bench --ops 1M --mix 50:50");
    return cli::RunBench(**client, bench, request, out);
  }
  if (words[0] == "autoscale") {
    if (words.size() != 1) return cli::Usage(out, "autoscale takes options, not arguments (docs/operations.md)");
    return cli::RunAutoscale(**client, autoscale, cluster_name, n > 0 ? static_cast<size_t>(n) : 3, out);
  }
  if (words[0] == "verify") {
    if (words.size() != 1) return cli::Usage(out, "verify takes options, not arguments (docs/operations.md)");
    // --ops, --keys and --concurrency are bench's flags too, with bench's defaults: verify
    // takes them only when given. --report-to and --report-token are autoscale's.
    if (app.count("--ops") > 0) verify.ops = bench.ops;
    if (app.count("--keys") > 0) verify.keys = bench.keys;
    if (app.count("--concurrency") > 0) verify.concurrency = bench.concurrency;
    if (!ns.empty()) verify.ns = ns;
    verify.report_to = autoscale.report_to;
    verify.report_token = autoscale.report_token;
    return cli::RunVerify(**client, verify, n > 0 ? n : 3, request, out);
  }
  if (words[0] == "scan") return cli::RunScan(**client, words, scan, request, out);
  if (if_absent) return cli::PutIfAbsent(**client, words, request, out);
  return cli::RunCommand(**client, words, request, context, out);
}
