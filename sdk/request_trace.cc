#include "sdk/request_trace.h"

#include <algorithm>

#include "common/namespace.h"

namespace ringkv::sdk {

RequestScope RequestScope::Begin(Tracer* tracer, ClientOp op, std::string_view stored_key) {
  RequestScope scope{op, std::chrono::steady_clock::now(), nullptr};
  if (tracer == nullptr) return scope;
  auto parsed = ParseStoredKey(stored_key);
  std::string_view ns = parsed.ok() ? std::string_view(parsed->name) : kDefaultNamespace;
  auto span = tracer->StartRequest(RequestSpanInfo{op, ns, std::chrono::system_clock::now()});
  if (span != nullptr) scope.trace = std::make_shared<RequestTrace>(RequestTrace{tracer, std::move(span), false});
  return scope;
}

void RequestScope::End(MetricsRecorder& metrics, const Status& outcome, int replicas, int siblings) const {
  metrics.RecordRequest(op, std::chrono::steady_clock::now() - start, outcome, replicas, siblings);
  if (trace == nullptr || trace->ended) return;
  trace->ended = true;
  trace->span->End(
      SpanOutcome{outcome, std::chrono::system_clock::now(), std::max(replicas, 0), std::max(siblings, 0)});
}

ReplicaCallReport::ReplicaCallReport(MetricsRecorder* metrics, const RequestTrace* request, ReplicaCall call,
                                     const Replica& to, std::string_view hint_for)
    : metrics_(metrics), call_(call) {
  if (request == nullptr) return;
  ReplicaCallSpanInfo info{call, to.id, to.address, hint_for, std::chrono::system_clock::now()};
  auto span = request->tracer->StartReplicaCall(*request->span, info);
  if (span != nullptr) span_ = std::make_shared<CallSpan>(CallSpan{std::move(span), false});
}

void ReplicaCallReport::Settled(const Status& outcome) const {
  if (span_ != nullptr) {
    if (span_->ended) return;  // another path of the same call reported first
    span_->ended = true;
    span_->span->End(SpanOutcome{outcome, std::chrono::system_clock::now()});
  }
  metrics_->RecordReplicaCall(call_, outcome);
}

}  // namespace ringkv::sdk
