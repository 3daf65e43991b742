#pragma once
// LatencyTracker: what this client has seen of each node's answer times, as Cassandra's
// dynamic snitch. Pure: no clock, no I/O — the caller passes the time (any monotonic
// clock's reading) and reports each call's start and end. Loop thread only (not locked).
//
// Per node and kind of call (reads; writes, which wait for the node's log) it keeps a
// moving average (EWMA) of the answer time and a p95 over its last kWindow answers, and per
// node its calls in flight with their start times, so that a node which
// stops answering shows at once in the age of its oldest call in flight (OldestInFlight),
// not only once a call times out. A call that ends without an answer (failed, timed out
// or abandoned) counts as an answer that took as long as it waited. Samples older than
// `forget_after` are forgotten, so a node that was slow is tried again once its calls
// have ended; its calls in flight then speak for it.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ringkv::sdk {

enum class CallKind { kRead, kWrite };

class LatencyTracker {
 public:
  using Time = std::chrono::nanoseconds;  // a monotonic clock's reading
  using Ms = std::chrono::duration<double, std::milli>;
  static constexpr size_t kWindow = 64;    // answers the p95 is taken over
  static constexpr double kAlpha = 0.1;    // EWMA weight of the newest answer
  static constexpr size_t kRecompute = 8;  // the p95 is recomputed every this many answers

  explicit LatencyTracker(Time forget_after = std::chrono::seconds(2)) : forget_after_(forget_after) {}

  // A call to `node` starts at `now`; the ticket to end it with.
  uint64_t Started(const std::string& node, CallKind kind, Time now);
  // The call `ticket` to `node` ended at `now` (answered, failed or given up on: each is
  // a sample of how long the node kept the caller waiting). Unknown tickets are ignored.
  void Ended(const std::string& node, uint64_t ticket, Time now);

  // The moving average of `node`'s answers to calls of `kind`, unset with none (or none
  // recent) at `now`.
  std::optional<Ms> Average(const std::string& node, CallKind kind, Time now) const;
  // The p95 of `node`'s last answers to calls of `kind`, unset with none (or none recent).
  std::optional<Ms> P95(const std::string& node, CallKind kind, Time now) const;
  // How long `node`'s oldest call in flight has waited at `now` (0 with none).
  Ms OldestInFlight(const std::string& node, Time now) const;
  size_t InFlight(const std::string& node) const;
  // What replicas are ordered by for a call of `kind` (lower is faster): the larger of the
  // average and the oldest call's wait (of any kind); 0 for a node with neither (an unknown
  // node is tried).
  Ms Score(const std::string& node, CallKind kind, Time now) const;

 private:
  struct Answers {
    double ewma_ms = 0;
    bool has_ewma = false;
    Time last_answer{0};
    std::vector<double> window;  // ring of the last kWindow answers, ms
    size_t next = 0;             // where the next answer goes in `window`
    size_t since_recompute = 0;
    double p95_ms = 0;
  };
  struct Call {
    Time start;
    CallKind kind;
  };
  struct Node {
    Answers answers[2];                  // by CallKind
    std::map<uint64_t, Call> in_flight;  // by ticket; tickets grow, so begin() is the oldest
  };
  bool Recent(const Answers& a, Time now) const { return a.has_ewma && now - a.last_answer <= forget_after_; }
  const Answers* Find(const std::string& node, CallKind kind, Time now) const;
  void Add(Answers& a, double ms, Time now);
  static double Percentile95(std::vector<double> samples);

  Time forget_after_;
  uint64_t next_ticket_ = 1;
  std::map<std::string, Node, std::less<>> nodes_;
};

}  // namespace ringkv::sdk
