#include "common/comma_list.h"

namespace ringkv {

std::vector<std::string> SplitCommaList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    size_t first = item.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    size_t last = item.find_last_not_of(" \t");
    out.emplace_back(item.substr(first, last - first + 1));
  }
  return out;
}

}  // namespace ringkv
