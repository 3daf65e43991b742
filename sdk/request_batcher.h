#pragma once
// RequestBatcher: coalesces the SDK's `get` and `replicate` calls to the same node, made in
// the same event-loop turn, into one RPC (the wire API takes lists for both). Under load
// this turns many small messages — each its own write() and wakeup — into a few larger
// ones; with one request in flight it adds nothing but a loop turn. Loop thread only.
//
// Every waiter hears back: with the node's answer, with a rejection when the call failed
// (connection lost), or — when building or sending a batch throws — at once with the
// Aborted status of InternalErrors (logged and counted there).

#include <kj/async.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capnp/connection_pool.h"
#include "common/vector_clock.h"
#include "sdk/internal_errors.h"
#include "sdk/quorum_spec.h"

namespace ringkv::sdk {

class RequestBatcher {
 public:
  static constexpr size_t kMaxBatch = 128;
  // A batch stops growing once the values it carries reach this many bytes (it always takes
  // at least one request), so that a message of large values stays far below the node's
  // --max-message-mb and its in-flight budget is spent on few requests, not 128 x 1 MB.
  static constexpr size_t kMaxBatchValueBytes = 4u << 20;

  RequestBatcher(wire::ConnectionPool& pool, InternalErrors& errors)
      : pool_(pool), errors_(errors), error_handler_(errors), tasks_(error_handler_) {}

  // Tests only, process-wide: `fault(stage)` runs where a request is queued ("queue get",
  // "queue replicate", "queue put") and where a batch is built ("send get", "send
  // replicate", "send put"); a throw there stands for an unexpected failure at that
  // point. Empty: none (the default). Thread-safe.
  static void SetFaultForTesting(std::function<void(std::string_view stage)> fault);
  // Tests only, process-wide: `observer(kind, address, items)` runs on the loop thread for
  // every message a batcher sends: kind "get", "replicate" or "put" (coordinatePuts), the
  // node's address and how many keys it carries. Empty: none (the default). Thread-safe.
  using SendObserver = std::function<void(std::string_view kind, const std::string& address, size_t items)>;
  static void SetSendObserverForTesting(SendObserver observer);

  // What the node holds for `key` (an empty set when nothing); rejects if the call failed.
  kj::Promise<Result<SiblingSet>> Get(const std::string& address, std::string key, const RouteHeader& header);
  // `hint_for` non-empty: the node keeps `set` as a hint for that replica.
  // The node resolves by the key's namespace (its conflict mode); nothing here chooses it.
  // `set` is shared, never copied: a put replicates one set to every replica (and the
  // copies were ~5% of a quorum put's client CPU; docs/performance.md).
  kj::Promise<Status> Replicate(const std::string& address, std::string key, std::shared_ptr<const SiblingSet> set,
                                const RouteHeader& header, std::string hint_for = {});
  // The node coordinates the write; resolves to the key's resulting set or the node's error.
  kj::Promise<Result<SiblingSet>> CoordinatePut(const std::string& address, std::string key, CausalContext context,
                                                Sibling write, const RouteHeader& header, std::string hint_for = {},
                                                std::vector<std::string> ship_to_dcs = {});

 private:
  struct PendingGet {
    size_t ValueBytes() const { return 0; }  // the answer's size is not known in advance
    std::string key;
    kj::Own<kj::PromiseFulfiller<Result<SiblingSet>>> done;
  };
  struct PendingReplicate {
    size_t ValueBytes() const;
    std::string key;
    std::shared_ptr<const SiblingSet> set;  // never null
    std::string hint_for;
    kj::Own<kj::PromiseFulfiller<Status>> done;
  };
  struct PendingPut {
    size_t ValueBytes() const { return write.value.size(); }
    std::string key;
    CausalContext context;
    Sibling write;
    std::string hint_for;
    std::vector<std::string> ship_to_dcs;
    kj::Own<kj::PromiseFulfiller<Result<SiblingSet>>> done;
  };
  struct Queue {
    RouteHeader header;  // the oldest ring version among the queued requests
    std::vector<PendingGet> gets;
    std::vector<PendingReplicate> replicates;
    std::vector<PendingPut> puts;
    bool flush_scheduled = false;
  };
  using QueueKey = std::string;  // the node's address

  Queue& QueueFor(const QueueKey& key, const RouteHeader& header);
  void Schedule(const QueueKey& key, Queue& q);
  void Flush(const QueueKey& key);
  kj::Promise<void> SendGets(const std::string& address, const RouteHeader& header, std::vector<PendingGet> batch);
  kj::Promise<void> SendReplicates(const std::string& address, const RouteHeader& header,
                                   std::vector<PendingReplicate> batch);
  kj::Promise<void> SendPuts(const std::string& address, const RouteHeader& header, std::vector<PendingPut> batch);
  // Moves up to kMaxBatch items off the front of `from`, fewer when their values reach
  // kMaxBatchValueBytes (at least one).
  template <typename T>
  static std::vector<T> TakeBatch(std::vector<T>& from);

  // Runs the test fault for `stage`, if one is set.
  static void Fault(std::string_view stage);
  // Reports a message about to be sent to the test observer, if one is set.
  static void Sent(std::string_view kind, const std::string& address, size_t items);
  // Builds and sends one batch (`build` returns the send's promise); if that throws, every
  // waiter in `waiters` fails at once with the recorded error.
  template <typename Waiters, typename Build>
  kj::Promise<void> Guarded(const char* what, const std::string& address, Waiters& waiters, Build build);

  // A flush or send that failed outside Guarded (nothing should): logged and counted.
  class ErrorHandler : public kj::TaskSet::ErrorHandler {
   public:
    explicit ErrorHandler(InternalErrors& errors) : errors_(errors) {}
    void taskFailed(kj::Exception&& e) override { (void)errors_.Record("the request batcher", e); }

   private:
    InternalErrors& errors_;
  };

  wire::ConnectionPool& pool_;
  InternalErrors& errors_;
  ErrorHandler error_handler_;
  kj::TaskSet tasks_;
  std::map<QueueKey, Queue> queues_;
};

}  // namespace ringkv::sdk
