#include "tests/cluster/partition.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace ringkv::testing {
namespace {

Status Run(const std::string& command) {
  int rc = std::system((command + " 2>/dev/null").c_str());
  if (rc != 0)
    return Status::IOError("'" + command + "' failed (exit " + std::to_string(rc) + "); root and iptables needed");
  return Status::OK();
}

}  // namespace

Result<Partition> Partition::Create(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  static std::atomic<int> counter{0};
  std::string chain = "RINGKV-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  RINGKV_TRY(Run("iptables -N " + chain));
  Partition p(chain);  // from here on, the destructor cleans up
  for (const auto& x : a) {
    for (const auto& y : b) {
      RINGKV_TRY(Run("iptables -A " + chain + " -s " + x + " -d " + y + " -j DROP"));
      RINGKV_TRY(Run("iptables -A " + chain + " -s " + y + " -d " + x + " -j DROP"));
    }
  }
  RINGKV_TRY(Run("iptables -I INPUT -j " + chain));
  return p;
}

Status Partition::Heal() {
  if (chain_.empty()) return Status::OK();
  // Each step is attempted even if an earlier one failed.
  Status unhook = Run("iptables -D INPUT -j " + chain_);
  Status flush = Run("iptables -F " + chain_);
  Status remove = Run("iptables -X " + chain_);
  chain_.clear();
  if (!flush.ok()) return flush;
  return remove.ok() ? unhook : remove;
}

}  // namespace ringkv::testing
