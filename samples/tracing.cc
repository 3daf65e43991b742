// tracing: what the client sees, through the two hooks an app has.
//   tracing [HOST:PORT,...]
//
// 1. A Tracer (ringkv/tracing.h) set in ClientOptions gets a span per request and per call
//    to a replica. Its hooks run on the client's event loop, so this one does what an
//    exporter should: it only queues each finished span; the main thread prints them, each
//    request with its replica calls under it. An OpenTelemetry bridge would start an OTel
//    span in StartRequest / StartReplicaCall (with the start time given, and the request's
//    span as parent) and end it in Span::End.
// 2. Client::Metrics() (ringkv/metrics.h) and Client::MetricsText() (Prometheus text, for
//    the app's own /metrics page): latency, errors, replicas used, siblings per read.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "ringkv/client.h"
#include "ringkv/metrics.h"
#include "ringkv/tracing.h"
#include "sample_util.h"

using namespace ringkv;

namespace {

int Fail(const char* step, const Status& s) { return samples::Fail("tracing", step, s); }

double Ms(std::chrono::system_clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// A finished span, as the exporter queue holds it.
struct FinishedSpan {
  uint64_t id = 0;
  uint64_t parent = 0;  // 0: a request
  std::string line;
};

class QueueingTracer : public Tracer {
 public:
  std::unique_ptr<Span> StartRequest(const RequestSpanInfo& info) override {
    std::string what = std::string(ClientOpName(info.op)) + " ns=" + std::string(info.ns);
    return std::make_unique<QueuedSpan>(this, next_id_++, 0, what, info.start);
  }
  std::unique_ptr<Span> StartReplicaCall(Span& request, const ReplicaCallSpanInfo& info) override {
    std::string what = std::string(ReplicaCallName(info.call)) + " " + std::string(info.node_id) + " (" +
                       std::string(info.address) + ")";
    if (!info.hint_for.empty()) what += " holding a hint for " + std::string(info.hint_for);
    return std::make_unique<QueuedSpan>(this, next_id_++, static_cast<QueuedSpan&>(request).id, what, info.start);
  }
  // The spans finished since the last call. Any thread.
  std::vector<FinishedSpan> Drain() {
    std::lock_guard lock(mu_);
    return std::exchange(finished_, {});
  }

 private:
  struct QueuedSpan : Span {
    QueuedSpan(QueueingTracer* t, uint64_t i, uint64_t p, std::string w, std::chrono::system_clock::time_point s)
        : tracer(t), id(i), parent(p), what(std::move(w)), start(s) {}
    void End(const SpanOutcome& outcome) override {
      char took[32];
      std::snprintf(took, sizeof(took), "%.2f ms", Ms(outcome.end - start));
      std::string line = what + "  " + took + "  " + std::string(StatusCodeName(outcome.status.code()));
      if (parent == 0 && outcome.status.ok()) {
        line += "  replicas=" + std::to_string(outcome.replicas);
        if (what.starts_with("get")) line += " values=" + std::to_string(outcome.siblings);
      }
      std::lock_guard lock(tracer->mu_);
      tracer->finished_.push_back({id, parent, std::move(line)});
    }
    QueueingTracer* tracer;
    uint64_t id, parent;
    std::string what;
    std::chrono::system_clock::time_point start;
  };

  std::atomic<uint64_t> next_id_{1};  // only the loop thread starts spans; atomic for clarity
  std::mutex mu_;
  std::vector<FinishedSpan> finished_;
};

// Prints each finished request with its calls under it. Returns how many requests had at
// least one replica call (calls that finish after the next Print show as "late").
int Print(const char* step, QueueingTracer& tracer) {
  std::printf("%s\n", step);
  auto spans = tracer.Drain();
  std::map<uint64_t, std::vector<std::string>> calls;
  for (const auto& s : spans) {
    if (s.parent != 0) calls[s.parent].push_back(s.line);
  }
  int with_calls = 0;
  for (const auto& s : spans) {
    if (s.parent != 0) continue;
    std::printf("  request %s\n", s.line.c_str());
    auto it = calls.find(s.id);
    if (it == calls.end()) continue;
    ++with_calls;
    for (const auto& c : it->second) std::printf("    call %s\n", c.c_str());
    calls.erase(it);
  }
  for (const auto& [parent, lines] : calls) {
    for (const auto& c : lines) std::printf("  (late, request #%llu) call %s\n", (unsigned long long)parent, c.c_str());
  }
  return with_calls;
}

}  // namespace

int main(int argc, char** argv) {
  ClientOptions options = samples::OptionsFromArgs(argc, argv);
  auto tracer = std::make_shared<QueueingTracer>();
  options.tracer = tracer;
  auto client = Client::Connect(options);
  if (!client.ok()) return Fail("connect", client.status());
  Client& kv = **client;

  int traced = 0;
  auto put = kv.Put("tracing:greeting", "hello");
  if (!put.ok()) return Fail("put", put.status());
  traced += Print("1. put", *tracer);
  auto got = kv.Get("tracing:greeting");
  if (!got.ok()) return Fail("get", got.status());
  traced += Print("2. get", *tracer);

  // Two writers from the same version: the next read returns both (siblings).
  auto a = kv.PutAsync("tracing:greeting", "hi", got->context);
  auto b = kv.PutAsync("tracing:greeting", "hey", got->context);
  if (auto s = a.get(); !s.ok()) return Fail("first concurrent put", s.status());
  if (auto s = b.get(); !s.ok()) return Fail("second concurrent put", s.status());
  RequestOptions all;
  all.level = Consistency::kAll;
  auto both = kv.Get("tracing:greeting", all);
  if (!both.ok()) return Fail("get siblings", both.status());
  traced += Print("3. two concurrent puts, then a get at ALL", *tracer);
  if (auto s = kv.Delete("tracing:greeting", both->context); !s.ok()) return Fail("delete", s.status());
  traced += Print("4. delete", *tracer);

  ClientMetrics m = kv.Metrics();
  std::printf("5. Client::Metrics()\n");
  for (ClientOp op : {ClientOp::kGet, ClientOp::kPut, ClientOp::kDelete}) {
    const OpMetrics& o = m.of(op);
    std::printf("  %-6s requests=%llu errors=%llu p50<=%lld us p99<=%lld us replicas used=%llu\n",
                std::string(ClientOpName(op)).c_str(), (unsigned long long)o.requests, (unsigned long long)o.errors,
                (long long)o.latency.Quantile(0.5).count(), (long long)o.latency.Quantile(0.99).count(),
                (unsigned long long)o.replicas.sum);
  }
  uint64_t with_siblings = 0;
  const CountHistogram& siblings = m.of(ClientOp::kGet).siblings;
  for (size_t i = 2; i < siblings.buckets.size(); ++i) with_siblings += siblings.buckets[i];
  std::printf("  gets that returned siblings: %llu\n", (unsigned long long)with_siblings);
  std::printf("6. Client::MetricsText() (an excerpt)\n");
  std::istringstream text(kv.MetricsText());
  for (std::string line; std::getline(text, line);) {
    if (line.starts_with("ringkv_client_requests_total") || line.starts_with("ringkv_client_siblings_per_read_sum")) {
      std::printf("  %s\n", line.c_str());
    }
  }

  uint64_t requests = 0;
  for (const OpMetrics& o : m.ops) requests += o.requests;
  bool ok = traced == 6 && requests == 6 && with_siblings == 1;
  std::printf("%s\n", ok ? "tracing ok: every request traced with its replica calls, and counted"
                         : "tracing: unexpected results");
  return ok ? 0 : 1;
}
