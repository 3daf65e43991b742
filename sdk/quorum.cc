#include "sdk/quorum.h"

#include <algorithm>
#include <memory>
#include <set>

#include "capnp/bounded.h"
#include "capnp/convert.h"

namespace ringkv::sdk {
namespace {

// Errors about the request itself (not the replica): retrying elsewhere cannot help.
bool IsRequestError(const Status& s) {
  return s.IsInvalidArgument() || s.IsStaleRing() || s.code() == StatusCode::kNotSupported;
}

std::string Describe(const kj::Exception& e) { return std::string(e.getDescription().cStr()); }

// What went wrong with each replica a request involved, one entry per replica in the
// order they failed: a later outcome for the same replica replaces the earlier one, and a
// hint placed for it is noted beside its failure. Fallbacks appear only in those notes.
class Outcomes {
 public:
  void Failed(const std::string& replica, const Status& st) {
    ++failed_;
    if (st.IsUnavailable()) ++unreachable_;
    Entry& e = At(replica);
    e.what = st.ToString();
    e.hint.clear();
  }
  void HintHeld(const std::string& replica, const std::string& holder) { At(replica).hint = "hint held by " + holder; }
  void HintFailed(const std::string& replica, const std::string& holder, const Status& st) {
    At(replica).hint = "hint to " + holder + " failed: " + st.ToString();
  }
  // A replica still silent when the request's deadline passed (unless it has an outcome).
  void NoAnswer(const std::string& replica) {
    Entry& e = At(replica);
    if (e.what.empty()) e.what = "no answer in time";
  }
  // Every attempt failed, each because its node could not be reached.
  bool AllUnreachable() const { return failed_ > 0 && failed_ == unreachable_; }
  std::string Describe() const {
    std::string out;
    for (const Entry& e : entries_) {
      out += (out.empty() ? "" : "; ") + e.replica + ": " + (e.what.empty() ? "ok" : e.what);
      if (!e.hint.empty()) out += " (" + e.hint + ")";
    }
    return out;
  }

