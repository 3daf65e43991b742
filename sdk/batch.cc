// Client::MultiGet, MultiPut, MultiDelete: many single-key requests started in one turn of
// the client's loop, so that the RequestBatcher (sdk/request_batcher.h) carries the calls
// to each node in one message per phase. Each key runs the single-key path unchanged
// (GetOnLoop, PutOnLoop): its own replicas, level, stale-ring retries and read repair.
//
// Bad input is refused on the caller's thread before anything reaches the loop: every
// entry is resolved and checked first (the single calls' checks, then CheckBatch), so a
// batch is either sent whole or not at all.

#include <kj/async.h>

#include "ringkv/client.h"
#include "sdk/batch_check.h"
#include "sdk/client_impl.h"

namespace ringkv {
namespace {

using GetResults = Client::GetResults;
using PutResults = Client::PutResults;

// Waits for every key's request and lists their results in the order they were started.
template <typename T>
kj::Promise<Result<std::vector<Result<T>>>> InOrder(kj::Vector<kj::Promise<Result<T>>> calls) {
  return kj::joinPromises(calls.releaseAsArray()).then([](kj::Array<Result<T>> all) {
    std::vector<Result<T>> out;
    out.reserve(all.size());
    for (Result<T>& r : all) out.push_back(kj::mv(r));
    return Result<std::vector<Result<T>>>(kj::mv(out));
  });
}

template <typename T>
std::future<Result<T>> Ready(Status s) {
  std::promise<Result<T>> p;
  p.set_value(std::move(s));
  return p.get_future();
}

const RequestOptions& OptionsOf(const std::optional<RequestOptions>& own, const RequestOptions& batch) {
  return own ? *own : batch;
}

}  // namespace

struct Client::Batch {
  // ---- checking a batch (caller's thread) ----

  static Result<std::vector<Impl::Target>> PrepareGets(Impl& impl, const std::vector<std::string>& keys,
                                                       const RequestOptions& options) {
    std::vector<Impl::Target> targets;
    std::vector<sdk::BatchKey> checked;
    targets.reserve(keys.size());
    checked.reserve(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      auto target = impl.Resolve(options, keys[i], nullptr);
      if (!target.ok()) return sdk::EntryError(i, keys[i], target.status());
      checked.push_back({options.ns, keys[i], target->stored_key});
      targets.push_back(std::move(target).value());
    }
    RINGKV_TRY(sdk::CheckBatch(checked));
    return targets;
  }

  // `value_of(entry)`: the entry's value, or nullptr for a delete.
  template <typename Entry, typename ValueOf>
  static Result<std::vector<Impl::Write>> PrepareWrites(Impl& impl, const std::vector<Entry>& entries,
                                                        const RequestOptions& options, ValueOf value_of) {
    std::vector<Impl::Write> writes;
    std::vector<sdk::BatchKey> checked;
    writes.reserve(entries.size());
    checked.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      const Entry& e = entries[i];
      const RequestOptions& o = OptionsOf(e.options, options);
      auto write = impl.PrepareWrite(o, e.key, value_of(e), e.context);
      if (!write.ok()) return sdk::EntryError(i, e.key, write.status());
      checked.push_back({o.ns, e.key, write->target.stored_key});
      writes.push_back(std::move(write).value());
    }
    RINGKV_TRY(sdk::CheckBatch(checked));
    return writes;
  }

  static Result<std::vector<Impl::Write>> PreparePuts(Impl& impl, const std::vector<PutEntry>& entries,
                                                      const RequestOptions& options) {
    return PrepareWrites(impl, entries, options, [](const PutEntry& e) { return &e.value; });
  }

  static Result<std::vector<Impl::Write>> PrepareDeletes(Impl& impl, const std::vector<DeleteEntry>& entries,
                                                         const RequestOptions& options) {
    return PrepareWrites(impl, entries, options, [](const DeleteEntry&) -> const std::string* { return nullptr; });
  }

  // ---- running a batch (loop thread) ----

