#pragma once
// SplitCommaList: the one parser of "a,b,c" lists on command lines and in options (kv's
// --cluster and --report-to, the C ABI's seeds). Each item is trimmed of spaces and tabs;
// items that are empty after trimming are skipped, so "a, b,,c " is {"a", "b", "c"} and
// "" or " , " is {}. The order is kept; duplicates are kept.

#include <string>
#include <string_view>
#include <vector>

namespace ringkv {

std::vector<std::string> SplitCommaList(std::string_view text);

}  // namespace ringkv
