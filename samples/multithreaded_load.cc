// multithreaded_load: one Client shared by many application threads — the way a web
// server uses ringkv. Each thread writes its own keys and reads them back (W=2 + R=2 > N=3:
// every read sees the thread's latest write), with both the blocking calls and futures.
//   multithreaded_load [HOST:PORT,...] [THREADS=8] [OPS_PER_THREAD=2000]
//
// A Client is thread-safe and cheap to share: its network work runs on one event-loop
// thread, and calls from many threads are batched into the same RPCs.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "ringkv/client.h"
#include "sample_util.h"

using namespace ringkv;

namespace {

struct Counters {
  std::atomic<uint64_t> ops{0}, stale_reads{0}, errors{0};
};

void Worker(Client& kv, int thread, int ops, const std::string& run, Counters& c) {
  std::string prefix = "load:" + run + ":" + std::to_string(thread) + ":";
  // Each put passes the context of this thread's previous write of the key, so it replaces
  // that version; a put without one would be concurrent with it and leave siblings.
  std::map<std::string, Context> last;
  auto check = [&](const Result<GetResult>& got, const std::string& value) {
    if (!got.ok())
      ++c.errors;
    else if (got->values != std::vector<std::string>{value})
      ++c.stale_reads;
  };
  for (int i = 0; i < ops; i += 2) {
    std::string key = prefix + std::to_string(i % 64);  // rewrite the same 64 keys
    std::string value = std::to_string(i);
    if ((i / 2) % 2 == 0) {  // blocking calls
      auto put = kv.Put(key, value, last[key]);
      if (!put.ok())
        ++c.errors;
      else
        last[key] = put->context;
      check(kv.Get(key), value);
    } else {  // futures: two requests in flight from one thread
      auto put = kv.PutAsync(key, value, last[key]);
      auto other = kv.GetAsync(prefix + "absent");
      auto done = put.get();
      if (!done.ok())
        ++c.errors;
      else
        last[key] = done->context;
      auto missing = other.get();
      if (!missing.ok() || missing->found) ++c.errors;
      check(kv.Get(key), value);
    }
    c.ops += 2;
  }
}

}  // namespace

int main(int argc, char** argv) {
  ClientOptions options = samples::OptionsFromArgs(argc, argv);
  int threads = argc > 2 ? std::atoi(argv[2]) : 8;
  int ops = argc > 3 ? std::atoi(argv[3]) : 2000;
  if (threads < 1 || threads > 256 || ops < 2) {
    std::fprintf(stderr, "multithreaded_load: THREADS must be in 1..256 and OPS_PER_THREAD >= 2\n");
    return 2;
  }
  auto client = Client::Connect(options);
  if (!client.ok()) return samples::Fail("multithreaded_load", "connect", client.status());
  const std::string run = std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());

  Counters c;
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(Worker, std::ref(**client), t, ops, run, std::ref(c));
  for (auto& t : pool) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf("%d threads x %d ops on one client: %llu ops in %.2f s = %.0f ops/s; %llu stale reads, %llu errors\n",
              threads, ops, static_cast<unsigned long long>(c.ops.load()), secs, static_cast<double>(c.ops) / secs,
              static_cast<unsigned long long>(c.stale_reads.load()), static_cast<unsigned long long>(c.errors.load()));
  bool ok = c.stale_reads == 0 && c.errors == 0;
  std::printf("%s\n", ok ? "multithreaded_load ok" : "multithreaded_load: FAILED");
  return ok ? 0 : 1;
}
