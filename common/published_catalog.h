#pragma once
// PublishedCatalog: the node's namespace catalog as an immutable snapshot that any thread
// reads without copying it, republished (a new snapshot) on every change.
//
// The node's Namespaces (node/cluster/namespaces.h) publishes here; the layers below it
// that must never store a key of a dropped namespace incarnation — the replica store, the
// hint store, compaction — and the RPC hot path read it. Node owns it before the storage
// engine, so it outlives every reader (compaction runs until the engine closes).
//
// Guarantees: Get() is one short lock and a shared_ptr copy; a snapshot never changes once
// published; generation() grows with every Publish, so a reader can tell that it missed one.
// Thread-safe.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/mutex.h"
#include "common/namespace_catalog.h"

namespace ringkv {

class PublishedCatalog {
 public:
  PublishedCatalog() : current_(std::make_shared<const NamespaceCatalog>()) {}

  void Publish(NamespaceCatalog catalog) EXCLUDES(mu_);
  std::shared_ptr<const NamespaceCatalog> Get() const EXCLUDES(mu_);
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // NamespaceCatalog::IsDroppedKey on the current snapshot: true when no write may store
  // `stored_key` again. Takes no lock for a key of the default namespace.
  bool IsDroppedKey(std::string_view stored_key) const;

  // Writes to a dropped incarnation that a path refused or discarded (they are never
  // stored), exported as ringkv_namespace_dropped_writes_total.
  void CountDroppedWrite() const { dropped_writes_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t dropped_writes() const { return dropped_writes_.load(std::memory_order_relaxed); }

 private:
  mutable Mutex mu_;
  std::shared_ptr<const NamespaceCatalog> current_ GUARDED_BY(mu_);
  std::atomic<uint64_t> generation_{0};
  mutable std::atomic<uint64_t> dropped_writes_{0};
};

}  // namespace ringkv
