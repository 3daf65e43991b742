#include "common/published_catalog.h"

namespace ringkv {

void PublishedCatalog::Publish(NamespaceCatalog catalog) {
  auto next = std::make_shared<const NamespaceCatalog>(std::move(catalog));
  {
    MutexLock lock(&mu_);
    std::swap(current_, next);
  }  // the old snapshot goes outside the lock (or with its last reader)
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

std::shared_ptr<const NamespaceCatalog> PublishedCatalog::Get() const {
  MutexLock lock(&mu_);
  return current_;
}

bool PublishedCatalog::IsDroppedKey(std::string_view stored_key) const {
  auto parsed = ParseStoredKey(stored_key);
  if (!parsed.ok() || parsed->name == kDefaultNamespace) return false;
  return Get()->IsDropped(*parsed);
}

}  // namespace ringkv
