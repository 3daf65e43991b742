// CrdtClient: read -> merge every sibling, and this client's last written state unless the
// read is known to hold it -> apply the op -> remember the new state -> put it with the
// read's context (include/ringkv/crdt.h states the rules and why each one is needed).

#include <array>
#include <functional>
#include <random>
#include <unordered_map>

#include "common/mutex.h"
#include "common/vector_clock.h"
#include "ringkv/crdt.h"

namespace ringkv {
namespace {

ActorId RandomActor() {
  std::random_device rd;
  ActorId actor = 0;
  while (actor == 0) actor = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return actor;
}

// The cache's name of a key: the same key in two namespaces is two keys.
std::string CacheKey(const std::string& key, const RequestOptions& options) {
  std::string out = options.ns.empty() ? "default" : options.ns;
  out.push_back('\0');
  out += key;
  return out;
}

// InvalidArgument naming the key and what it holds, for a state of the wrong type.
Status WrongType(const std::string& key, const Status& why) {
  return Status::InvalidArgument("key '" + key + "' holds " + why.message() + "; nothing was written");
}

// Decodes a stored value as T; a plain value or another type is InvalidArgument.
template <typename T>
Result<T> DecodeAs(const std::string& key, std::string_view bytes) {
  Result<T> state = T::Decode(bytes);
  if (state.ok() || state.status().code() == StatusCode::kNotSupported) return state;
  if (state.status().IsInvalidArgument()) return WrongType(key, state.status());
  return Status::Corruption("key '" + key + "': " + state.status().message());
}

// True if a read with context `read` has seen every write the context `written` covers:
// then what it returned holds that write, or a write that superseded it (a delete). An
// empty or undecodable context covers nothing, and nothing is known to cover it.
bool ReadCovers(const Context& read, const std::string& written) {
  if (read.empty() || written.empty()) return false;
  Result<CausalContext> r = CausalContext::Decode(read.bytes());
  Result<CausalContext> w = CausalContext::Decode(written);
  if (!r.ok() || !w.ok()) return false;
  for (const auto& [node, entry] : w->clock.entries()) {
    if (r->clock.Get(node) < entry.counter) return false;
  }
  return true;
}

}  // namespace

class CrdtClient::Impl {
 public:
  Impl(Client& client, CrdtClientOptions options)
      : client_(client), max_cached_keys_(std::max<size_t>(1, options.max_cached_keys)) {
    actor_ = options.actor != 0 ? options.actor : RandomActor();
  }

  ActorId actor() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return actor_;
  }

  // The merge of every version a read finds (the empty state if none).
  template <typename T>
  Result<T> Read(const std::string& key, const RequestOptions& options, Context* context) {
    Result<GetResult> got = client_.Get(key, options);
    if (!got.ok() && !got.status().IsNotFound()) return got.status();
    T merged;
    if (!got.ok()) return merged;
    for (const std::string& value : got->values) {
      RINGKV_ASSIGN(T state, DecodeAs<T>(key, value));
      merged.Merge(state);
    }
    if (context) *context = got->context;
    return merged;
  }

  // Runs `op(state, actor)` on the key's current state and writes the result, unless op
  // returns false (nothing to change). Returns the state the op produced.
  template <typename T>
  Result<T> Update(const std::string& key, const RequestOptions& options, const std::function<bool(T&, ActorId)>& op) {
    std::lock_guard<std::mutex> serial(StripeOf(key, options));
    Context context;
    RINGKV_ASSIGN(T state, Read<T>(key, options, &context));
    const std::string cache_key = CacheKey(key, options);
    Written last = Snapshot(cache_key);
    if (!last.state.empty()) {
      RINGKV_ASSIGN(T mine, DecodeAs<T>(key, last.state));
      if (!ReadCovers(context, last.context)) {
        state.Merge(mine);  // the put failed (outcome unknown) or the read missed it: carry it
      } else if (!Includes(state, mine)) {
        // The read saw that write and what replaced it (a delete): merging it would undo the
        // delete. This actor's chain on the key cannot go on from the read (it lost the
        // actor's steps), so the key continues with a fresh actor.
        last.actor = RandomActor();
        Restart(cache_key, last.actor);
      }
    }
    if (!op(state, last.actor)) return state;
    std::string bytes = state.Encode();
    Remember(cache_key, last.actor, bytes);  // before the put: it may land even if it reports an error
    RINGKV_ASSIGN(PutResult put, client_.Put(key, bytes, context, options));
    Acknowledged(cache_key, bytes, put.context);
    return state;
  }

  // Deletes the key with a read's context (everything the read found) and restarts this
  // client's chain on it with a fresh actor: whatever the delete's outcome, the forgotten
  // state is never written back, and the fresh actor cannot overlap the old one's steps.
  Status Delete(const std::string& key, const RequestOptions& options) {
    std::lock_guard<std::mutex> serial(StripeOf(key, options));
    Result<GetResult> got = client_.Get(key, options);
    if (!got.ok() && !got.status().IsNotFound()) return got.status();
    Context context = got.ok() ? got->context : Context();
    Result<PutResult> deleted = client_.Delete(key, context, options);
    Restart(CacheKey(key, options), RandomActor());
    return deleted.status();
  }

 private:
  static constexpr size_t kStripes = 64;

  // What the client last wrote to a key, as which actor, and the context of the version the
  // put created (empty until the put is acknowledged; empty state: nothing to carry).
  struct Written {
    ActorId actor = 0;
    std::string state;
    std::string context;
  };

