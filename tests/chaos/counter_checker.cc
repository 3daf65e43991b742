#include "tests/chaos/counter_checker.h"

#include <sstream>

namespace ringkv::chaos {

CounterReport CheckCounters(const std::map<std::string, CounterTally>& tallies,
                            const std::map<std::string, int64_t>& final_counts) {
  CounterReport report;
  for (const auto& [key, tally] : tallies) {
    auto it = final_counts.find(key);
    int64_t final_count = it == final_counts.end() ? 0 : it->second;
    report.attempted += tally.attempted;
    report.acked += tally.acked;
    report.final_total += static_cast<uint64_t>(std::max<int64_t>(final_count, 0));
    std::string figures = "final " + std::to_string(final_count) + ", acknowledged " + std::to_string(tally.acked) +
                          ", attempted " + std::to_string(tally.attempted);
    if (final_count < static_cast<int64_t>(tally.acked)) {
      report.violations.push_back({"lost", key, figures});
    } else if (final_count > static_cast<int64_t>(tally.attempted)) {
      report.violations.push_back({"duplicated", key, figures});
    } else {
      report.failed_but_counted += static_cast<uint64_t>(final_count) - tally.acked;
    }
  }
  return report;
}

std::string CounterReport::Summary() const {
  std::ostringstream out;
  out << attempted << " increments attempted, " << acked << " acknowledged, final " << final_total << " ("
      << failed_but_counted << " failed ones landed): " << violations.size() << " violations\n";
  for (const Violation& v : violations) out << "  " << v.kind << " " << v.key << ": " << v.detail << "\n";
  return out.str();
}

}  // namespace ringkv::chaos
