// The C ABI (include/ringkv/ringkv.h, libringkv.so) against real nodes: siblings and their
// context as bytes, levels, namespaces, TTL, bad input, and the async callbacks' threads.

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ringkv/ringkv.h"
#include "tests/cluster/cluster_fixture.h"

using namespace ringkv::testing;
using namespace std::chrono_literals;

namespace {

// A connected C client, closed at the end of the scope.
struct CClient {
  ringkv_client* client = nullptr;
  explicit CClient(const LocalCluster& cluster, int64_t timeout_ms = 2000) {
    ringkv_options* options = ringkv_options_new();
    REQUIRE(ringkv_options_set_seeds(options, cluster.seeds().c_str(), nullptr) == RINGKV_OK);
    REQUIRE(ringkv_options_set_cluster_name(options, "test-cluster", nullptr) == RINGKV_OK);
    REQUIRE(ringkv_options_set_timeout_ms(options, timeout_ms, nullptr) == RINGKV_OK);
    ringkv_error* error = nullptr;
    ringkv_code code = ringkv_client_connect(options, &client, &error);
    ringkv_options_free(options);
    INFO((error != nullptr ? ringkv_error_message(error) : ""));
    ringkv_error_free(error);
    REQUIRE(code == RINGKV_OK);
  }
  ~CClient() { ringkv_client_close(client); }
  operator ringkv_client*() const { return client; }  // NOLINT: a handle, used as one
};

// A ringkv_request_options freed at the end of the scope.
struct Request {
  ringkv_request_options* options = ringkv_request_options_new();
  ~Request() { ringkv_request_options_free(options); }
};

// What a C call returned: its code and message. `error` is the call's error slot, read only
// here (after the call ran), freed and cleared.
struct Outcome {
  ringkv_code code = RINGKV_OK;
  std::string message;
};
Outcome Take(ringkv_code code, ringkv_error** error) {
  Outcome out{code, *error != nullptr ? ringkv_error_message(*error) : ""};
  CHECK((*error != nullptr) == (code != RINGKV_OK));
  if (*error != nullptr) CHECK(ringkv_error_code(*error) == code);
  ringkv_error_free(*error);
  *error = nullptr;
  return out;
}

struct Read {
  ringkv_code code = RINGKV_OK;
  std::string message;
  bool found = false;
  std::multiset<std::string> values;
  std::string context;
  std::vector<std::string> sibling_ids;
  std::vector<uint64_t> expires_ms;
};

Read Get(ringkv_client* client, const std::string& key, const ringkv_request_options* options = nullptr) {
  ringkv_get_result* got = nullptr;
  ringkv_error* error = nullptr;
  Read read;
  read.code = ringkv_get(client, key.data(), key.size(), options, &got, &error);
  if (read.code != RINGKV_OK) {
    read.message = ringkv_error_message(error);
    ringkv_error_free(error);
    CHECK(got == nullptr);
    return read;
  }
  REQUIRE(got != nullptr);
  read.found = ringkv_get_result_found(got) != 0;
  for (size_t i = 0; i < ringkv_get_result_value_count(got); ++i) {
    const char* data = nullptr;
    size_t length = 0;
    REQUIRE(ringkv_get_result_value(got, i, &data, &length));
    read.values.insert(std::string(data, length));
  }
  CHECK_FALSE(ringkv_get_result_value(got, ringkv_get_result_value_count(got), nullptr, nullptr));
  for (size_t i = 0; i < ringkv_get_result_sibling_count(got); ++i) {
    const char* id = nullptr;
    uint64_t expires = 0;
    REQUIRE(ringkv_get_result_sibling(got, i, nullptr, nullptr, nullptr, nullptr, &expires, &id));
    read.sibling_ids.push_back(id);
    read.expires_ms.push_back(expires);
  }
  const uint8_t* context = nullptr;
  size_t length = 0;
  ringkv_get_result_context(got, &context, &length);
  read.context.assign(reinterpret_cast<const char*>(context), length);
  ringkv_get_result_free(got);
  return read;
}

Outcome Put(ringkv_client* client, const std::string& key, const std::string& value, const std::string& context = "",
            const ringkv_request_options* options = nullptr) {
  ringkv_error* error = nullptr;
  ringkv_code code =
      ringkv_put(client, key.data(), key.size(), value.data(), value.size(),
                 reinterpret_cast<const uint8_t*>(context.data()), context.size(), options, nullptr, &error);
  return Take(code, &error);
}

// No node holds `key` (in the default namespace), asked of each replica directly.
bool NowhereStored(const LocalCluster& cluster, const std::string& key) {
  for (int i = 0; i < cluster.size(); ++i) {
    auto held = ReadReplicaDirectly(cluster.address(i), key);
    if (held.ok() || !held.status().IsNotFound()) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("the C test program, compiled as C, writes siblings, resolves them with their context and deletes") {
  auto cluster = StartCluster();
  auto run = RunCommand(std::string(RINGKV_C_API_C_TEST) + " " + cluster->seeds());
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(run.output.find("c api ok") != std::string::npos);
}

TEST_CASE("siblings and their context round-trip through the C API as bytes, NULs included") {
  auto cluster = StartCluster();
  CClient client(*cluster);
  const std::string key("bin\0key", 7);
  const std::string a("a\0\x01\xff", 4), b("b\0", 2);
  REQUIRE(Put(client, key, a).code == RINGKV_OK);
  REQUIRE(Put(client, key, b).code == RINGKV_OK);
  Read read = Get(client, key);
  REQUIRE(read.code == RINGKV_OK);
  CHECK(read.found);
  CHECK(read.values == std::multiset<std::string>{a, b});
  CHECK(read.sibling_ids.size() == 2);
  CHECK(read.sibling_ids[0] != read.sibling_ids[1]);
  REQUIRE_FALSE(read.context.empty());

  // The context, kept as plain bytes after its result is freed, replaces exactly both.
  REQUIRE(Put(client, key, "resolved", read.context).code == RINGKV_OK);
  Read after = Get(client, key);
  CHECK(after.values == std::multiset<std::string>{"resolved"});

  // A put made with the older context is concurrent with "resolved": both come back.
  REQUIRE(Put(client, key, "late", read.context).code == RINGKV_OK);
  CHECK(Get(client, key).values == std::multiset<std::string>{"resolved", "late"});

  // A delete with the latest context leaves nothing; the put result's context is the new version's.
  Read last = Get(client, key);
  ringkv_put_result* deleted = nullptr;
  REQUIRE(ringkv_delete(client, key.data(), key.size(), reinterpret_cast<const uint8_t*>(last.context.data()),
                        last.context.size(), nullptr, &deleted, nullptr) == RINGKV_OK);
  REQUIRE(deleted != nullptr);
  const uint8_t* context = nullptr;
  size_t length = 0;
  ringkv_put_result_context(deleted, &context, &length);
  CHECK(length > 0);
  CHECK(ringkv_put_result_acks(deleted) >= 2);
  ringkv_put_result_free(deleted);
  Read gone = Get(client, key);
  CHECK_FALSE(gone.found);
  CHECK(gone.values.empty());
}

TEST_CASE("a C level sets the quorum, so with a node down ALL fails with a clear code and QUORUM and ONE succeed") {
  auto cluster = StartCluster();
  CClient client(*cluster, 1000);
  Request all, quorum, one;
  REQUIRE(ringkv_request_options_set_level(all.options, RINGKV_LEVEL_ALL, nullptr) == RINGKV_OK);
  REQUIRE(ringkv_request_options_set_level(quorum.options, RINGKV_LEVEL_QUORUM, nullptr) == RINGKV_OK);
  REQUIRE(ringkv_request_options_set_level(one.options, RINGKV_LEVEL_ONE, nullptr) == RINGKV_OK);
  REQUIRE(Put(client, "level", "v1", "", all.options).code == RINGKV_OK);
  REQUIRE(cluster->Kill(2).ok());

  Read at_all = Get(client, "level", all.options);
  INFO(at_all.message);
  CHECK((at_all.code == RINGKV_QUORUM_NOT_REACHED || at_all.code == RINGKV_TIMED_OUT ||
         at_all.code == RINGKV_UNAVAILABLE));
  CHECK_FALSE(at_all.message.empty());
  Read at_quorum = Get(client, "level", quorum.options);
  CHECK(at_quorum.code == RINGKV_OK);
  CHECK(at_quorum.values == std::multiset<std::string>{"v1"});
  CHECK(Get(client, "level", one.options).values == std::multiset<std::string>{"v1"});

  // A write at ALL needs 3 acks and only 2 of the 3 nodes live (no other node to take a
  // hint): it fails, and its error says how many acked of how many needed.
  ringkv_error* error = nullptr;
  ringkv_code code = ringkv_put(client, "level", 5, "v2", 2, nullptr, 0, all.options, nullptr, &error);
  REQUIRE(code != RINGKV_OK);
  REQUIRE(error != nullptr);
  INFO(ringkv_error_message(error));
  if (code == RINGKV_QUORUM_NOT_REACHED) {
    CHECK(ringkv_error_needed(error) == 3);
    CHECK(ringkv_error_acked(error) < 3);
  }
  ringkv_error_free(error);
  CHECK(Put(client, "level", "v3", "", quorum.options).code == RINGKV_OK);
}

TEST_CASE("C requests in a namespace stay in it, a TTL expires a value, and an unknown namespace is refused") {
  auto cluster = StartCluster();
  CClient client(*cluster);
  ringkv_error* error = nullptr;
  REQUIRE(Take(ringkv_create_namespace(client, "capi", 3, 2, 2, 0, 0, &error), &error).code == RINGKV_OK);
  Request in_ns;
  REQUIRE(ringkv_request_options_set_namespace(in_ns.options, "capi", nullptr) == RINGKV_OK);
  // The client learns the new namespace with the ring: fetch it until the node it asks has it.
  REQUIRE(Eventually(10s, [&] {
    REQUIRE(ringkv_refresh_ring(client, nullptr) == RINGKV_OK);
    return Put(client, "k", "in-ns", "", in_ns.options).code == RINGKV_OK;
  }));
  CHECK(Get(client, "k", in_ns.options).values == std::multiset<std::string>{"in-ns"});
  CHECK_FALSE(Get(client, "k").found);  // "default" never saw it

  Request ttl;
  REQUIRE(ringkv_request_options_set_ttl_ms(ttl.options, 300, nullptr) == RINGKV_OK);
  REQUIRE(Put(client, "short", "lived", "", ttl.options).code == RINGKV_OK);
  Read fresh = Get(client, "short");
  if (fresh.found) {  // a slow machine may already be past the 300 ms
    REQUIRE(fresh.expires_ms.size() == 1);
    CHECK(fresh.expires_ms[0] > 0);
  }
  CHECK(Eventually(10s, [&] { return !Get(client, "short").found; }));

  Request unknown;
  REQUIRE(ringkv_request_options_set_namespace(unknown.options, "no-such-ns", nullptr) == RINGKV_OK);
  Outcome refused = Put(client, "x", "v", "", unknown.options);
  CHECK(refused.code == RINGKV_INVALID_ARGUMENT);
  CHECK(refused.message.find("no-such-ns") != std::string::npos);
  CHECK(Take(ringkv_create_namespace(client, "capi", 3, 2, 2, 7, 0, &error), &error).code == RINGKV_INVALID_ARGUMENT);
  CHECK(Take(ringkv_drop_namespace(client, "capi", &error), &error).code == RINGKV_OK);
}

TEST_CASE("bad input through the C API gets INVALID_ARGUMENT with a message, sets no result and writes nothing") {
  auto cluster = StartCluster();
  CClient client(*cluster);
  const std::string victim = "victim";
  ringkv_error* error = nullptr;
  ringkv_put_result* put = nullptr;

  auto expect_invalid = [&](ringkv_code code, const std::string& text) {
    Outcome got = Take(code, &error);
    INFO(got.message);
    CHECK(got.code == RINGKV_INVALID_ARGUMENT);
    CHECK(got.message.find(text) != std::string::npos);
    CHECK(put == nullptr);
  };
  expect_invalid(ringkv_put(nullptr, "victim", 6, "v", 1, nullptr, 0, nullptr, &put, &error), "client is NULL");
  expect_invalid(ringkv_put(client, nullptr, 6, "v", 1, nullptr, 0, nullptr, &put, &error), "key is NULL");
  expect_invalid(ringkv_put(client, "", 0, "v", 1, nullptr, 0, nullptr, &put, &error), "key is empty");
  std::string huge_key(2000, 'k');
  expect_invalid(ringkv_put(client, huge_key.data(), huge_key.size(), "v", 1, nullptr, 0, nullptr, &put, &error),
                 "key is 2000 bytes");
  expect_invalid(ringkv_put(client, "victim", 6, nullptr, 3, nullptr, 0, nullptr, &put, &error), "value is NULL");
  expect_invalid(ringkv_put(client, "victim", 6, "v", 1, nullptr, 5, nullptr, &put, &error), "context is NULL");
  const uint8_t garbage[] = {0xde, 0xad, 0xbe, 0xef};
  expect_invalid(ringkv_put(client, "victim", 6, "v", 1, garbage, sizeof garbage, nullptr, &put, &error),
                 "malformed context");
  expect_invalid(ringkv_delete(client, "victim", 6, garbage, sizeof garbage, nullptr, &put, &error),
                 "malformed context");
  std::string huge_value((1u << 20) + 1, 'v');
  expect_invalid(
      ringkv_put(client, "victim", 6, huge_value.data(), huge_value.size(), nullptr, 0, nullptr, &put, &error),
      "value is");
  ringkv_get_result* got = nullptr;
  CHECK(Take(ringkv_get(client, "", 0, nullptr, &got, &error), &error).code == RINGKV_INVALID_ARGUMENT);
  CHECK(got == nullptr);
  CHECK(Take(ringkv_get(client, "victim", 6, nullptr, nullptr, &error), &error).code == RINGKV_INVALID_ARGUMENT);

  CHECK(NowhereStored(*cluster, victim));
  CHECK_FALSE(Get(client, victim).found);
}

namespace {

// What one async call saw: how often its callback ran, on which thread, with what.
struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  std::thread::id thread;
  ringkv_code code = RINGKV_ABORTED;
  std::string message;
  std::multiset<std::string> values;
  ringkv_code sync_inside = RINGKV_OK;  // a sync get made inside the callback
  ringkv_client* client = nullptr;

  void Done(ringkv_code c, const ringkv_error* error) {
    std::lock_guard<std::mutex> lock(mu);
    ++calls;
    thread = std::this_thread::get_id();
    code = c;
    message = error != nullptr ? ringkv_error_message(error) : "";
    cv.notify_all();
  }
  bool WaitCalled() {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, 10s, [&] { return calls > 0; });
  }
};

void OnPut(void* user, ringkv_code code, const ringkv_error* error, ringkv_put_result* result) {
  auto* seen = static_cast<Seen*>(user);
  ringkv_put_result_free(result);
  seen->Done(code, error);
}

void OnGet(void* user, ringkv_code code, const ringkv_error* error, ringkv_get_result* result) {
  auto* seen = static_cast<Seen*>(user);
  {
    std::lock_guard<std::mutex> lock(seen->mu);
    for (size_t i = 0; i < ringkv_get_result_value_count(result); ++i) {
      const char* data = nullptr;
      size_t length = 0;
      ringkv_get_result_value(result, i, &data, &length);
      seen->values.insert(std::string(data, length));
    }
    if (seen->client != nullptr) {  // the rule: no sync call on the client's thread
      ringkv_get_result* inner = nullptr;
      seen->sync_inside = ringkv_get(seen->client, "async", 5, nullptr, &inner, nullptr);
      ringkv_get_result_free(inner);
    }
  }
  ringkv_get_result_free(result);
  seen->Done(code, error);
}

}  // namespace

TEST_CASE("C async callbacks run once on the client's thread, and bad input calls back at once on the caller's") {
  auto cluster = StartCluster();
  CClient client(*cluster);
  Seen put;
  ringkv_put_async(client, "async", 5, "v", 1, nullptr, 0, nullptr, OnPut, &put);
  REQUIRE(put.WaitCalled());
  CHECK(put.code == RINGKV_OK);
  CHECK(put.thread != std::this_thread::get_id());

  Seen get;
  get.client = client;
  ringkv_get_async(client, "async", 5, nullptr, OnGet, &get);
  REQUIRE(get.WaitCalled());
  CHECK(get.code == RINGKV_OK);
  CHECK(get.values == std::multiset<std::string>{"v"});
  CHECK(get.thread != std::this_thread::get_id());
  CHECK(get.sync_inside == RINGKV_INVALID_ARGUMENT);

  Seen bad;
  ringkv_put_async(client, "", 0, "v", 1, nullptr, 0, nullptr, OnPut, &bad);
  CHECK(bad.calls == 1);  // already, before the call returned
  CHECK(bad.thread == std::this_thread::get_id());
  CHECK(bad.code == RINGKV_INVALID_ARGUMENT);
  CHECK(bad.message.find("key is empty") != std::string::npos);

  Read before = Get(client, "async");
  Seen deleted;  // with the read's context: the delete supersedes "v"
  ringkv_delete_async(client, "async", 5, reinterpret_cast<const uint8_t*>(before.context.data()),
                      before.context.size(), nullptr, OnPut, &deleted);
  REQUIRE(deleted.WaitCalled());
  CHECK(deleted.code == RINGKV_OK);
  Seen after;
  ringkv_get_async(client, "async", 5, nullptr, OnGet, &after);
  REQUIRE(after.WaitCalled());
  CHECK(after.values.empty());
  // Each callback ran exactly once.
  CHECK(put.calls == 1);
  CHECK(get.calls == 1);
  CHECK(deleted.calls == 1);
  CHECK(after.calls == 1);
}