  // True if merging `mine` into `read` changes nothing: the read holds all of it.
  template <typename T>
  static bool Includes(const T& read, const T& mine) {
    T merged = read;
    merged.Merge(mine);
    return merged == read;
  }

  std::mutex& StripeOf(const std::string& key, const RequestOptions& options) {
    size_t h = std::hash<std::string>{}(key) ^ (std::hash<std::string>{}(options.ns) * 31);
    return stripes_[h % kStripes];
  }

  // The actor to update the key as and its last written state, read together: a state of
  // one actor must never be continued by another's chain reset halfway. A key without an
  // entry has never been written by the client's current actor.
  Written Snapshot(const std::string& cache_key) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    auto it = cache_.find(cache_key);
    if (it == cache_.end()) return Written{actor_, {}, {}};
    return it->second;
  }

  // Stores the key's newest written state (its put not acknowledged yet). A new key in a
  // full cache rotates the actor: a fresh actor has no chains to continue, so the forgotten
  // states are not needed (the entry stored keeps the actor its state was written as).
  void Remember(const std::string& cache_key, ActorId actor, const std::string& bytes) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    if (cache_.count(cache_key) == 0 && cache_.size() >= max_cached_keys_) {
      cache_.clear();
      actor_ = RandomActor();
    }
    cache_[cache_key] = Written{actor, bytes, {}};
  }

  // The put of `bytes` succeeded: keep the context of the version it created, so a later
  // read that covers it does not merge the state again.
  void Acknowledged(const std::string& cache_key, const std::string& bytes, const Context& context) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    auto it = cache_.find(cache_key);
    if (it != cache_.end() && it->second.state == bytes) it->second.context = context.bytes();
  }

  // Nothing to carry for the key any more, and its updates go on as `actor` (fresh). Only
  // a key with an entry needs one: without, the client's actor never wrote it.
  void Restart(const std::string& cache_key, ActorId actor) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    auto it = cache_.find(cache_key);
    if (it != cache_.end()) it->second = Written{actor, {}, {}};
  }

  Client& client_;
  const size_t max_cached_keys_;
  std::array<std::mutex, kStripes> stripes_;  // serialize the updates of one key
  Mutex mu_;
  ActorId actor_ GUARDED_BY(mu_);
  std::unordered_map<std::string, Written> cache_ GUARDED_BY(mu_);  // by CacheKey
};

CrdtClient::CrdtClient(Client& client, CrdtClientOptions options) : impl_(std::make_unique<Impl>(client, options)) {}
CrdtClient::~CrdtClient() = default;

ActorId CrdtClient::actor() const { return impl_->actor(); }

Status CrdtClient::Delete(const std::string& key, const RequestOptions& options) { return impl_->Delete(key, options); }

Result<PnCounter> CrdtClient::GetCounter(const std::string& key, const RequestOptions& options) {
  return impl_->Read<PnCounter>(key, options, nullptr);
}

Result<int64_t> CrdtClient::Increment(const std::string& key, int64_t by, const RequestOptions& options) {
  RINGKV_ASSIGN(PnCounter written, impl_->Update<PnCounter>(key, options, [by](PnCounter& c, ActorId actor) {
    c.Add(actor, by);
    return by != 0;
  }));
  return written.Value();
}

Result<OrSet> CrdtClient::GetSet(const std::string& key, const RequestOptions& options) {
  return impl_->Read<OrSet>(key, options, nullptr);
}

Status CrdtClient::AddToSet(const std::string& key, const std::vector<std::string>& elements,
                            const RequestOptions& options) {
  if (elements.empty()) return Status::InvalidArgument("AddToSet: no elements; nothing was written");
  return impl_
      ->Update<OrSet>(key, options,
                      [&](OrSet& set, ActorId actor) {
                        for (const std::string& e : elements) set.Add(actor, e);
                        return true;
                      })
      .status();
}

Status CrdtClient::RemoveFromSet(const std::string& key, const std::vector<std::string>& elements,
                                 const RequestOptions& options) {
  if (elements.empty()) return Status::InvalidArgument("RemoveFromSet: no elements; nothing was written");
  return impl_
      ->Update<OrSet>(key, options,
                      [&](OrSet& set, ActorId) {
                        bool changed = false;
                        for (const std::string& e : elements) changed = set.Remove(e) || changed;
                        return changed;
                      })
      .status();
}

Result<MvRegister> CrdtClient::GetRegister(const std::string& key, const RequestOptions& options) {
  return impl_->Read<MvRegister>(key, options, nullptr);
}

Status CrdtClient::Assign(const std::string& key, const std::string& value, const RequestOptions& options) {
  return impl_
      ->Update<MvRegister>(key, options,
                           [&](MvRegister& reg, ActorId actor) {
                             reg.Assign(actor, value);
                             return true;
                           })
      .status();
}

Result<Flag> CrdtClient::GetFlag(const std::string& key, const RequestOptions& options) {
  return impl_->Read<Flag>(key, options, nullptr);
}

Status CrdtClient::SetFlag(const std::string& key, bool enabled, const RequestOptions& options) {
  return impl_
      ->Update<Flag>(key, options,
                     [enabled](Flag& flag, ActorId actor) {
                       if (enabled) {
                         flag.Enable(actor);
                       } else {
                         flag.Disable();
                       }
                       return true;
                     })
      .status();
}

}  // namespace ringkv
