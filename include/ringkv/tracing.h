#pragma once
// Tracing hooks: a Tracer set in ClientOptions::tracer gets a span for every request and
// for every call that request makes to a replica, so an application can bridge them to
// OpenTelemetry (or a log) without ringkv depending on either. samples/tracing.cc prints
// them.
//
// Calls: StartRequest when a request reaches the client's event loop, StartReplicaCall as
// it sends each call to a replica (with the request's span as the parent), and Span::End
// once each has an outcome. All of them run on the client's event-loop thread: keep them
// short and never block in them (hand spans to an exporter queue). A hook must not throw.
//
// Lifetimes: a span is destroyed right after its End. The request span passed to
// StartReplicaCall may have ended already (a read repair sent after the read returned,
// a late replica), but it is still alive. A span destroyed without End was abandoned: its
// call was still in flight when the client shut down.
//
// Without a tracer (the default) nothing is allocated and no clock is read for spans.
// StartRequest may return nullptr to leave a request untraced (sampling): its replica
// calls then get no spans either.

#include <chrono>
#include <memory>
#include <string_view>

#include "ringkv/metrics.h"
#include "ringkv/status.h"

namespace ringkv {

struct RequestSpanInfo {
  ClientOp op;
  std::string_view ns;  // the key's namespace ("default" for keys written without one)
  std::chrono::system_clock::time_point start;
};

struct ReplicaCallSpanInfo {
  ReplicaCall call;
  std::string_view node_id;  // the node called
  std::string_view address;  // its host:port
  // For a hint: the replica the node holds the write for; empty otherwise.
  std::string_view hint_for;
  std::chrono::system_clock::time_point start;
};

struct SpanOutcome {
  const Status& status;  // OK, or why the request / call failed
  std::chrono::system_clock::time_point end;
  // Requests that succeeded: replicas that answered (get) or hold the write (put, delete).
  int replicas = 0;
  int siblings = 0;  // successful gets: the values returned
};

class Span {
 public:
  virtual ~Span() = default;
  // Called once, when the request or call has its outcome.
  virtual void End(const SpanOutcome& outcome) = 0;
};

class Tracer {
 public:
  virtual ~Tracer() = default;
  // A request begins (after its input was checked: a request rejected for bad input gets
  // no span). nullptr: do not trace it.
  virtual std::unique_ptr<Span> StartRequest(const RequestSpanInfo& info) = 0;
  // A call to a replica begins, for the request `request` (the span StartRequest returned).
  // nullptr: do not trace it.
  virtual std::unique_ptr<Span> StartReplicaCall(Span& request, const ReplicaCallSpanInfo& info) = 0;
};

}  // namespace ringkv
