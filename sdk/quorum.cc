#include "sdk/quorum.h"

#include <algorithm>
#include <memory>
#include <set>

#include "capnp/bounded.h"
#include "capnp/convert.h"
#include "common/clock.h"
#include "sdk/get_tally.h"
#include "sdk/put_tally.h"
#include "sdk/replica_choice.h"

namespace ringkv::sdk {

uint64_t ClientWallMs(std::chrono::milliseconds offset) {
  auto ms = static_cast<int64_t>(Clock::System().WallMs()) + offset.count();
  return ms > 0 ? static_cast<uint64_t>(ms) : 1;
}

namespace {

// Errors about the request itself (not the replica): retrying elsewhere cannot help.
bool IsRequestError(const Status& s) {
  return s.IsInvalidArgument() || s.IsStaleRing() || s.code() == StatusCode::kNotSupported || s.IsPermissionDenied();
}

std::string Describe(const kj::Exception& e) { return std::string(e.getDescription().cStr()); }

bool Contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

bool KnownDown(const RequestEnv& env, const Targets& t, const Replica& r) {
  return Contains(t.down, r.id) || env.pool->IsDown(r.address);
}

// The handler for a detached step of request `s`: an exception there (a bug, memory
// exhausted) fails the request at once — a no-op if it has ended — and is logged and
// counted, instead of leaving the request to its timeout.
template <typename State>
auto FailRequestOn(kj::Own<State> s, const char* where) {
  return [s = kj::mv(s), where](kj::Exception&& e) mutable { s->Finish(s->env.errors->Record(where, e)); };
}

LatencyTracker::Time Now() { return std::chrono::steady_clock::now().time_since_epoch(); }

bool Hedging(const RequestEnv& env) { return env.latency != nullptr && env.hedging.enabled; }

// True if the budget allows one more hedge now (and spends it).
bool SpendHedge(const RequestEnv& env) { return env.hedge_budget == nullptr || env.hedge_budget->TrySpend(); }

// A request started: it earns its share of a hedge.
void EarnHedge(const RequestEnv& env) {
  if (env.hedge_budget != nullptr) env.hedge_budget->OnRequest();
}

// Nodes not known down first, keeping preference order within each group.
std::vector<Replica> HealthyFirst(std::vector<Replica> replicas, const RequestEnv& env, const Targets& t) {
  std::stable_partition(replicas.begin(), replicas.end(), [&](const Replica& r) { return !KnownDown(env, t, r); });
  return replicas;
}

// The order a request asks a key's replicas in: with hedging the fastest first
// (sdk/replica_choice.h), else healthy first.
std::vector<Replica> AskOrder(std::vector<Replica> replicas, const RequestEnv& env, const Targets& t, CallKind kind) {
  if (!Hedging(env)) return HealthyFirst(kj::mv(replicas), env, t);
  return FastestFirst(kj::mv(replicas), *env.latency, kind, Now(), env.hedging,
                      [&](const Replica& r) { return KnownDown(env, t, r); });
}

// One replica call's entry in the client's latency tracker: started when the call is made,
// ended when it settles or is given up on (ending twice is harmless).
struct CallTiming {
  LatencyTracker* tracker = nullptr;
  std::string node;
  uint64_t ticket = 0;

