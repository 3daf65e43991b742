// session_store: web sessions that expire, with ringkv's TTL.
//   session_store [HOST:PORT,...]
//
// The sessions live in their own namespace, "sessions": last-writer-wins (the newest write
// of a session is the one that matters; siblings would only get in the way) and a default
// TTL of 1 s, so every session put expires unless the put says otherwise. A renewal is a
// plain put with a longer TTL (RequestOptions::ttl). An expired session reads as absent on
// every replica: the application neither stores an expiry nor deletes anything, and the
// nodes drop the expired bytes when they compact.

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "ringkv/client.h"
#include "sample_util.h"

using namespace ringkv;

namespace {

constexpr const char* kNamespace = "sessions";

class SessionStore {
 public:
  explicit SessionStore(Client& kv) : kv_(kv) {}

  // The namespace with LWW and a 1 s default TTL (kept if a previous run created it).
  Status Setup() {
    NamespaceSettings settings;
    settings.conflict = ConflictMode::kLastWriterWins;
    settings.default_ttl_s = 1;
    Status created = kv_.CreateNamespace(kNamespace, settings);
    if (created.ok()) return created;
    auto existing = kv_.ListNamespaces();
    if (!existing.ok()) return existing.status();
    for (const NamespaceInfo& ns : *existing) {
      if (ns.name == kNamespace) return kv_.AlterNamespace(kNamespace, settings);
    }
    return created;
  }

  // Creates a session with the namespace's default TTL.
  Status Create(const std::string& id, const std::string& data) { return kv_.Put(id, data, {}, In()).status(); }

  // Renews a session for `ttl` from now.
  Status Renew(const std::string& id, const std::string& data, std::chrono::milliseconds ttl) {
    RequestOptions o = In();
    o.ttl = ttl;
    return kv_.Put(id, data, {}, o).status();
  }

  // The session's data, or NotFound when it never existed or has expired.
  Result<std::string> Get(const std::string& id) {
    RINGKV_ASSIGN(GetResult got, kv_.Get(id, In()));
    if (!got.found) return Status::NotFound("no session " + id);
    return got.values.front();  // LWW: exactly one
  }

 private:
  static RequestOptions In() {
    RequestOptions o;
    o.ns = kNamespace;
    return o;
  }
  Client& kv_;
};

int Fail(const char* step, const Status& s) { return samples::Fail("session_store", step, s); }

}  // namespace

int main(int argc, char** argv) {
  auto client = Client::Connect(samples::OptionsFromArgs(argc, argv));
  if (!client.ok()) return Fail("connect", client.status());
  SessionStore sessions(**client);
  if (Status s = sessions.Setup(); !s.ok()) return Fail("namespace setup", s);
  const std::string run = std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());

  using namespace std::chrono_literals;
  for (const char* user : {"ada", "grace", "linus"}) {
    if (Status s = sessions.Create(run + "-" + user, std::string("user=") + user); !s.ok()) return Fail("put", s);
  }
  std::printf("created 3 sessions with the namespace's 1 s TTL\n");
  if (Status s = sessions.Renew(run + "-ada", "user=ada;cart=2", 60s); !s.ok()) return Fail("renew", s);
  std::printf("ada is active again: her session is renewed for 60 s\n");

  // Wait (at most 10 s) until the two sessions nobody renewed are gone.
  auto start = std::chrono::steady_clock::now();
  bool expired = false;
  while (!expired && std::chrono::steady_clock::now() - start < 10s) {
    expired = true;
    for (const char* user : {"grace", "linus"}) {
      auto data = sessions.Get(run + "-" + user);
      if (!data.ok() && data.status().code() != StatusCode::kNotFound) return Fail("get", data.status());
      expired = expired && !data.ok();
    }
    if (!expired) std::this_thread::sleep_for(100ms);
  }
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  if (expired)
    std::printf("grace and linus expired after their TTL (%lld ms after their put)\n", (long long)waited.count());
  auto ada = sessions.Get(run + "-ada");
  if (!ada.ok() && ada.status().code() != StatusCode::kNotFound) return Fail("get ada", ada.status());
  if (ada.ok()) std::printf("  ada    active: %s\n", ada->c_str());

  bool ok = expired && ada.ok() && *ada == "user=ada;cart=2";
  std::printf("%s\n", ok ? "session_store ok" : "session_store: UNEXPECTED RESULT");
  return ok ? 0 : 1;
}
