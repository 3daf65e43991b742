// security_bench: what TLS and authentication cost. Two 3-node local clusters run side by
// side — one plain, one with mutual TLS + cluster secret + client token (certificates from
// scripts/make-certs.sh) — and the same SDK load (50/50 get/put, N=3 W=2 R=2, 100-byte
// values) runs against each in turn, alternating, so both see the same machine. Printed:
// ops/s and latency percentiles, medians of --repeat runs, and the ratio secure/plain.
//
//   security_bench [--ops 50000] [--concurrency 64] [--repeat 3]

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

#include "cli/load_generator.h"
#include "tests/cluster/local_cluster.h"
#include "tests/temp_dir.h"

using namespace ringkv;

namespace {

struct Flags {
  uint64_t ops = 50000;
  int concurrency = 64;
  int repeat = 3;
};

struct Setup {
  testing::LocalClusterOptions cluster;
  ClientOptions client;
};

// Certificates, a secret and a token in `dir`, and the flags and client options using them.
Result<Setup> SecureSetup(const testing::TempDir& dir) {
  auto made =
      testing::RunCommand(std::string(RINGKV_SOURCE_DIR) + "/scripts/make-certs.sh " + dir.path() + " node client");
  if (made.exit_code != 0) return Status::IOError("make-certs.sh failed: " + made.output);
  auto write_secret = [&dir](const std::string& name, const std::string& value) {
    std::ofstream(dir.file(name)) << value << "\n";
    ::chmod(dir.file(name).c_str(), 0600);
    return dir.file(name);
  };
  Setup s;
  s.cluster.extra_flags = {"--tls-ca",
                           dir.file("ca.pem"),
                           "--tls-cert",
                           dir.file("node.pem"),
                           "--tls-key",
                           dir.file("node-key.pem"),
                           "--cluster-secret-file",
                           write_secret("secret", "bench-cluster-secret-0123456789"),
                           "--client-token-file",
                           write_secret("token", "bench-client-token-0123456789")};
  s.client.token = "bench-client-token-0123456789";
  s.client.tls = {dir.file("ca.pem"), dir.file("client.pem"), dir.file("client-key.pem"), "ringkv"};
  return s;
}

// A running cluster and a client of it.
struct Target {
  std::unique_ptr<testing::LocalCluster> cluster;
  std::unique_ptr<Client> client;
  std::vector<cli::LoadReport> runs;
  // The context last seen per key, across the runs: their puts replace versions, never
  // write blind beside them (cli::KeyContexts).
  std::shared_ptr<cli::KeyContexts> contexts = std::make_shared<cli::KeyContexts>();
};

Result<Target> Open(Setup setup) {
  setup.cluster.memtable_mb = 32;  // the node's default, not the tests' small one
  Target t;
  RINGKV_ASSIGN(t.cluster, testing::LocalCluster::Start(setup.cluster));
  RINGKV_ASSIGN(t.client, t.cluster->Connect(setup.client));
  return t;
}

cli::LoadReport Median(std::vector<cli::LoadReport> runs) {
  std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.ops_per_sec < b.ops_per_sec; });
  return runs[runs.size() / 2];
}

void Print(const char* name, const cli::LoadReport& r) {
  std::printf("  %-34s %9.0f ops/s   p50 %5.2f ms  p99 %5.2f ms  p999 %5.2f ms  errors %llu\n", name, r.ops_per_sec,
              r.all.p50, r.all.p99, r.all.p999, static_cast<unsigned long long>(r.all.errors));
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app("security_bench: a plain cluster vs mutual TLS + secret + token");
  app.add_option("--ops", f.ops, "operations per run");
  app.add_option("--concurrency", f.concurrency, "requests in flight");
  app.add_option("--repeat", f.repeat, "runs per cluster (median reported)");
  CLI11_PARSE(app, argc, argv);
  if (f.ops == 0 || f.concurrency < 1 || f.repeat < 1) {
    std::fprintf(stderr, "security_bench: --ops, --concurrency and --repeat must be positive\n");
    return 2;
  }
  std::printf("security_bench: %llu ops 50/50, %d in flight, 100-byte values, N=3 W=2 R=2, median of %d runs\n",
              static_cast<unsigned long long>(f.ops), f.concurrency, f.repeat);
  testing::TempDir dir;
  auto secure_setup = SecureSetup(dir);
  auto plain_target = Open(Setup{});
  auto secure_target = secure_setup.ok() ? Open(*secure_setup) : Result<Target>(secure_setup.status());
  if (!plain_target.ok() || !secure_target.ok()) {
    std::fprintf(stderr, "security_bench: %s\n",
                 (plain_target.ok() ? secure_target : plain_target).status().ToString().c_str());
    return 1;
  }
  cli::LoadSpec spec;
  spec.ops = f.ops;
  spec.put_percent = 50;
  spec.value_size = 100;
  spec.concurrency = f.concurrency;
  spec.keys = 10000;
  for (int r = 0; r < f.repeat; ++r) {
    for (Target* t : {&*plain_target, &*secure_target}) {
      spec.contexts = t->contexts;
      t->runs.push_back(cli::LoadGenerator(*t->client, spec).Run());
    }
  }
  cli::LoadReport plain = Median(plain_target->runs), secure = Median(secure_target->runs);
  Print("plain TCP, no credentials", plain);
  Print("mutual TLS + secret + token", secure);
  std::printf("\nratio secure/plain: throughput %.3f, p50 latency %.3f, p99 latency %.3f\n",
              secure.ops_per_sec / plain.ops_per_sec, secure.all.p50 / plain.all.p50, secure.all.p99 / plain.all.p99);
  return 0;
}
