#pragma once
// How the Prometheus text format shows a sample's value: the shortest text that reads back
// as the same double, so counters print as integers ("42", not "42.000000"). Shared by the
// node's /metrics and the SDK's Client::MetricsText.

#include <cstdio>
#include <cstdlib>
#include <string>

namespace ringkv {

inline std::string PrometheusNumber(double v) {
  char buf[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

}  // namespace ringkv
