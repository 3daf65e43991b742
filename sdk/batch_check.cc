#include "sdk/batch_check.h"

#include <string_view>
#include <unordered_map>

#include "ringkv/client.h"

namespace ringkv::sdk {
namespace {

// Keys can be up to 1 KB of any bytes: shown shortened, with what cannot print escaped.
std::string Printable(std::string_view key) {
  constexpr size_t kShown = 64;
  std::string out;
  for (size_t i = 0; i < key.size() && i < kShown; ++i) {
    auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kDigits[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 15]);
    }
  }
  if (key.size() > kShown) out += "...";
  return out;
}

}  // namespace

Status CheckBatch(const std::vector<BatchKey>& keys) {
  if (keys.empty()) return Status::InvalidArgument("an empty batch: give at least one key; nothing was sent");
  if (keys.size() > kMaxBatchEntries) {
    return Status::InvalidArgument("a batch of " + std::to_string(keys.size()) + " entries; at most " +
                                   std::to_string(kMaxBatchEntries) + " (split it); nothing was sent");
  }
  std::unordered_map<std::string_view, size_t> first_at;
  first_at.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    auto [it, fresh] = first_at.try_emplace(keys[i].stored_key, i);
    if (fresh) continue;
    std::string ns = keys[i].ns.empty() ? std::string("default") : keys[i].ns;
    return Status::InvalidArgument("entries " + std::to_string(it->second) + " and " + std::to_string(i) +
                                   " are the same key '" + Printable(keys[i].key) + "' in namespace '" + ns +
                                   "'; nothing was sent");
  }
  return Status::OK();
}

Status EntryError(size_t index, const std::string& key, const Status& error) {
  return Status::InvalidArgument("entry " + std::to_string(index) + " (key '" + Printable(key) +
                                 "'): " + error.message() + "; nothing was sent");
}

}  // namespace ringkv::sdk