  // Every key's get starts here, in this one turn: the batcher sends each node one message.
  static kj::Promise<Result<GetResults>> GetAllOnLoop(Impl& impl, std::vector<Impl::Target>& targets) {
    kj::Vector<kj::Promise<Result<GetResult>>> calls(targets.size());
    for (Impl::Target& t : targets) calls.add(impl.GetOnLoop(kj::mv(t.stored_key), t.spec));
    return InOrder(kj::mv(calls));
  }

  static kj::Promise<Result<PutResults>> PutAllOnLoop(Impl& impl, std::vector<Impl::Write>& writes) {
    kj::Vector<kj::Promise<Result<PutResult>>> calls(writes.size());
    for (Impl::Write& w : writes) calls.add(impl.PutOnLoop(kj::mv(w)));
    return InOrder(kj::mv(calls));
  }
};

// ---- Client ----

Result<Client::GetResults> Client::MultiGet(const std::vector<std::string>& keys, const RequestOptions& options) {
  RINGKV_ASSIGN(auto targets, Batch::PrepareGets(*impl_, keys, options));
  return impl_->RunSync<GetResults>([&] { return Batch::GetAllOnLoop(*impl_, targets); });
}

Result<Client::PutResults> Client::MultiPut(const std::vector<PutEntry>& entries, const RequestOptions& options) {
  RINGKV_ASSIGN(auto writes, Batch::PreparePuts(*impl_, entries, options));
  return impl_->RunSync<PutResults>([&] { return Batch::PutAllOnLoop(*impl_, writes); });
}

Result<Client::PutResults> Client::MultiDelete(const std::vector<DeleteEntry>& entries, const RequestOptions& options) {
  RINGKV_ASSIGN(auto writes, Batch::PrepareDeletes(*impl_, entries, options));
  return impl_->RunSync<PutResults>([&] { return Batch::PutAllOnLoop(*impl_, writes); });
}

std::future<Result<Client::GetResults>> Client::MultiGetAsync(const std::vector<std::string>& keys,
                                                              const RequestOptions& options) {
  auto targets = Batch::PrepareGets(*impl_, keys, options);
  if (!targets.ok()) return Ready<GetResults>(targets.status());
  return impl_->RunAsync<GetResults>([&] { return Batch::GetAllOnLoop(*impl_, *targets); });
}

std::future<Result<Client::PutResults>> Client::MultiPutAsync(const std::vector<PutEntry>& entries,
                                                              const RequestOptions& options) {
  auto writes = Batch::PreparePuts(*impl_, entries, options);
  if (!writes.ok()) return Ready<PutResults>(writes.status());
  return impl_->RunAsync<PutResults>([&] { return Batch::PutAllOnLoop(*impl_, *writes); });
}

std::future<Result<Client::PutResults>> Client::MultiDeleteAsync(const std::vector<DeleteEntry>& entries,
                                                                 const RequestOptions& options) {
  auto writes = Batch::PrepareDeletes(*impl_, entries, options);
  if (!writes.ok()) return Ready<PutResults>(writes.status());
  return impl_->RunAsync<PutResults>([&] { return Batch::PutAllOnLoop(*impl_, *writes); });
}

void Client::MultiGetAsync(const std::vector<std::string>& keys, const RequestOptions& options, MultiGetCallback done) {
  auto targets = Batch::PrepareGets(*impl_, keys, options);
  if (!targets.ok()) return done(targets.status());
  impl_->RunWithCallback<GetResults>([&] { return Batch::GetAllOnLoop(*impl_, *targets); }, std::move(done));
}

void Client::MultiPutAsync(const std::vector<PutEntry>& entries, const RequestOptions& options, MultiPutCallback done) {
  auto writes = Batch::PreparePuts(*impl_, entries, options);
  if (!writes.ok()) return done(writes.status());
  impl_->RunWithCallback<PutResults>([&] { return Batch::PutAllOnLoop(*impl_, *writes); }, std::move(done));
}

void Client::MultiDeleteAsync(const std::vector<DeleteEntry>& entries, const RequestOptions& options,
                              MultiPutCallback done) {
  auto writes = Batch::PrepareDeletes(*impl_, entries, options);
  if (!writes.ok()) return done(writes.status());
  impl_->RunWithCallback<PutResults>([&] { return Batch::PutAllOnLoop(*impl_, *writes); }, std::move(done));
}

}  // namespace ringkv