 private:
  struct Entry {
    std::string replica, what, hint;
  };
  Entry& At(const std::string& replica) {
    for (Entry& e : entries_) {
      if (e.replica == replica) return e;
    }
    return entries_.emplace_back(Entry{replica, {}, {}});
  }
  std::vector<Entry> entries_;
  int failed_ = 0, unreachable_ = 0;
};

// How a request that settled short of its quorum ends: Unavailable when no node could
// be reached at all, else QuorumNotReached.
Status ShortOfQuorum(int got, int needed, const Outcomes& outcomes) {
  if (got == 0 && outcomes.AllUnreachable()) return Status::Unavailable("no replica could be reached: " + outcomes.Describe());
  return Status::QuorumNotReached(got, needed, outcomes.Describe());
}

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

// Nodes not known down first, keeping preference order within each group.
std::vector<Replica> HealthyFirst(std::vector<Replica> replicas, const RequestEnv& env, const Targets& t) {
  std::stable_partition(replicas.begin(), replicas.end(), [&](const Replica& r) { return !KnownDown(env, t, r); });
  return replicas;
}

// A call to one replica, bounded: a replica silent for `limit` is slow, not gone.
template <typename T>
kj::Promise<T> Bounded(RequestEnv env, kj::Promise<T> call, const Replica& to, std::chrono::milliseconds limit) {
  return wire::Bounded(*env.timer, kj::mv(call), limit, [env, to]() -> T {
    env.pool->MarkDown(to.address);  // keep the connection; route around it for a while
    return Status::TimedOut(to.address + ": no answer in time");
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
                                             const CausalContext& context, const Sibling& write,
                                             const QuorumSpec& spec, std::string hint_for,
                                             std::chrono::milliseconds limit) {
  auto send = [env, address = at.address, key, context, write, lww = spec.lww, header = spec.header,
               ship = spec.ship_to_dcs, hint_for = kj::mv(hint_for)]() mutable {
    return env.batcher->CoordinatePut(address, kj::mv(key), kj::mv(context), kj::mv(write), lww, header,
                                      kj::mv(hint_for), kj::mv(ship));
  };
  auto call = ViaWan(env, spec, at, kj::mv(send))
                  .then(
                      [env, at](Result<SiblingSet> r) {
                        env.pool->MarkHealthy(at.address);
                        return r;
                      },
                      [env, at](kj::Exception&& e) -> Result<SiblingSet> {
                        env.pool->MarkFailed(at.address);
                        return Status::Unavailable(at.address + ": " + Describe(e));
                      });
  return Bounded(env, kj::mv(call), at, limit);
}

kj::Promise<Status> ReplicateAt(RequestEnv env, const Replica& to, const std::string& key, const SiblingSet& set,
                                const QuorumSpec& spec, std::string hint_for = {}) {
  auto send = [env, address = to.address, key, set, lww = spec.lww, header = spec.header,
               hint_for = kj::mv(hint_for)]() mutable {
    return env.batcher->Replicate(address, kj::mv(key), kj::mv(set), lww, header, kj::mv(hint_for));
  };
  auto call = ViaWan(env, spec, to, kj::mv(send))
                  .then(
                      [env, to](Status st) {
                        env.pool->MarkHealthy(to.address);
                        return st;
                      },
                      [env, to](kj::Exception&& e) {
                        env.pool->MarkFailed(to.address);
                        return Status::Unavailable(to.address + ": " + Describe(e));
                      });
  return Bounded(env, kj::mv(call), to, spec.replica_timeout);
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
  std::vector<Replica> fallbacks;     // for hints, healthy first
  size_t next_fallback = 0;
  std::vector<std::string> missed;    // replicas whose coordination attempt failed
  std::optional<Replica> coordinator;
  SiblingSet set;

  std::set<std::string> holders;      // distinct nodes holding the write: what W counts
  std::map<std::string, std::set<std::string>> holders_by_dc;  // by the DC of the replica each stands for
  std::set<std::string> pending_acked;
  int outstanding = 0;                // calls in flight that could still add a holder
  bool done = false;
  PutResult result;
  Outcomes outcomes;
  kj::Own<kj::PromiseFulfiller<Result<PutResult>>> fulfiller;

  void Finish(Result<PutResult> r) {
    if (done) return;
    done = true;
    fulfiller->fulfill(kj::mv(r));
  }
  // `holder` holds the write for a replica of `dc`.
  void Hold(const std::string& holder, const std::string& dc) {
    holders.insert(holder);
    holders_by_dc[dc].insert(holder);
  }
  bool Enough() const {
    if (spec.need_per_dc.empty()) return static_cast<int>(holders.size()) >= spec.w;
    for (const auto& [dc, need] : spec.need_per_dc) {
      auto it = holders_by_dc.find(dc);
      if (it == holders_by_dc.end() || static_cast<int>(it->second.size()) < need) return false;
    }
    return true;
  }
  std::string DcOf(const std::string& replica_id) const {
    for (const Replica& r : targets.replicas) {
      if (r.id == replica_id) return r.dc;
    }
    return {};
  }
  void CheckDone() {
    if (done) return;
    int acks = static_cast<int>(holders.size());
    if (Enough() && pending_acked.size() == targets.pending.size()) {
      result.acks = acks;
      Finish(result);
    } else if (outstanding == 0) {
      Finish(ShortOfQuorum(acks, spec.w, outcomes));
    }
  }
  void Failed(const Replica& r, const Status& st) { outcomes.Failed(r.id, st); }
};

void PlaceHint(kj::Own<PutState> s, Replica intended);

void ReplicateToReplica(kj::Own<PutState> s, Replica r) {
  PutState& st = *s;
  ++st.outstanding;
  auto fail = FailRequestOn(kj::addRef(st), "replicating a put");
  ReplicateAt(st.env, r, st.key, st.set, st.spec)
      .then([s = kj::mv(s), r](Status result) mutable {
        --s->outstanding;
        if (result.ok()) {
          s->Hold(r.id, r.dc);
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
  ++st.outstanding;
  auto fail = FailRequestOn(kj::addRef(st), "placing a hint");
  ReplicateAt(st.env, holder, st.key, st.set, hint_spec, intended.id)
      .then([s = kj::mv(s), holder, intended](Status result) mutable {
        --s->outstanding;
        if (result.ok()) {
          s->Hold(holder.id, intended.dc);
          s->outcomes.HintHeld(intended.id, holder.id);
        } else {
          s->outcomes.HintFailed(intended.id, holder.id, result);
          PlaceHint(kj::addRef(*s), intended);
        }
        s->CheckDone();
      })
      .detach(kj::mv(fail));
}

void ReplicateToPending(kj::Own<PutState> s, Replica p) {
  PutState& st = *s;
  ++st.outstanding;
  auto fail = FailRequestOn(kj::addRef(st), "replicating a put to a pending replica");
  ReplicateAt(st.env, p, st.key, st.set, st.spec)
      .then([s = kj::mv(s), p](Status result) mutable {
        --s->outstanding;
        if (result.ok()) s->pending_acked.insert(p.id);
        else s->Failed(p, result);
        s->CheckDone();
      })
      .detach(kj::mv(fail));
}

// The coordinator (a replica, or a fallback holding the write as a hint for `covered`)
// stored the write: every other replica and pending node gets the resulting value.
void OnCoordinated(kj::Own<PutState> s, const Replica& c, SiblingSet set, const std::string& covered) {
  PutState& st = *s;
  st.coordinator = c;
  st.set = kj::mv(set);
  st.Hold(c.id, covered.empty() ? c.dc : st.DcOf(covered));
  st.result.context = Context(st.set.ReadContext().Encode());
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
    if (p.id == c.id) st.pending_acked.insert(p.id);
    else ReplicateToPending(kj::addRef(st), p);
  }
  st.CheckDone();
}

void TryCoordinator(kj::Own<PutState> s, size_t i) {
  PutState& st = *s;
  if (st.done) return;
  if (i >= st.coordinators.size()) return st.CheckDone();
  const Replica& c = st.coordinators[i];
  bool is_replica = std::find(st.targets.replicas.begin(), st.targets.replicas.end(), c) != st.targets.replicas.end();
  // A fallback coordinates into a hint for the primary replica.
  std::string hint_for = is_replica ? std::string() : st.targets.replicas.front().id;
  // The attempt stands for a replica: itself, or the primary a fallback would hold a hint for.
  Replica stands_for = is_replica ? c : st.targets.replicas.front();
  bool last = i + 1 == st.coordinators.size();
  auto limit = last ? st.spec.timeout : st.spec.replica_timeout;
  ++st.outstanding;
  auto fail = FailRequestOn(kj::addRef(st), "coordinating a put");
  CoordinateAt(st.env, c, st.key, st.context, st.write, st.spec, hint_for, limit)
      .then([s = kj::mv(s), i, c, hint_for, is_replica, stands_for](Result<SiblingSet> set) mutable {
        --s->outstanding;
        if (set.ok()) return OnCoordinated(kj::mv(s), c, kj::mv(set).value(), hint_for);
        if (IsRequestError(set.status())) return s->Finish(set.status());
        if (is_replica) s->Failed(c, set.status());
        else s->outcomes.HintFailed(stands_for.id, c.id, set.status());
        if (is_replica) s->missed.push_back(c.id);
        TryCoordinator(kj::mv(s), i + 1);
      })
      .detach(kj::mv(fail));
}

// ---- get ----

struct GetState : kj::Refcounted {
  RequestEnv env;
  std::map<std::string, int> need_per_dc;           // multi-DC: replies needed per DC
  std::map<std::string, int> replies_by_dc, open_by_dc;  // open: asked, not failed
  int needed = 0;
  int total = 0;
  int replies = 0;
  int failures = 0;
  bool done = false;
  bool repaired = false;
  SiblingSet merged;
  std::vector<std::pair<Replica, SiblingSet>> answers;  // what each replying replica holds
  std::vector<Replica> asked;
  Outcomes outcomes;
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
  for (const auto& [replica, held] : s.answers) {
    if (held == s.merged) continue;
    ReplicateAt(env, replica, key, s.merged, spec).detach([errors = env.errors](kj::Exception&& e) {
      (void)errors->Record("read repair", e);  // the read has its answer: nothing to fail
    });
  }
}

// Whether the replies so far satisfy the request (true) or never can (false), or neither.
std::optional<bool> Decided(const GetState& s) {
  if (s.need_per_dc.empty()) {
    if (s.replies >= s.needed) return true;
    if (s.total - s.failures < s.needed) return false;
    return std::nullopt;
  }
  bool all = true;
  for (const auto& [dc, need] : s.need_per_dc) {
    auto at = [](const std::map<std::string, int>& m, const std::string& k) {
      auto it = m.find(k);
      return it == m.end() ? 0 : it->second;
    };
    if (at(s.open_by_dc, dc) < need) return false;
    all = all && at(s.replies_by_dc, dc) >= need;
  }
  return all ? std::optional<bool>(true) : std::nullopt;
}

void OnGetAnswer(RequestEnv env, GetState& s, const std::string& key, const QuorumSpec& spec) {
  std::optional<bool> decided = Decided(s);
  if (decided == true) s.Finish(ToGetResult(s.merged, s.replies));
  else if (decided == false) {
    // While nothing has answered and every failure was a refused or broken connection,
    // the rest decide between Unavailable (all unreachable) and QuorumNotReached.
    bool settled = s.failures + s.replies == s.total;
    if (settled || s.replies > 0 || !s.outcomes.AllUnreachable()) {
      s.Finish(ShortOfQuorum(s.replies, s.needed, s.outcomes));
    }
  }
  if (s.replies + s.failures == s.total) ReadRepair(env, s, key, spec);
}

}  // namespace

GetResult ToGetResult(const SiblingSet& merged, int replies) {
  GetResult out;
  out.replies = replies;
  out.context = merged.empty() ? Context() : Context(merged.ReadContext().Encode());
  for (const Sibling& s : merged.siblings()) {
    if (!s.tombstone) out.values.push_back(s.value);
    out.siblings.push_back(
        SiblingInfo{s.dot.node + ":" + std::to_string(s.dot.counter), s.timestamp_ms, s.tombstone, s.value});
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
  int reachable = static_cast<int>(targets.replicas.size() + (spec.sloppy ? targets.fallbacks.size() : 0));
  if (targets.replicas.empty() || reachable < spec.w) {
    state->Finish(Status::QuorumNotReached(0, spec.w, "only " + std::to_string(reachable) +
                                                          " nodes could hold the key"));
    return kj::mv(paf.promise);
  }
  state->env = env;
  state->spec = spec;
  state->key = kj::mv(key);
  state->write = kj::mv(write);
  state->context = kj::mv(context);
  state->coordinators = HealthyFirst(targets.replicas, env, targets);
  state->fallbacks = HealthyFirst(targets.fallbacks, env, targets);
  if (spec.sloppy) {
    state->coordinators.insert(state->coordinators.end(), state->fallbacks.begin(), state->fallbacks.end());
  }
  state->targets = kj::mv(targets);
  PutState* s = state.get();
  auto keep = kj::addRef(*state);
  TryCoordinator(kj::mv(state), 0);
  return wire::Bounded(*env.timer, kj::mv(paf.promise), spec.timeout,
                       [s, keep = kj::mv(keep), spec]() -> Result<PutResult> {
                         s->done = true;
                         for (const Replica& r : s->targets.replicas) {
                           if (!s->holders.count(r.id)) s->outcomes.NoAnswer(r.id);
                         }
                         return Status::TimedOut(spec.timeout.count(), static_cast<int>(s->holders.size()), spec.w,
                                                 s->outcomes.Describe());
                       });
}

kj::Promise<Result<GetResult>> QuorumGet(RequestEnv env, std::vector<Replica> replicas, std::string key,
                                         QuorumSpec spec) {
  auto paf = kj::newPromiseAndFulfiller<Result<GetResult>>();
  auto state = kj::refcounted<GetState>();
  state->env = env;
  state->needed = spec.r;
  state->total = static_cast<int>(replicas.size());
  state->need_per_dc = spec.need_per_dc;
  for (const Replica& r : replicas) ++state->open_by_dc[r.dc];
  state->asked = replicas;
  state->fulfiller = kj::mv(paf.fulfiller);
  if (state->total < state->needed || Decided(*state) == false) {
    state->Finish(Status::QuorumNotReached(0, spec.r, "only " + std::to_string(state->total) +
                                                          " replicas exist for the key"));
    return kj::mv(paf.promise);
  }
  for (const Replica& replica : replicas) {
    GetState* s = state.get();
    ViaWan(env, spec, replica,
           [env, address = replica.address, key, header = spec.header]() {
             return env.batcher->Get(address, key, header);
           })
        .then(
            [env, s, keep = kj::addRef(*state), replica, key, spec](Result<SiblingSet> held) {
              env.pool->MarkHealthy(replica.address);
              if (!held.ok() && IsRequestError(held.status())) return s->Finish(held.status());
              if (!held.ok()) {
                ++s->failures;
                --s->open_by_dc[replica.dc];
                s->outcomes.Failed(replica.id, held.status());
              } else {
                ++s->replies;
                ++s->replies_by_dc[replica.dc];
                s->merged.Merge(*held);
                if (spec.lww) s->merged.ResolveLww();
                s->answers.emplace_back(replica, kj::mv(held).value());
              }
              OnGetAnswer(env, *s, key, spec);
            },
            [env, s, keep = kj::addRef(*state), replica, key, spec](kj::Exception&& e) {
              env.pool->MarkFailed(replica.address);
              ++s->failures;
              --s->open_by_dc[replica.dc];
              s->outcomes.Failed(replica.id, Status::Unavailable(Describe(e)));
              OnGetAnswer(env, *s, key, spec);
            })
        .detach(FailRequestOn(kj::addRef(*state), "reading a replica"));
  }
  GetState* s = state.get();
  return wire::Bounded(*env.timer, kj::mv(paf.promise), spec.timeout,
                       [env, s, keep = kj::mv(state), key, spec]() -> Result<GetResult> {
                         ReadRepair(env, *s, key, spec);
                         s->done = true;
                         for (const Replica& r : s->asked) {
                           bool answered = std::any_of(s->answers.begin(), s->answers.end(),
                                                       [&](const auto& a) { return a.first.id == r.id; });
                           if (!answered) s->outcomes.NoAnswer(r.id);
                         }
                         return Status::TimedOut(spec.timeout.count(), s->replies, s->needed, s->outcomes.Describe());
                       });
}

}  // namespace ringkv::sdk
