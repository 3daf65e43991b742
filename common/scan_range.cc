#include "common/scan_range.h"

#include "common/namespace.h"

namespace ringkv {
namespace {

constexpr std::string_view kReservedPrefix{"\x00\xFF", 2};
constexpr std::string_view kAfterReserved{"\x01", 1};  // the first key past every "\x00\xFF..." key

// `a` < `b` where an empty `b` is +infinity.
bool BeforeEnd(std::string_view a, std::string_view end) { return end.empty() || a < end; }

// [lo, hi) ∩ [start, end): narrows `r`; false when nothing is left.
bool Clip(StoredKeyRange* r, std::string_view lo, std::string_view hi) {
  if (r->start < lo) r->start = std::string(lo);
  if (!hi.empty() && (r->end.empty() || hi < r->end)) r->end = std::string(hi);
  return BeforeEnd(r->start, r->end);
}

}  // namespace

std::string PrefixSuccessor(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    auto last = static_cast<unsigned char>(out.back());
    if (last != 0xFF) {
      out.back() = static_cast<char>(last + 1);
      return out;
    }
    out.pop_back();
  }
  return out;  // "": no upper bound
}

std::vector<StoredKeyRange> NamespaceScanRanges(std::string_view name, uint64_t incarnation, std::string_view prefix,
                                                std::string_view after) {
  std::string base = StoredKeyPrefix(name, incarnation);
  std::vector<StoredKeyRange> whole;
  if (name == kDefaultNamespace) {
    whole.push_back({"", std::string(kReservedPrefix)});
    whole.push_back({std::string(kAfterReserved), ""});
  } else {
    whole.push_back({base, PrefixSuccessor(base)});
  }
  std::string with_prefix = base + std::string(prefix);
  std::string prefix_end = prefix.empty() ? std::string() : PrefixSuccessor(with_prefix);
  // Just past `after`: the smallest stored key greater than it is the key plus a zero byte.
  std::string resume = after.empty() ? std::string() : base + std::string(after) + '\0';
  std::vector<StoredKeyRange> out;
  for (StoredKeyRange r : whole) {
    if (!Clip(&r, with_prefix, prefix_end)) continue;
    if (!resume.empty() && !Clip(&r, resume, "")) continue;
    out.push_back(std::move(r));
  }
  return out;
}

bool InRanges(const std::vector<StoredKeyRange>& ranges, std::string_view stored) {
  for (const StoredKeyRange& r : ranges) {
    if (stored >= r.start && BeforeEnd(stored, r.end)) return true;
  }
  return false;
}

}  // namespace ringkv
