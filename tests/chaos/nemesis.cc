#include "tests/chaos/nemesis.h"

#include <algorithm>
#include <thread>

#include "tests/cluster/partition.h"

namespace ringkv::chaos {
namespace {

std::string Ip(const testing::LocalCluster& c, int i) {
  const std::string& a = c.address(i);
  return a.substr(0, a.rfind(':'));
}

}  // namespace

void Nemesis::HoldFault() {
  std::this_thread::sleep_for(std::chrono::milliseconds(1500 + rng_() % 2500));
}

Status Nemesis::KillAndRestart(int node) {
  ++counts_["kill -9"];
  RINGKV_TRY(cluster_.Kill(node));
  HoldFault();
  return cluster_.Restart(node);
}

Status Nemesis::Pause(int node) {
  ++counts_["pause"];
  RINGKV_TRY(cluster_.Pause(node));
  HoldFault();
  return cluster_.Resume(node);
}

Status Nemesis::WipeAndRestart(int node) {
  ++counts_["wiped restart"];
  RINGKV_TRY(cluster_.Kill(node));
  RINGKV_TRY(cluster_.Wipe(node));
  HoldFault();
  return cluster_.Restart(node);
}

Status Nemesis::Partition(int kind) {
  int n = cluster_.size();
  std::vector<std::string> a, b;
  int lone = static_cast<int>(rng_() % n);
  switch (kind) {
    case 0:  // one node isolated from the rest
      ++counts_["partition: one isolated"];
      for (int i = 0; i < n; ++i) (i == lone ? a : b).push_back(Ip(cluster_, i));
      break;
    case 1:  // majority / minority halves
      ++counts_["partition: majority/minority"];
      for (int i = 0; i < n; ++i) (i < n / 2 ? a : b).push_back(Ip(cluster_, i));
      break;
    default: {  // a bridge: `lone` talks to both halves, which cannot talk to each other
      ++counts_["partition: bridge"];
      for (int i = 0; i < n; ++i) {
        if (i == lone) continue;
        (a.size() <= b.size() ? a : b).push_back(Ip(cluster_, i));
      }
      break;
    }
  }
  RINGKV_ASSIGN(testing::Partition cut, testing::Partition::Create(a, b));
  HoldFault();
  return cut.Heal();
}

Status Nemesis::InjectOnce() {
  if (round_.empty()) {
    round_ = {0, 1, 2, 3, 4, 5};
    std::shuffle(round_.begin(), round_.end(), rng_);
  }
  int kind = round_.back();
  round_.pop_back();
  int node = static_cast<int>(rng_() % cluster_.size());
  switch (kind) {
    case 0: return KillAndRestart(node);
    case 1: return Pause(node);
    case 2: return WipeAndRestart(node);
    default: return Partition(kind - 3);  // one isolated, majority/minority, bridge
  }
}

}  // namespace ringkv::chaos