  static CallTiming Start(const RequestEnv& env, const Replica& to, CallKind kind) {
    CallTiming t{env.latency, to.id, 0};
    if (t.tracker) t.ticket = t.tracker->Started(t.node, kind, Now());
    return t;
  }
  void End() const {
    if (tracker) tracker->Ended(node, ticket, Now());
  }
};

// A call to one replica, bounded: a replica silent for `limit` is slow, not gone.
template <typename T>
kj::Promise<T> Bounded(RequestEnv env, kj::Promise<T> call, const Replica& to, std::chrono::milliseconds limit,
                       ReplicaCallReport report, CallTiming timing) {
  return wire::Bounded(*env.timer, kj::mv(call), limit, [env, to, report, timing]() -> T {
    timing.End();
    env.pool->MarkDown(to.address);  // keep the connection; route around it for a while
    Status timed_out = Status::TimedOut(to.address + ": no answer in time");
    report.Settled(timed_out);
    return timed_out;
  });
}

// Runs `send` now or, over a simulated WAN (QuorumSpec::wan_delay) to another DC's node,
// that much later. Without a delay nothing is deferred: the call joins this turn's batch.
template <typename Send>
auto ViaWan(const RequestEnv& env, const QuorumSpec& spec, const Replica& to, Send send) -> decltype(send()) {
  if (spec.wan_delay.count() <= 0 || to.dc == spec.local_dc) return send();
  return env.timer->afterDelay(spec.wan_delay.count() * kj::MILLISECONDS).then(kj::mv(send));
}

// One replica's coordinatePut, with connection failures and slowness as statuses.
kj::Promise<Result<SiblingSet>> CoordinateAt(RequestEnv env, const Replica& at, const std::string& key,
                                             const CausalContext& context, const Sibling& write, const QuorumSpec& spec,
                                             std::string hint_for, std::chrono::milliseconds limit) {
  auto send = [env, address = at.address, key, context, write, header = spec.header, ship = spec.ship_to_dcs,
               hint_for = kj::mv(hint_for)]() mutable {
    return env.batcher->CoordinatePut(address, kj::mv(key), kj::mv(context), kj::mv(write), header, kj::mv(hint_for),
                                      kj::mv(ship));
  };
  auto report = env.Report(ReplicaCall::kCoordinate, at, hint_for);
  auto timing = CallTiming::Start(env, at, CallKind::kWrite);
  auto call = ViaWan(env, spec, at, kj::mv(send))
                  .then(
                      [env, at, report, timing](Result<SiblingSet> r) {
                        timing.End();
                        env.pool->MarkHealthy(at.address);
                        report.Settled(r.status());
                        return r;
                      },
                      [env, at, report, timing](kj::Exception&& e) -> Result<SiblingSet> {
                        timing.End();
                        env.pool->MarkFailed(at.address);
                        Status failed = Status::Unavailable(at.address + ": " + Describe(e));
                        report.Settled(failed);
                        return failed;
                      });
  return Bounded(env, kj::mv(call), at, limit, kj::mv(report), kj::mv(timing));
}

// `set` is shared by every replica's call (and the batcher), not copied per replica.
kj::Promise<Status> ReplicateAt(RequestEnv env, const Replica& to, const std::string& key,
                                std::shared_ptr<const SiblingSet> set, const QuorumSpec& spec,
                                std::string hint_for = {}) {
  auto report = env.Report(hint_for.empty() ? ReplicaCall::kReplicate : ReplicaCall::kHint, to, hint_for);
  auto send = [env, address = to.address, key, set = kj::mv(set), header = spec.header,
               hint_for = kj::mv(hint_for)]() mutable {
    return env.batcher->Replicate(address, kj::mv(key), kj::mv(set), header, kj::mv(hint_for));
  };
  auto timing = CallTiming::Start(env, to, CallKind::kWrite);
  auto call = ViaWan(env, spec, to, kj::mv(send))
                  .then(
                      [env, to, report, timing](Status st) {
                        timing.End();
                        env.pool->MarkHealthy(to.address);
                        report.Settled(st);
                        return st;
                      },
                      [env, to, report, timing](kj::Exception&& e) {
                        timing.End();
                        env.pool->MarkFailed(to.address);
                        Status failed = Status::Unavailable(to.address + ": " + Describe(e));
                        report.Settled(failed);
                        return failed;
                      });
  return Bounded(env, kj::mv(call), to, spec.replica_timeout, kj::mv(report), kj::mv(timing));
}

// ---- put ----

struct PutState : kj::Refcounted {
  RequestEnv env;
  QuorumSpec spec;
  Targets targets;
  std::string key;
  Sibling write;
  CausalContext context;

  std::vector<Replica> coordinators;  // replicas (healthy first), then fallbacks if sloppy
  size_t next_coordinator = 0;        // the next of them to try
  bool hedged = false;                // a second coordinator was asked after the hedge delay
  std::vector<Replica> fallbacks;     // for hints, healthy first
  size_t next_fallback = 0;
  std::vector<std::string> missed;  // replicas whose coordination attempt failed
  std::optional<Replica> coordinator;
  std::shared_ptr<const SiblingSet> set;  // the coordinated result, sent to every other replica

