#pragma once
// The dashboard page (node/admin/dashboard.html), compiled into the binary by CMake so a node
// serves it with no files beside it and no external resources.

#include <string_view>

namespace ringkv {

std::string_view DashboardPage();

}  // namespace ringkv
