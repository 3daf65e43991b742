// Failures inside the SDK's own machinery, injected (RequestBatcher::SetFaultForTesting)
// against real nodes: each fails its request at once with a clear status — never a hang
// to the request's timeout, never an exception out of the API — and is counted.

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sdk/request_batcher.h"
#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/local_cluster.h"

using namespace ringkv;
using ringkv::testing::Eventually;
using ringkv::testing::LocalCluster;
using ringkv::testing::StartCluster;

namespace {

constexpr auto kLongTimeout = std::chrono::seconds(30);  // far beyond what a prompt failure takes
constexpr auto kPrompt = std::chrono::seconds(10);

// A client whose timeout is far beyond what a prompt failure takes.
std::unique_ptr<Client> ConnectPatient(const LocalCluster& cluster) {
  ClientOptions options;
  options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kLongTimeout);
  return ringkv::testing::ConnectTo(cluster, options);
}

// Makes the batcher throw at `stage` for its scope.
class InjectedFault {
 public:
  explicit InjectedFault(std::string stage) {
    sdk::RequestBatcher::SetFaultForTesting([stage](std::string_view at) {
      if (at == stage) throw std::runtime_error("injected fault at " + std::string(at));
    });
  }
  ~InjectedFault() { sdk::RequestBatcher::SetFaultForTesting(nullptr); }
  InjectedFault(const InjectedFault&) = delete;
  InjectedFault& operator=(const InjectedFault&) = delete;
};

template <typename F>
auto Timed(std::chrono::steady_clock::duration* took, F f) {
  auto start = std::chrono::steady_clock::now();
  auto r = f();
  *took = std::chrono::steady_clock::now() - start;
  return r;
}

}  // namespace

TEST_CASE("a put whose replication step throws fails at once with Aborted, not at its timeout") {
  auto cluster = StartCluster();
  auto client = ConnectPatient(*cluster);
  std::chrono::steady_clock::duration took{};
  Result<PutResult> put = Status::Aborted("not run yet");
  {
    InjectedFault fault("queue replicate");  // inside the continuation after the coordinator stored it
    put = Timed(&took, [&] { return client->Put("k", "v"); });
  }
  INFO(put.status().ToString());
  REQUIRE(put.status().code() == StatusCode::kAborted);
  CHECK_THAT(put.status().message(), Catch::Contains("internal error") && Catch::Contains("injected fault"));
  CHECK(took < kPrompt);
  CHECK(client->InternalErrorCount() >= 1);
  REQUIRE(client->Put("k", "v2").ok());  // the client keeps working
}

TEST_CASE("a read whose batch fails to build fails at once, naming the internal error") {
  auto cluster = StartCluster();
  auto client = ConnectPatient(*cluster);
  REQUIRE(client->Put("k", "v").ok());
  std::chrono::steady_clock::duration took{};
  Result<GetResult> got = Status::Aborted("not run yet");
  {
    InjectedFault fault("send get");
    got = Timed(&took, [&] { return client->Get("k"); });
  }
  INFO(got.status().ToString());
  REQUIRE(got.status().IsQuorumNotReached());  // every replica's call failed inside the client
  CHECK_THAT(got.status().message(), Catch::Contains("internal error") && Catch::Contains("injected fault"));
  CHECK(took < kPrompt);
  CHECK(client->InternalErrorCount() >= 1);
  auto again = client->Get("k");
  REQUIRE(again.ok());
  CHECK(again->values == std::vector<std::string>{"v"});
}

TEST_CASE("a request that throws while it starts returns Aborted instead of throwing out of the API") {
  auto cluster = StartCluster();
  auto client = ConnectPatient(*cluster);
  InjectedFault fault("queue get");  // thrown synchronously while the read is being set up
  Result<GetResult> sync = Status::Aborted("not run yet");
  REQUIRE_NOTHROW(sync = client->Get("k"));
  CHECK(sync.status().code() == StatusCode::kAborted);
  auto async = client->GetAsync("k").get();
  CHECK(async.status().code() == StatusCode::kAborted);
  CHECK(client->InternalErrorCount() == 2);
}

TEST_CASE("an exception thrown by an application callback is logged and counted, and the client keeps working") {
  auto cluster = StartCluster();
  auto client = ConnectPatient(*cluster);
  client->PutAsync("k", "v", {}, {}, [](Result<PutResult>) { throw std::runtime_error("app bug"); });
  REQUIRE(Eventually(kLongTimeout, [&] { return client->InternalErrorCount() == 1; }));
  auto got = client->Get("k");
  REQUIRE(got.ok());
  CHECK(got->values == std::vector<std::string>{"v"});
}