  PutTally tally;  // holders, per DC, pending acks, calls in flight: when the put is decided
  // Every call in flight holds a reference to this state: the token lasts until the last
  // one (a replica's copy or a hint after the ack) settles, so a closing client waits.
  OutstandingWrites::Token outstanding;
  bool done = false;
  PutResult result;
  kj::Own<kj::PromiseFulfiller<Result<PutResult>>> fulfiller;

  void Finish(Result<PutResult> r) {
    if (done) return;
    done = true;
    fulfiller->fulfill(kj::mv(r));
  }
  void CheckDone() {
    if (done) return;
    std::optional<Result<int>> verdict = tally.Verdict();
    if (!verdict) return;
    if (!verdict->ok()) return Finish(verdict->status());
    result.acks = **verdict;
    Finish(result);
  }
  void Failed(const Replica& r, const Status& st) { tally.Failed(r.id, st); }
};

void PlaceHint(kj::Own<PutState> s, Replica intended);

void ReplicateToReplica(kj::Own<PutState> s, Replica r) {
  PutState& st = *s;
  st.tally.CallStarted();
  auto fail = FailRequestOn(kj::addRef(st), "replicating a put");
  ReplicateAt(st.env, r, st.key, st.set, st.spec)
      .then([s = kj::mv(s), r](Status result) mutable {
        s->tally.CallSettled();
        if (result.ok()) {
          s->tally.Held(r.id, r.dc);
        } else if (IsRequestError(result)) {
          s->Finish(result);  // no-op when the put already succeeded
          // A newer ring on the replica: the client retries (if not yet done), but the
          // replica's copy must not depend on that — it goes out as a hint as well.
          if (result.IsStaleRing()) PlaceHint(kj::addRef(*s), r);
        } else {
          s->Failed(r, result);
          if (s->spec.sloppy) PlaceHint(kj::addRef(*s), r);
        }
        s->CheckDone();
      })
      .detach(kj::mv(fail));
}

// Sends the write to the next unused fallback as a hint for `intended`; with no fallback
// left, the coordinator keeps the hint (it holds the write already: no extra W credit).
void PlaceHint(kj::Own<PutState> s, Replica intended) {
  PutState& st = *s;
  QuorumSpec hint_spec = st.spec;
  hint_spec.header.ring_version = 0;  // a hint is not routed by the ring: never refused as stale
  while (st.next_fallback < st.fallbacks.size() && st.coordinator &&
         st.fallbacks[st.next_fallback].id == st.coordinator->id) {
    ++st.next_fallback;
  }
  if (st.next_fallback >= st.fallbacks.size()) {
    if (st.coordinator) {
      ReplicateAt(st.env, *st.coordinator, st.key, st.set, hint_spec, intended.id)
          .detach(FailRequestOn(kj::addRef(st), "keeping a hint at the coordinator"));
    }
    return;
  }
  Replica holder = st.fallbacks[st.next_fallback++];
  st.tally.CallStarted();
  auto fail = FailRequestOn(kj::addRef(st), "placing a hint");
  ReplicateAt(st.env, holder, st.key, st.set, hint_spec, intended.id)
      .then([s = kj::mv(s), holder, intended](Status result) mutable {
        s->tally.CallSettled();
        if (result.ok()) {
          s->tally.Held(holder.id, intended.dc);
          s->tally.outcomes().HintHeld(intended.id, holder.id);
        } else {
          s->tally.outcomes().HintFailed(intended.id, holder.id, result);
          PlaceHint(kj::addRef(*s), intended);
        }
        s->CheckDone();
      })
      .detach(kj::mv(fail));
}

void ReplicateToPending(kj::Own<PutState> s, Replica p) {
  PutState& st = *s;
  st.tally.CallStarted();
  auto fail = FailRequestOn(kj::addRef(st), "replicating a put to a pending replica");
  ReplicateAt(st.env, p, st.key, st.set, st.spec)
      .then([s = kj::mv(s), p](Status result) mutable {
        s->tally.CallSettled();
        if (result.ok())
          s->tally.PendingAcked(p.id);
        else
          s->Failed(p, result);
        s->CheckDone();
      })
      .detach(kj::mv(fail));
}

// The coordinator (a replica, or a fallback holding the write as a hint for `covered`)
// stored the write: every other replica and pending node gets the resulting value.
void OnCoordinated(kj::Own<PutState> s, const Replica& c, SiblingSet set, const std::string& covered) {
  PutState& st = *s;
  st.coordinator = c;
  st.set = std::make_shared<const SiblingSet>(kj::mv(set));
  st.tally.Held(c.id, covered.empty() ? c.dc : st.tally.DcOf(covered));
  st.result.context = Context(st.set->ReadContext().Encode());
  for (const Replica& r : st.targets.replicas) {
    if (r.id == c.id || r.id == covered) continue;
    bool down = Contains(st.missed, r.id) || KnownDown(st.env, st.targets, r);
    if (!down) {
      ReplicateToReplica(kj::addRef(st), r);
    } else if (st.spec.sloppy) {
      st.Failed(r, Status::Unavailable("down"));
      PlaceHint(kj::addRef(st), r);
    } else {
      st.Failed(r, Status::Unavailable("down (strict quorum: no hint)"));
    }
  }
  for (const Replica& p : st.targets.pending) {
    if (p.id == c.id)
      st.tally.PendingAcked(p.id);
    else
      ReplicateToPending(kj::addRef(st), p);
  }
  st.CheckDone();
}

bool IsReplica(const PutState& st, const Replica& c) {
  return std::find(st.targets.replicas.begin(), st.targets.replicas.end(), c) != st.targets.replicas.end();
}

// A second coordinator (a hedge, or the first one answering after the hedge) stored the
// same write under its own dot before the first one's value reached it. The replicas then
// keep the write once (one sibling per write id, the lower dot) but only those that see
// both dots agree on the context: this value goes to every other replica too, so all hold
// the same bytes and Merkle repair finds nothing to move. Not counted towards W: the first
// coordinator's value is. A failed call leaves the difference to anti-entropy.
void SpreadSecondCopy(PutState& st, const Replica& c, const std::string& covered, SiblingSet set) {
  Causality order = set.context().Compare(st.set->context());
  if (order == Causality::kBefore || order == Causality::kEqual) return;  // it held the first value already
  auto copy = std::make_shared<const SiblingSet>(kj::mv(set));
  for (const Replica& r : st.targets.replicas) {
    if (r.id == c.id || r.id == covered || KnownDown(st.env, st.targets, r)) continue;
    ReplicateAt(st.env, r, st.key, copy, st.spec).detach(FailRequestOn(kj::addRef(st), "spreading a hedged copy"));
  }
}

// A coordinator stored the write. The first one's value goes to every other replica
// (OnCoordinated); a hedged one that stored it too holds the same write (same write id and
// stamp: one version once the sets meet) and counts as a holder.
void Coordinated(kj::Own<PutState> s, const Replica& c, SiblingSet set, const std::string& covered) {
  if (!s->coordinator) return OnCoordinated(kj::mv(s), c, kj::mv(set), covered);
  s->tally.Held(c.id, covered.empty() ? c.dc : s->tally.DcOf(covered));
  if (!covered.empty()) s->tally.outcomes().HintHeld(covered, c.id);
  SpreadSecondCopy(*s, c, covered, kj::mv(set));
  s->CheckDone();
}

void TryNextCoordinator(kj::Own<PutState> s);

// With hedging: when `asked` has not coordinated within the hedge delay (its p95 for
// writes, bounded), the next replica coordinates the same write as well — once per put.
void ArmHedge(kj::Own<PutState> s, const Replica& asked) {
  PutState& st = *s;
  if (!Hedging(st.env) || !st.env.hedging.hedge_puts || st.hedged || st.next_coordinator >= st.coordinators.size()) {
    return;
  }
  const Replica& next = st.coordinators[st.next_coordinator];
  if (!IsReplica(st, next) || KnownDown(st.env, st.targets, next)) return;
  // A hedged put is a second write: only against a known p95, never on a guess.
  if (!st.env.latency->P95(asked.id, CallKind::kWrite, Now())) return;
  auto delay = HedgeDelay(*st.env.latency, CallKind::kWrite, {asked}, Now(), st.env.hedging);
  auto fail = FailRequestOn(kj::addRef(st), "hedging a put");
  st.env.timer->afterDelay(delay.count() * kj::MILLISECONDS)
      .then([s = kj::mv(s)]() mutable {
        if (s->done || s->coordinator || s->hedged || !SpendHedge(s->env)) return;
        s->hedged = true;
        TryNextCoordinator(kj::mv(s));
      })
      .detach(kj::mv(fail));
}

// Sends the write to the next coordinator, unless one has stored it already; a failed
// attempt moves on to the one after.
void TryNextCoordinator(kj::Own<PutState> s) {
  PutState& st = *s;
  if (st.done || st.coordinator) return;
  size_t i = st.next_coordinator++;
  if (i >= st.coordinators.size()) return st.CheckDone();
  const Replica c = st.coordinators[i];
  bool is_replica = IsReplica(st, c);
  // A fallback coordinates into a hint for the primary replica.
  std::string hint_for = is_replica ? std::string() : st.targets.replicas.front().id;
  // The attempt stands for a replica: itself, or the primary a fallback would hold a hint for.
  Replica stands_for = is_replica ? c : st.targets.replicas.front();
  bool last = i + 1 == st.coordinators.size();
  auto limit = last ? st.spec.timeout : st.spec.replica_timeout;
  st.tally.CallStarted();
  auto fail = FailRequestOn(kj::addRef(st), "coordinating a put");
  CoordinateAt(st.env, c, st.key, st.context, st.write, st.spec, hint_for, limit)
      .then([s = kj::addRef(st), c, hint_for, is_replica, stands_for](Result<SiblingSet> set) mutable {
        s->tally.CallSettled();
        if (set.ok()) return Coordinated(kj::mv(s), c, kj::mv(set).value(), hint_for);
        if (IsRequestError(set.status())) return s->Finish(set.status());
        if (is_replica)
          s->Failed(c, set.status());
        else
          s->tally.outcomes().HintFailed(stands_for.id, c.id, set.status());
        if (is_replica) s->missed.push_back(c.id);
        if (s->coordinator) return s->CheckDone();
        TryNextCoordinator(kj::mv(s));
      })
      .detach(kj::mv(fail));
  ArmHedge(kj::mv(s), c);
}

// ---- get ----

struct GetState : kj::Refcounted {
  RequestEnv env;
  QuorumSpec spec;
  std::string key;
  GetTally tally;              // replies and failures, per DC: when the read is decided
  std::vector<Replica> order;  // the replicas in the order they are asked
  std::vector<bool> asked;     // by index into `order`
  int asked_count = 0;
  uint64_t hedge_timer = 0;  // the latest hedge timer armed: an older one that fires does nothing
  bool done = false;
  bool repaired = false;
  SiblingSet merged;
  std::vector<std::pair<Replica, SiblingSet>> answers;  // what each replying replica holds
  kj::Own<kj::PromiseFulfiller<Result<GetResult>>> fulfiller;

