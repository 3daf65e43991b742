// kvnode: a ringkv storage node. Serves the `Node` RPC interface of capnp/kv.capnp over
// its storage engine, gossips membership, hands off hints, repairs and streams data in
// the background, until SIGTERM/SIGINT (or the end of a decommission); then it shuts down
// in order and closes cleanly (node/node.h). SIGHUP reloads the credential and TLS files.

#include <kj/async-unix.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>

#include "node/node.h"
#include "node/node_config.h"

using namespace ringkv;

namespace {

int Fail(const std::string& what) {
  std::fprintf(stderr, "kvnode: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool exit_early = false;
  auto config = ParseNodeConfig(argc, argv, &exit_early);
  if (!config.ok()) return Fail(config.status().message() + " (see kvnode --help)");
  if (exit_early) return 0;

  // Before any thread starts, so that every thread inherits the blocked mask.
  kj::UnixEventPort::captureSignal(SIGTERM);
  kj::UnixEventPort::captureSignal(SIGINT);
  kj::UnixEventPort::captureSignal(SIGHUP);  // reload the credential and TLS files
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + config->id + "] %v");

  auto node = Node::Open(*config);
  if (!node.ok()) return Fail(node.status().message());
  return (*node)->Run().ok() ? 0 : 1;  // Run logged what went wrong
}
