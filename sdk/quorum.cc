#include "sdk/quorum.h"

#include <algorithm>
#include <memory>

#include "capnp/convert.h"

namespace ringkv::sdk {
namespace {

// Errors about the request itself (not the replica): retrying elsewhere cannot help.
bool IsRequestError(const Status& s) {
  return s.IsInvalidArgument() || s.code() == StatusCode::kNotSupported;
}

std::string Describe(const kj::Exception& e) { return std::string(e.getDescription().cStr()); }

// "node2: Unavailable: ...; node3: ..." for a QuorumNotReached message.
std::string JoinErrors(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : "; ") + e;
  return out;
}

// Replicas not marked down first, keeping preference order within each group.
std::vector<Replica> HealthyFirst(std::vector<Replica> replicas, const ConnectionPool& pool) {
  std::stable_partition(replicas.begin(), replicas.end(),
                        [&](const Replica& r) { return !pool.IsDown(r.address); });
  return replicas;
}

kj::Promise<void> Replicate(RequestEnv env, const Replica& to, const std::string& key, const SiblingSet& set,
                            const QuorumSpec& spec, kj::Function<void(Status)> done) {
  auto address = to.address;
  auto on_ok = std::make_shared<kj::Function<void(Status)>>(kj::mv(done));
  auto on_error = on_ok;
  return env.batcher->Replicate(address, key, set, spec.lww, spec.cluster_name)
      .then(
          [env, address, on_ok](Status st) {
            env.pool->MarkHealthy(address);
            (*on_ok)(st);
          },
          [env, address, on_error](kj::Exception&& e) {
            env.pool->MarkFailed(address);
            (*on_error)(Status::Unavailable(address + ": " + Describe(e)));
          });
}

// ---- put ----

struct PutState : kj::Refcounted {
  int needed = 0;
  int total = 0;
  int acks = 0;
  int failures = 0;
  bool done = false;
  PutResult result;
  std::vector<std::string> errors;
  kj::Own<kj::PromiseFulfiller<Result<PutResult>>> fulfiller;

  void Finish(Result<PutResult> r) {
    if (done) return;
    done = true;
    fulfiller->fulfill(kj::mv(r));
  }
  void Ack() {
    ++acks;
    if (acks >= needed) {
      result.acks = acks;
      Finish(result);
    }
  }
  void Fail(std::string why) {
    ++failures;
    errors.push_back(kj::mv(why));
    if (total - failures < needed) Finish(Status::QuorumNotReached(acks, needed, JoinErrors(errors)));
  }
};

void SendToOthers(RequestEnv env, kj::Own<PutState> state, const std::vector<Replica>& others, std::string key,
                  SiblingSet set, QuorumSpec spec) {
  for (const Replica& to : others) {
    PutState* s = state.get();
    Replicate(env, to, key, set, spec,
              [s, id = to.id, keep = kj::addRef(*state)](Status st) mutable {
                if (st.ok()) s->Ack();
                else s->Fail(id + ": " + st.ToString());
              })
        .detach([](kj::Exception&&) {});
  }
}

void TryCoordinator(RequestEnv env, kj::Own<PutState> state, std::vector<Replica> candidates, size_t i,
                    std::string key, Sibling write, VersionVector context, QuorumSpec spec) {
  if (i >= candidates.size() || state->done) return;
  PutState* s = state.get();
  auto state_for_error = kj::addRef(*state);
  env.batcher->CoordinatePut(candidates[i].address, key, context, write, spec.lww, spec.cluster_name)
      .then(
          [env, s, keep = kj::mv(state), candidates, i, key, write, context,
           spec](Result<SiblingSet> set) mutable {
            const Replica& c = candidates[i];
            env.pool->MarkHealthy(c.address);
            if (!set.ok() && IsRequestError(set.status())) return s->Finish(set.status());
            if (!set.ok()) {  // this replica failed: the next one coordinates
              s->Fail(c.id + ": " + set.status().ToString());
              return TryCoordinator(env, kj::mv(keep), kj::mv(candidates), i + 1, kj::mv(key), kj::mv(write),
                                    kj::mv(context), kj::mv(spec));
            }
            s->result.context = Context(set->context().Encode());
            s->Ack();
            std::vector<Replica> others(candidates.begin() + static_cast<std::ptrdiff_t>(i) + 1, candidates.end());
            SendToOthers(env, kj::mv(keep), others, key, *set, spec);
          },
          [env, s, keep = kj::mv(state_for_error), candidates, i, key, write, context, spec](kj::Exception&& e) mutable {
            env.pool->MarkFailed(candidates[i].address);
            s->Fail(candidates[i].id + ": " + Describe(e));
            TryCoordinator(env, kj::mv(keep), kj::mv(candidates), i + 1, kj::mv(key), kj::mv(write),
                           kj::mv(context), kj::mv(spec));
          })
      .detach([](kj::Exception&&) {});
}

// ---- get ----

struct GetState : kj::Refcounted {
  int needed = 0;
  int total = 0;
  int replies = 0;
  int failures = 0;
  bool done = false;
  bool repaired = false;
  SiblingSet merged;
  std::vector<std::pair<Replica, SiblingSet>> answers;  // what each replying replica holds
  std::vector<std::string> errors;
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
    Replicate(env, replica, key, s.merged, spec, [](Status) {}).detach([](kj::Exception&&) {});
  }
}