  void Finish(Result<GetResult> r) {
    if (done) return;
    done = true;
    fulfiller->fulfill(kj::mv(r));
  }
};

void ReadRepair(RequestEnv env, GetState& s, const std::string& key, const QuorumSpec& spec) {
  if (s.repaired) return;
  s.repaired = true;
  if (s.merged.empty()) return;
  std::shared_ptr<const SiblingSet> merged;  // made once, for the first replica that differs
  for (const auto& [replica, held] : s.answers) {
    if (held == s.merged) continue;
    if (!merged) merged = std::make_shared<const SiblingSet>(s.merged);
    ReplicateAt(env, replica, key, merged, spec).detach([errors = env.errors](kj::Exception&& e) {
      (void)errors->Record("read repair", e);  // the read has its answer: nothing to fail
    });
  }
}

void OnGetAnswer(GetState& s) {
  if (std::optional<Status> verdict = s.tally.Verdict()) {
    if (verdict->ok())
      s.Finish(ToGetResult(s.merged, s.tally.replies()));
    else
      s.Finish(*verdict);
  }
  // Read repair once every replica asked has settled and the read is decided (or every
  // replica was asked): the replicas never asked are left to hints and Merkle repair.
  bool all_asked = s.asked_count == static_cast<int>(s.order.size());
  if (s.tally.settled() == s.asked_count && (s.done || all_asked)) ReadRepair(s.env, s, s.key, s.spec);
}

void AskReplica(kj::Own<GetState> state, size_t i);

// Asks the first replica not asked yet, if any is left; whether it did.
bool AskNext(GetState& s) {
  std::optional<size_t> next = NextAsk(s.order, s.asked, s.spec.need_per_dc);
  if (!next) return false;
  AskReplica(kj::addRef(s), *next);
  return true;
}

// With hedging and replicas left to ask: if the read is still open after the hedge delay
// of the replicas asked (the largest of their p95s, bounded), the next replica is asked and
// the timer armed again. Arming replaces the timer armed before.
void ArmHedge(GetState& s) {
  if (!Hedging(s.env) || s.done || !NextAsk(s.order, s.asked, s.spec.need_per_dc)) return;
  std::vector<Replica> asked;
  for (size_t i = 0; i < s.order.size(); ++i) {
    if (s.asked[i]) asked.push_back(s.order[i]);
  }
  auto delay = HedgeDelay(*s.env.latency, CallKind::kRead, asked, Now(), s.env.hedging);
  uint64_t armed = ++s.hedge_timer;
  auto fail = FailRequestOn(kj::addRef(s), "hedging a read");
  s.env.timer->afterDelay(delay.count() * kj::MILLISECONDS)
      .then([s = kj::addRef(s), armed]() mutable {
        if (s->done || armed != s->hedge_timer || !SpendHedge(s->env)) return;
        if (AskNext(*s)) ArmHedge(*s);
      })
      .detach(kj::mv(fail));
}

void AskReplica(kj::Own<GetState> state, size_t i) {
  GetState* s = state.get();
  s->asked[i] = true;
  ++s->asked_count;
  const Replica replica = s->order[i];
  RequestEnv env = s->env;
  auto report = env.Report(ReplicaCall::kGet, replica);
  auto timing = CallTiming::Start(env, replica, CallKind::kRead);
  auto fail = FailRequestOn(kj::addRef(*s), "reading a replica");
  ViaWan(env, s->spec, replica,
         [env, address = replica.address, key = s->key, header = s->spec.header]() {
           return env.batcher->Get(address, key, header);
         })
      .then(
          [env, s, keep = kj::addRef(*s), replica, report, timing](Result<SiblingSet> held) {
            timing.End();
            env.pool->MarkHealthy(replica.address);
            report.Settled(held.status());
            if (!held.ok() && IsRequestError(held.status())) return s->Finish(held.status());
            if (!held.ok()) {
              s->tally.Failed(replica, held.status());
              if (!s->done && AskNext(*s)) ArmHedge(*s);  // in its place, at once
            } else {
              s->tally.Replied(replica);
              // Expired values are absent by this client's clock too (a node whose clock
              // is behind may still hold them); and an answer differing from the merge
              // only in that is not repaired.
              held->Expire(ClientWallMs(s->spec.clock_offset));
              s->merged.Merge(*held);
              if (s->spec.lww) s->merged.ResolveLww();
              s->answers.emplace_back(replica, kj::mv(held).value());
            }
            OnGetAnswer(*s);
          },
          [env, s, keep = kj::addRef(*s), replica, report, timing](kj::Exception&& e) {
            timing.End();
            env.pool->MarkFailed(replica.address);
            Status failed = Status::Unavailable(Describe(e));
            report.Settled(failed);
            s->tally.Failed(replica, failed);
            if (!s->done && AskNext(*s)) ArmHedge(*s);
            OnGetAnswer(*s);
          })
      .detach(kj::mv(fail));
}

}  // namespace

GetResult ToGetResult(const SiblingSet& merged, int replies) {
  GetResult out;
  out.replies = replies;
  out.context = merged.empty() ? Context() : Context(merged.ReadContext().Encode());
  for (const Sibling& s : merged.siblings()) {
    if (!s.tombstone) out.values.push_back(s.value);
    out.siblings.push_back(SiblingInfo{s.dot.node + ":" + std::to_string(s.dot.counter), s.timestamp_ms, s.tombstone,
                                       s.value, s.expires_at_ms});
  }
  std::stable_sort(out.siblings.begin(), out.siblings.end(),
                   [](const SiblingInfo& a, const SiblingInfo& b) { return a.written_ms < b.written_ms; });
  out.found = !out.values.empty();
  return out;
}

kj::Promise<Result<PutResult>> QuorumPut(RequestEnv env, Targets targets, std::string key, Sibling write,
                                         CausalContext context, QuorumSpec spec) {
  auto paf = kj::newPromiseAndFulfiller<Result<PutResult>>();
  auto state = kj::refcounted<PutState>();
  state->fulfiller = kj::mv(paf.fulfiller);
  if (Status possible = CheckPutPossible(targets, spec); !possible.ok()) {
    state->Finish(possible);
    return kj::mv(paf.promise);
  }
  state->tally = PutTally(spec, targets.replicas, targets.pending);
  state->env = env;
  if (env.outstanding != nullptr) state->outstanding = env.outstanding->Enter();
  state->spec = spec;
  state->key = kj::mv(key);
  state->write = kj::mv(write);
  state->context = kj::mv(context);
  state->coordinators = AskOrder(targets.replicas, env, targets, CallKind::kWrite);
  state->fallbacks = HealthyFirst(targets.fallbacks, env, targets);
  if (spec.sloppy) {
    state->coordinators.insert(state->coordinators.end(), state->fallbacks.begin(), state->fallbacks.end());
  }
  state->targets = kj::mv(targets);
  EarnHedge(env);
  PutState* s = state.get();
  auto keep = kj::addRef(*state);
  TryNextCoordinator(kj::mv(state));
  return wire::Bounded(*env.timer, kj::mv(paf.promise), spec.timeout,
                       [s, keep = kj::mv(keep), spec]() -> Result<PutResult> {
                         s->done = true;
                         return s->tally.TimedOut(spec.timeout);
                       });
}

kj::Promise<Result<GetResult>> QuorumGet(RequestEnv env, std::vector<Replica> replicas, std::string key,
                                         QuorumSpec spec) {
  auto paf = kj::newPromiseAndFulfiller<Result<GetResult>>();
  auto state = kj::refcounted<GetState>();
  state->env = env;
  state->tally = GetTally(spec.r, spec.need_per_dc, replicas);
  state->fulfiller = kj::mv(paf.fulfiller);
  if (Status possible = state->tally.CheckPossible(); !possible.ok()) {
    state->Finish(possible);
    return kj::mv(paf.promise);
  }
  state->spec = kj::mv(spec);
  state->key = kj::mv(key);
  // With hedging the fastest R first (per DC: each DC's need), the rest after the hedge
  // delay; without, every replica at once.
  std::vector<size_t> first;
  if (Hedging(env)) {
    state->order = AskOrder(kj::mv(replicas), env, Targets{}, CallKind::kRead);
    first = FirstAsks(state->order, state->spec.r, state->spec.need_per_dc);
  } else {
    state->order = kj::mv(replicas);
    for (size_t i = 0; i < state->order.size(); ++i) first.push_back(i);
  }
  state->asked.assign(state->order.size(), false);
  EarnHedge(env);
  for (size_t i : first) AskReplica(kj::addRef(*state), i);
  ArmHedge(*state);
  GetState* s = state.get();
  // The request's key and spec live in the state, which `keep` holds until the timeout's
  // branch is dropped.
  return wire::Bounded(*env.timer, kj::mv(paf.promise), s->spec.timeout,
                       [env, s, keep = kj::mv(state)]() -> Result<GetResult> {
                         ReadRepair(env, *s, s->key, s->spec);
                         s->done = true;
                         return s->tally.TimedOut(s->spec.timeout);
                       });
}

}  // namespace ringkv::sdk
