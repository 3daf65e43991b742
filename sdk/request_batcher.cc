#include "sdk/request_batcher.h"

#include <atomic>
#include <memory>
#include <mutex>

#include "capnp/convert.h"
#include "capnp/request_header.h"

namespace ringkv::sdk {
namespace {

// The test fault (SetFaultForTesting): `armed` keeps the normal path to one atomic load.
std::atomic<bool> fault_armed{false};
std::mutex fault_mu;
std::function<void(std::string_view)> fault_fn;  // guarded by fault_mu

// The test observer (SetSendObserverForTesting), kept the same way.
std::atomic<bool> observer_armed{false};
std::mutex observer_mu;
RequestBatcher::SendObserver observer_fn;  // guarded by observer_mu

}  // namespace

void RequestBatcher::SetFaultForTesting(std::function<void(std::string_view stage)> fault) {
  std::lock_guard lock(fault_mu);
  fault_fn = std::move(fault);
  fault_armed.store(static_cast<bool>(fault_fn), std::memory_order_release);
}

void RequestBatcher::Fault(std::string_view stage) {
  if (!fault_armed.load(std::memory_order_acquire)) return;
  std::function<void(std::string_view)> fault;
  {
    std::lock_guard lock(fault_mu);
    fault = fault_fn;
  }
  if (fault) fault(stage);
}

void RequestBatcher::SetSendObserverForTesting(SendObserver observer) {
  std::lock_guard lock(observer_mu);
  observer_fn = std::move(observer);
  observer_armed.store(static_cast<bool>(observer_fn), std::memory_order_release);
}

void RequestBatcher::Sent(std::string_view kind, const std::string& address, size_t items) {
  if (!observer_armed.load(std::memory_order_acquire)) return;
  SendObserver observer;
  {
    std::lock_guard lock(observer_mu);
    observer = observer_fn;
  }
  if (observer) observer(kind, address, items);
}

template <typename Waiters, typename Build>
kj::Promise<void> RequestBatcher::Guarded(const char* what, const std::string& address, Waiters& waiters, Build build) {
  kj::Promise<void> sent = nullptr;
  KJ_IF_MAYBE (e, kj::runCatchingExceptions([&] { sent = build(); })) {
    Status failed = errors_.Record(std::string(what) + " to " + address, *e);
    for (auto& w : *waiters) w.done->fulfill(Status(failed));
    return kj::READY_NOW;
  }
  return sent;
}

RequestBatcher::Queue& RequestBatcher::QueueFor(const QueueKey& key, const RouteHeader& header) {
  auto [it, fresh] = queues_.try_emplace(key);
  Queue& q = it->second;
  bool empty = q.gets.empty() && q.replicates.empty() && q.puts.empty();
  if (fresh || empty || header.ring_version < q.header.ring_version) q.header = header;
  return q;
}

kj::Promise<Result<SiblingSet>> RequestBatcher::Get(const std::string& address, std::string key,
                                                    const RouteHeader& header) {
  Fault("queue get");
  auto paf = kj::newPromiseAndFulfiller<Result<SiblingSet>>();
  const QueueKey& qk = address;
  Queue& q = QueueFor(qk, header);
  q.gets.push_back({kj::mv(key), kj::mv(paf.fulfiller)});
  Schedule(qk, q);
  return kj::mv(paf.promise);
}

kj::Promise<Status> RequestBatcher::Replicate(const std::string& address, std::string key,
                                              std::shared_ptr<const SiblingSet> set, const RouteHeader& header,
                                              std::string hint_for) {
  Fault("queue replicate");
  auto paf = kj::newPromiseAndFulfiller<Status>();
  const QueueKey& qk = address;
  Queue& q = QueueFor(qk, header);
  q.replicates.push_back({kj::mv(key), kj::mv(set), kj::mv(hint_for), kj::mv(paf.fulfiller)});
  Schedule(qk, q);
  return kj::mv(paf.promise);
}

kj::Promise<Result<SiblingSet>> RequestBatcher::CoordinatePut(const std::string& address, std::string key,
                                                              CausalContext context, Sibling write,
                                                              const RouteHeader& header, std::string hint_for,
                                                              std::vector<std::string> ship_to_dcs) {
  Fault("queue put");
  auto paf = kj::newPromiseAndFulfiller<Result<SiblingSet>>();
  const QueueKey& qk = address;
  Queue& q = QueueFor(qk, header);
  q.puts.push_back(
      {kj::mv(key), kj::mv(context), kj::mv(write), kj::mv(hint_for), kj::mv(ship_to_dcs), kj::mv(paf.fulfiller)});
  Schedule(qk, q);
  return kj::mv(paf.promise);
}

size_t RequestBatcher::PendingReplicate::ValueBytes() const {
  size_t bytes = 0;
  for (const Sibling& s : set->siblings()) bytes += s.value.size();
  return bytes;
}

template <typename T>
std::vector<T> RequestBatcher::TakeBatch(std::vector<T>& from) {
  size_t n = 0;
  size_t value_bytes = 0;
  while (n < from.size() && n < kMaxBatch && (n == 0 || value_bytes < kMaxBatchValueBytes)) {
    value_bytes += from[n].ValueBytes();
    ++n;
  }
  std::vector<T> batch(std::make_move_iterator(from.begin()),
                       std::make_move_iterator(from.begin() + static_cast<std::ptrdiff_t>(n)));
  from.erase(from.begin(), from.begin() + static_cast<std::ptrdiff_t>(n));
  return batch;
}

void RequestBatcher::Schedule(const QueueKey& key, Queue& q) {
  if (q.flush_scheduled) return;
  q.flush_scheduled = true;
  // Flush once the loop has nothing else ready: every request that the replies already
  // received lead to goes into the same message.
  tasks_.add(kj::evalLast([this, key]() { Flush(key); }));
}

void RequestBatcher::Flush(const QueueKey& key) {
  auto it = queues_.find(key);
  if (it == queues_.end()) return;
  Queue& q = it->second;
  q.flush_scheduled = false;
  while (!q.gets.empty()) tasks_.add(SendGets(key, q.header, TakeBatch(q.gets)));
  while (!q.replicates.empty()) tasks_.add(SendReplicates(key, q.header, TakeBatch(q.replicates)));
  while (!q.puts.empty()) tasks_.add(SendPuts(key, q.header, TakeBatch(q.puts)));
}

kj::Promise<void> RequestBatcher::SendGets(const std::string& address, const RouteHeader& header,
                                           std::vector<PendingGet> taken) {
  auto waiters = std::make_shared<std::vector<PendingGet>>(kj::mv(taken));
  return Guarded("a get batch", address, waiters, [&]() -> kj::Promise<void> {
    Fault("send get");
    Sent("get", address, waiters->size());
    auto req = pool_.Get(address).getRequest();
    wire::FillRequestHeader(req.initHeader(), header.cluster, header.ring_version);
    auto keys = req.initKeys(static_cast<unsigned>(waiters->size()));
    for (unsigned i = 0; i < waiters->size(); ++i) keys.set(i, wire::AsData((*waiters)[i].key));
    return req.send().then(
        [waiters](capnp::Response<wire::Node::GetResults>&& resp) {
          auto results = resp.getResults();
          for (unsigned i = 0; i < waiters->size(); ++i) {
            auto& done = (*waiters)[i].done;
            if (i >= results.size()) {
              done->fulfill(Status::Aborted("get: short reply"));
              continue;
            }
            Status st = wire::FromWire(results[i].getError());
            if (st.ok())
              done->fulfill(wire::FromWire(results[i].getValue()));
            else if (st.IsNotFound())
              done->fulfill(SiblingSet());
            else
              done->fulfill(st);
          }
        },
        [waiters](kj::Exception&& e) {
          for (auto& w : *waiters) w.done->reject(kj::cp(e));
        });
  });
}

kj::Promise<void> RequestBatcher::SendReplicates(const std::string& address, const RouteHeader& header,
                                                 std::vector<PendingReplicate> taken) {
  auto waiters = std::make_shared<std::vector<PendingReplicate>>(kj::mv(taken));
  return Guarded("a replicate batch", address, waiters, [&]() -> kj::Promise<void> {
    Fault("send replicate");
    Sent("replicate", address, waiters->size());
    auto req = pool_.Get(address).replicateRequest();
    wire::FillRequestHeader(req.initHeader(), header.cluster, header.ring_version);
    const auto& batch = *waiters;
    auto entries = req.initEntries(static_cast<unsigned>(batch.size()));
    for (unsigned i = 0; i < batch.size(); ++i) {
      entries[i].setKey(wire::AsData(batch[i].key));
      wire::ToWire(*batch[i].set, entries[i].initValue());
      entries[i].setHintFor(batch[i].hint_for);
    }
    return req.send().then(
        [waiters](capnp::Response<wire::Node::ReplicateResults>&& resp) {
          auto errors = resp.getErrors();
          for (unsigned i = 0; i < waiters->size(); ++i) {
            (*waiters)[i].done->fulfill(i < errors.size() ? wire::FromWire(errors[i])
                                                          : Status::Aborted("replicate: short reply"));
          }
        },
        [waiters](kj::Exception&& e) {
          for (auto& w : *waiters) w.done->reject(kj::cp(e));
        });
  });
}

kj::Promise<void> RequestBatcher::SendPuts(const std::string& address, const RouteHeader& header,
                                           std::vector<PendingPut> taken) {
  auto waiters = std::make_shared<std::vector<PendingPut>>(kj::mv(taken));
  return Guarded("a put batch", address, waiters, [&]() -> kj::Promise<void> {
    Fault("send put");
    Sent("put", address, waiters->size());
    const auto& batch = *waiters;
    auto req = pool_.Get(address).coordinatePutsRequest();
    wire::FillRequestHeader(req.initHeader(), header.cluster, header.ring_version);
    auto items = req.initPuts(static_cast<unsigned>(batch.size()));
    for (unsigned i = 0; i < batch.size(); ++i) {
      items[i].setKey(wire::AsData(batch[i].key));
      const CausalContext& context = batch[i].context;
      wire::ToWire(context.clock, items[i].initContext(static_cast<unsigned>(context.clock.size())));
      if (!context.read.empty()) {
        wire::ToWire(context.read, items[i].initSupersedes(static_cast<unsigned>(context.read.size())));
      }
      wire::ToWire(batch[i].write, items[i].initWrite());
      items[i].setHintFor(batch[i].hint_for);
      auto ship = items[i].initShipToDcs(static_cast<unsigned>(batch[i].ship_to_dcs.size()));
      for (unsigned d = 0; d < ship.size(); ++d) ship.set(d, batch[i].ship_to_dcs[d]);
    }
    return req.send().then(
        [waiters](capnp::Response<wire::Node::CoordinatePutsResults>&& resp) {
          auto results = resp.getResults();
          for (unsigned i = 0; i < waiters->size(); ++i) {
            auto& done = (*waiters)[i].done;
            if (i >= results.size()) {
              done->fulfill(Status::Aborted("coordinatePuts: short reply"));
              continue;
            }
            Status st = wire::FromWire(results[i].getError());
            if (st.ok())
              done->fulfill(wire::FromWire(results[i].getResult()));
            else
              done->fulfill(st);
          }
        },
        [waiters](kj::Exception&& e) {
          for (auto& w : *waiters) w.done->reject(kj::cp(e));
        });
  });
}

}  // namespace ringkv::sdk
