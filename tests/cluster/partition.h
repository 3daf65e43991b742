#pragma once
// Partition: a network partition between groups of 127.0.0.x addresses, made of iptables
// DROP rules in a chain of the test's own (RINGKV-<pid>-<n>). Heal() or the destructor
// removes the rules and the chain, so no exit path leaves them behind. Needs root and
// iptables (scripts/install-deps.sh installs it); Create fails loudly without them.

#include <string>
#include <vector>

#include "ringkv/status.h"

namespace ringkv::testing {

class Partition {
 public:
  // Packets between any address of `a` and any of `b` are dropped, both ways.
  static Result<Partition> Create(const std::vector<std::string>& a, const std::vector<std::string>& b);
  Partition(Partition&& other) noexcept : chain_(std::move(other.chain_)) { other.chain_.clear(); }
  Partition& operator=(Partition&&) = delete;
  ~Partition() { (void)Heal(); }

  Status Heal();

 private:
  explicit Partition(std::string chain) : chain_(std::move(chain)) {}
  std::string chain_;
};

}  // namespace ringkv::testing
