// session_store: web sessions with a time to live, in a last-writer-wins namespace.
//   session_store [HOST:PORT,...]
//
// ringkv has no server-side TTL; the usual pattern is to store the expiry with the value,
// treat an expired session as absent on read, and delete it then (lazy expiry), with a
// renewal being a plain overwrite. Sessions are a good fit for LWW: the newest write of a
// session is the one that matters, and siblings would only get in the way. (LWW may drop
// one of two truly concurrent writes; for carts and counters use the default mode.) The
// conflict mode is the namespace's: the sample creates "sessions" with conflict=lww (as
// `kv ns create sessions conflict=lww` would), and every client of it gets LWW.

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "ringkv/client.h"
#include "sample_util.h"

using namespace ringkv;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SessionStore {
 public:
  explicit SessionStore(Client& kv) : kv_(kv) {}

  static constexpr const char* kNamespace = "sessions";

  // Creates the LWW namespace the sessions live in, unless it exists.
  Status Open() {
    RINGKV_ASSIGN(auto namespaces, kv_.ListNamespaces());
    for (const NamespaceInfo& ns : namespaces) {
      if (ns.name == kNamespace) return Status::OK();
    }
    NamespaceSettings lww;
    lww.conflict = ConflictMode::kLastWriterWins;
    return kv_.CreateNamespace(kNamespace, lww);
  }

  // Creates or renews: the value is "<expires-at-ms>|<data>".
  Status Put(const std::string& id, const std::string& data, std::chrono::milliseconds ttl) {
    return kv_.Put(Key(id), std::to_string(NowMs() + ttl.count()) + "|" + data, {}, In()).status();
  }

  // The session's data, or NotFound when it never existed or has expired (then it is
  // deleted, so the key does not linger).
  Result<std::string> Get(const std::string& id) {
    RINGKV_ASSIGN(GetResult got, kv_.Get(Key(id), In()));
    if (!got.found) return Status::NotFound("no session " + id);
    const std::string& value = got.values.front();  // LWW: exactly one
    auto bar = value.find('|');
    if (bar == std::string::npos) return Status::Corruption("session " + id + " is not <expiry>|<data>");
    if (std::stoll(value.substr(0, bar)) <= NowMs()) {
      RINGKV_TRY(kv_.Delete(Key(id), got.context, In()).status());
      return Status::NotFound("session " + id + " expired");
    }
    return value.substr(bar + 1);
  }

 private:
  static std::string Key(const std::string& id) { return "session:" + id; }
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
  ClientOptions options = samples::OptionsFromArgs(argc, argv);
  auto client = Client::Connect(options);
  if (!client.ok()) return Fail("connect", client.status());
  SessionStore sessions(**client);
  if (Status s = sessions.Open(); !s.ok()) return Fail("create the sessions namespace", s);
  const std::string run = std::to_string(NowMs());

  using namespace std::chrono_literals;
  for (const char* user : {"ada", "grace", "linus"}) {
    if (Status s = sessions.Put(run + "-" + user, std::string("user=") + user, 800ms); !s.ok()) return Fail("put", s);
  }
  std::printf("created 3 sessions with an 800 ms TTL\n");
  std::this_thread::sleep_for(400ms);
  if (Status s = sessions.Put(run + "-ada", "user=ada;cart=2", 60s); !s.ok()) return Fail("renew", s);
  std::printf("ada is active again: her session is renewed for 60 s\n");
  std::this_thread::sleep_for(700ms);

  int alive = 0, expired = 0;
  for (const char* user : {"ada", "grace", "linus"}) {
    auto data = sessions.Get(run + "-" + user);
    if (data.ok()) {
      ++alive;
      std::printf("  %-6s active: %s\n", user, data->c_str());
    } else if (data.status().code() == StatusCode::kNotFound) {
      ++expired;
      std::printf("  %-6s %s\n", user, data.status().message().c_str());
    } else {
      return Fail("get", data.status());
    }
  }
  // Expired sessions were deleted on read: a second look finds nothing at all.
  RequestOptions in_sessions;
  in_sessions.ns = SessionStore::kNamespace;
  auto again = (*client)->Get("session:" + run + "-grace", in_sessions);
  if (!again.ok()) return Fail("get deleted", again.status());

  bool ok = alive == 1 && expired == 2 && !again->found;
  std::printf("%s\n", ok ? "session_store ok" : "session_store: UNEXPECTED RESULT");
  return ok ? 0 : 1;
}
