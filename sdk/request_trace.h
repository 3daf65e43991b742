#pragma once
// What a request reports as it runs: its latency and outcome to the client's metrics
// (sdk/metrics_recorder.h), and, when ClientOptions::tracer is set, a span for the request
// and one for each call it makes to a replica (ringkv/tracing.h).
//
// Without a tracer this allocates nothing: a RequestScope is an op, a start time and a
// null pointer, and a ReplicaCallReport two pointers and a null one. Loop thread only.

#include <chrono>
#include <memory>
#include <string_view>

#include "ringkv/metrics.h"
#include "ringkv/tracing.h"
#include "sdk/metrics_recorder.h"
#include "sdk/placement.h"

namespace ringkv::sdk {

// A traced request's span, shared with the replica calls it starts: they may start after
// the request ended (read repair), so it lives until the last of them has started.
struct RequestTrace {
  Tracer* tracer = nullptr;
  std::unique_ptr<Span> span;
  bool ended = false;
};

// One request, from its arrival on the loop (Begin) to its result (End), retries included.
struct RequestScope {
  ClientOp op = ClientOp::kGet;
  std::chrono::steady_clock::time_point start;
  std::shared_ptr<RequestTrace> trace;  // null: no tracer, or it left this request untraced

  // `stored_key` names the namespace for the span (common/namespace.h); read only when traced.
  static RequestScope Begin(Tracer* tracer, ClientOp op, std::string_view stored_key);
  // Counts the request in `metrics` and ends its span. `replicas` used and `siblings`
  // returned count when it succeeded (-1: not counted for this op). Once per scope.
  void End(MetricsRecorder& metrics, const Status& outcome, int replicas, int siblings) const;
};

// One call to a replica: counted in the metrics when it settles, with a span when its
// request is traced. Copyable: the call's success, failure and timeout paths each hold
// one, and the first to settle reports.
class ReplicaCallReport {
 public:
  ReplicaCallReport(MetricsRecorder* metrics, const RequestTrace* request, ReplicaCall call, const Replica& to,
                    std::string_view hint_for = {});
  void Settled(const Status& outcome) const;

 private:
  struct CallSpan {
    std::unique_ptr<Span> span;
    bool ended = false;
  };
  MetricsRecorder* metrics_;
  ReplicaCall call_;
  std::shared_ptr<CallSpan> span_;  // null: not traced
};

}  // namespace ringkv::sdk