void OnGetAnswer(RequestEnv env, GetState& s, const std::string& key, const QuorumSpec& spec) {
  if (s.replies >= s.needed) s.Finish(ToGetResult(s.merged, s.replies));
  else if (s.total - s.failures < s.needed) {
    s.Finish(Status::QuorumNotReached(s.replies, s.needed, JoinErrors(s.errors)));
  }
  if (s.replies + s.failures == s.total) ReadRepair(env, s, key, spec);
}

}  // namespace

GetResult ToGetResult(const SiblingSet& merged, int replies) {
  GetResult out;
  out.replies = replies;
  out.context = merged.empty() ? Context() : Context(merged.context().Encode());
  for (const Sibling& s : merged.siblings()) {
    if (!s.tombstone) out.values.push_back(s.value);
  }
  out.found = !out.values.empty();
  return out;
}

kj::Promise<Result<PutResult>> QuorumPut(RequestEnv env, std::vector<Replica> replicas, std::string key,
                                         Sibling write, VersionVector context, QuorumSpec spec) {
  auto paf = kj::newPromiseAndFulfiller<Result<PutResult>>();
  auto state = kj::refcounted<PutState>();
  state->needed = spec.w;
  state->total = static_cast<int>(replicas.size());
  state->fulfiller = kj::mv(paf.fulfiller);
  if (state->total < state->needed) {
    state->Finish(Status::QuorumNotReached(0, spec.w, "only " + std::to_string(state->total) +
                                                          " replicas exist for the key"));
    return kj::mv(paf.promise);
  }
  PutState* s = state.get();
  auto keep = kj::addRef(*state);
  TryCoordinator(env, kj::mv(state), HealthyFirst(kj::mv(replicas), *env.pool), 0, kj::mv(key), kj::mv(write),
                 kj::mv(context), spec);
  auto timeout = env.timer->afterDelay(spec.timeout.count() * kj::MILLISECONDS)
                     .then([s, keep = kj::mv(keep), spec]() -> Result<PutResult> {
                       s->done = true;
                       return Status::QuorumNotReached(s->acks, s->needed,
                                                       "timed out after " + std::to_string(spec.timeout.count()) +
                                                           " ms" + (s->errors.empty() ? "" : "; " + JoinErrors(s->errors)));
                     });
  return paf.promise.exclusiveJoin(kj::mv(timeout));
}

kj::Promise<Result<GetResult>> QuorumGet(RequestEnv env, std::vector<Replica> replicas, std::string key,
                                         QuorumSpec spec) {
  auto paf = kj::newPromiseAndFulfiller<Result<GetResult>>();
  auto state = kj::refcounted<GetState>();
  state->needed = spec.r;
  state->total = static_cast<int>(replicas.size());
  state->fulfiller = kj::mv(paf.fulfiller);
  if (state->total < state->needed) {
    state->Finish(Status::QuorumNotReached(0, spec.r, "only " + std::to_string(state->total) +
                                                          " replicas exist for the key"));
    return kj::mv(paf.promise);
  }
  for (const Replica& replica : replicas) {
    GetState* s = state.get();
    env.batcher->Get(replica.address, key, spec.cluster_name)
        .then(
            [env, s, keep = kj::addRef(*state), replica, key, spec](Result<SiblingSet> held) {
              env.pool->MarkHealthy(replica.address);
              if (!held.ok()) {
                ++s->failures;
                s->errors.push_back(replica.id + ": " + held.status().ToString());
              } else {
                ++s->replies;
                s->merged.Merge(*held);
                if (spec.lww) s->merged.ResolveLww();
                s->answers.emplace_back(replica, kj::mv(held).value());
              }
              OnGetAnswer(env, *s, key, spec);
            },
            [env, s, keep = kj::addRef(*state), replica, key, spec](kj::Exception&& e) {
              env.pool->MarkFailed(replica.address);
              ++s->failures;
              s->errors.push_back(replica.id + ": " + Describe(e));
              OnGetAnswer(env, *s, key, spec);
            })
        .detach([](kj::Exception&&) {});
  }
  GetState* s = state.get();
  auto timeout = env.timer->afterDelay(spec.timeout.count() * kj::MILLISECONDS)
                     .then([env, s, keep = kj::mv(state), key, spec]() -> Result<GetResult> {
                       ReadRepair(env, *s, key, spec);
                       s->done = true;
                       return Status::QuorumNotReached(s->replies, s->needed,
                                                       "timed out after " + std::to_string(spec.timeout.count()) + " ms");
                     });
  return paf.promise.exclusiveJoin(kj::mv(timeout));
}

}  // namespace ringkv::sdk
