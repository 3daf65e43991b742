#pragma once
// A ringkv::Tracer for tests: keeps every span it was asked for, with its parent and its
// outcome, for the test thread to inspect (spans start and end on the client's loop).

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ringkv/tracing.h"

namespace ringkv::testing {

class RecordingTracer : public Tracer {
 public:
  struct Recorded {
    bool request = false;  // a request span; else a replica call
    ClientOp op = ClientOp::kGet;
    ReplicaCall call = ReplicaCall::kGet;
    std::string ns, node_id, address, hint_for;
    int parent = -1;  // a replica call: the index of its request's span
    std::chrono::system_clock::time_point start, end;
    std::optional<StatusCode> outcome;  // unset: not ended (yet)
    int ends = 0;
    int replicas = 0, siblings = 0;
  };

  std::unique_ptr<Span> StartRequest(const RequestSpanInfo& info) override {
    std::lock_guard lock(mu_);
    if (!trace_requests_) return nullptr;
    Recorded r;
    r.request = true;
    r.op = info.op;
    r.ns = std::string(info.ns);
    r.start = info.start;
    spans_.push_back(r);
    return std::make_unique<RecordedSpan>(this, static_cast<int>(spans_.size()) - 1);
  }
  std::unique_ptr<Span> StartReplicaCall(Span& request, const ReplicaCallSpanInfo& info) override {
    std::lock_guard lock(mu_);
    Recorded r;
    r.call = info.call;
    r.node_id = std::string(info.node_id);
    r.address = std::string(info.address);
    r.hint_for = std::string(info.hint_for);
    r.parent = static_cast<RecordedSpan&>(request).index;
    r.start = info.start;
    spans_.push_back(r);
    return std::make_unique<RecordedSpan>(this, static_cast<int>(spans_.size()) - 1);
  }

  std::vector<Recorded> spans() const {
    std::lock_guard lock(mu_);
    return spans_;
  }
  // false: StartRequest returns nullptr (the app's sampler leaves requests untraced).
  void TraceRequests(bool on) {
    std::lock_guard lock(mu_);
    trace_requests_ = on;
  }

 private:
  struct RecordedSpan : Span {
    RecordedSpan(RecordingTracer* t, int i) : tracer(t), index(i) {}
    void End(const SpanOutcome& outcome) override {
      std::lock_guard lock(tracer->mu_);
      Recorded& r = tracer->spans_[static_cast<size_t>(index)];
      r.end = outcome.end;
      r.outcome = outcome.status.code();
      r.replicas = outcome.replicas;
      r.siblings = outcome.siblings;
      ++r.ends;
    }
    RecordingTracer* tracer;
    int index;
  };

  mutable std::mutex mu_;
  std::vector<Recorded> spans_;
  bool trace_requests_ = true;
};

}  // namespace ringkv::testing
