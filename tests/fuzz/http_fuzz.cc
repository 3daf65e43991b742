// Fuzz target: the admin endpoint's request path — Boost.Beast's parser under the same
// limits the server sets, then the handlers (node/admin_routes) against a real one-node
// state (storage, hints, membership in a scratch directory). Any request must get an
// answer with a valid status, never a crash.

#include <boost/beast/http.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "node/admin/admin_routes.h"
#include "tests/fuzz/fuzz_util.h"

using namespace ringkv;
namespace http = boost::beast::http;

namespace {

// One node's services, opened once per fuzzing process.
struct Node {
  std::unique_ptr<storage::StorageEngine> engine;
  std::unique_ptr<HintStore> hints;
  std::unique_ptr<Membership> membership;
  std::unique_ptr<ReplicaStore> store;
  std::unique_ptr<AntiEntropy> anti_entropy;
  std::unique_ptr<Streamer> streamer;
  std::unique_ptr<HintedHandoff> handoff;
  RpcMetrics metrics;
  NodeServices services;

  Node() {
    std::string dir = fuzz::ScratchPath("http");
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    StorageOptions options;
    engine = Must(storage::StorageEngine::Open(dir + "/engine", options));
    hints = Must(HintStore::Open(dir + "/hints", "fuzz", options));
    MemberRecord self;
    self.id = "fuzz";
    self.address = "127.0.0.1:1";
    self.tokens = {1, 1u << 31, 3u << 30};
    MembershipOptions m;
    m.cluster_name = "fuzz";
    m.state_file = dir + "/MEMBERSHIP";
    membership = Must(Membership::Open(m, self, {self}, 0));
    store = std::make_unique<ReplicaStore>(engine.get(), "fuzz");
    anti_entropy = std::make_unique<AntiEntropy>(store.get(), membership.get());
    streamer = std::make_unique<Streamer>(store.get(), membership.get());
    handoff = std::make_unique<HintedHandoff>(hints.get(), store.get(), membership.get(), std::chrono::hours(3));
    services.store = store.get();
    services.hints = hints.get();
    services.membership = membership.get();
    services.streamer = streamer.get();
    services.anti_entropy = anti_entropy.get();
    services.handoff = handoff.get();
    services.engine = engine.get();
    services.metrics = &metrics;
    services.node_id = "fuzz";
    services.cluster_name = "fuzz";
  }

  template <typename T>
  static T Must(Result<T> r) {
    if (!r.ok()) std::abort();
    return std::move(r).value();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Node node;
  http::request_parser<http::string_body> parser;
  parser.header_limit(8 * 1024);  // as node/admin/admin_http.cc
  parser.body_limit(8 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;
  const auto& request = parser.get();
  HttpReply reply =
      HandleAdminRequest(node.services, std::string_view(request.method_string()), std::string_view(request.target()),
                         std::string_view(request[http::field::authorization]));
  if (reply.status < 200 || reply.status > 599 || reply.content_type.empty()) std::abort();
  return 0;
}
