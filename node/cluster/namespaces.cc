#include "node/cluster/namespaces.h"

#include <filesystem>

#include "node/storage/file.h"

namespace ringkv {

Namespaces::Namespaces(NamespacesOptions options, NamespaceCatalog catalog)
    : options_(std::move(options)),
      catalog_(std::move(catalog)),
      own_published_(options_.published ? nullptr : std::make_unique<PublishedCatalog>()),
      published_(options_.published ? options_.published : own_published_.get()),
      saver_(options_.state_file, [this] { return Render(); }) {
  MutexLock lock(&mu_);
  PublishLocked();
}

void Namespaces::PublishLocked() { published_->Publish(catalog_); }

Result<std::unique_ptr<Namespaces>> Namespaces::Open(NamespacesOptions options) {
  NamespaceCatalog catalog(options.default_settings);
  std::error_code ec;
  if (std::filesystem::exists(options.state_file, ec)) {
    RINGKV_ASSIGN(std::string bytes, storage::ReadFileToString(options.state_file));
    auto saved = NamespaceCatalog::Decode(bytes);
    if (!saved.ok()) return Status::Corruption(options.state_file + ": " + saved.status().message());
    catalog = std::move(saved).value();
  }
  std::unique_ptr<Namespaces> n(new Namespaces(std::move(options), std::move(catalog)));
  if (Status s = storage::WriteFileAtomically(n->options_.state_file, n->Render()); !s.ok()) {
    return Status::IOError("cannot save the namespace catalog: " + s.ToString());
  }
  return n;
}

std::string Namespaces::Render() const {
  NamespaceCatalog copy;
  {
    MutexLock lock(&mu_);
    copy = catalog_;
  }
  return copy.Encode();
}

Result<NamespaceRecord> Namespaces::Saved(Result<NamespaceRecord> change) {
  if (change.ok()) {
    saver_.MarkDirty();
    PublishLocked();
  }
  return change;
}

Result<NamespaceRecord> Namespaces::Create(std::string_view name, const NamespaceSettings& settings, uint64_t now_ms) {
  MutexLock lock(&mu_);
  return Saved(catalog_.Create(name, settings, options_.self_id, now_ms));
}

Result<NamespaceRecord> Namespaces::Alter(std::string_view name, const NamespaceSettings& settings, uint64_t now_ms) {
  MutexLock lock(&mu_);
  return Saved(catalog_.Alter(name, settings, options_.self_id, now_ms));
}

Result<NamespaceRecord> Namespaces::Drop(std::string_view name, uint64_t now_ms) {
  MutexLock lock(&mu_);
  return Saved(catalog_.Drop(name, options_.self_id, now_ms));
}

void Namespaces::Merge(std::span<const NamespaceRecord> records) {
  MutexLock lock(&mu_);
  if (catalog_.Merge(records)) {
    saver_.MarkDirty();
    PublishLocked();
  }
}

std::vector<NamespaceRecord> Namespaces::Records() const {
  MutexLock lock(&mu_);
  return catalog_.Records();
}

std::optional<NamespaceRecord> Namespaces::Find(std::string_view name) const {
  MutexLock lock(&mu_);
  const NamespaceRecord* r = catalog_.Find(name);
  if (r == nullptr) return std::nullopt;
  return *r;
}

uint64_t Namespaces::Digest() const {
  MutexLock lock(&mu_);
  return catalog_.Digest();
}

}  // namespace ringkv
