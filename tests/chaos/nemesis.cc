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

void Nemesis::Began(const std::string& kind, int node) {
  ++counts_[kind];
  events_.push_back({kind, node, std::chrono::steady_clock::now(), {}});
}

void Nemesis::HoldFault() { std::this_thread::sleep_for(std::chrono::milliseconds(1500 + rng_() % 2500)); }

Status Nemesis::KillAndRestart(int node) {
  Began("kill -9", node);
  RINGKV_TRY(cluster_.Kill(node));
  HoldFault();
  return cluster_.Restart(node);
}

Status Nemesis::Pause(int node) {
  Began("pause", node);
  RINGKV_TRY(cluster_.Pause(node));
  HoldFault();
  return cluster_.Resume(node);
}

Status Nemesis::WipeAndRestart(int node) {
  Began("wiped restart", node);
  RINGKV_TRY(cluster_.Kill(node));
  RINGKV_TRY(cluster_.Wipe(node));
  HoldFault();
  return cluster_.Restart(node);
}

Status Nemesis::Partition(Fault kind, int node) {
  int n = cluster_.size();
  std::vector<std::string> a, b = options_.client_ips;  // b: the majority side
  switch (kind) {
    case Fault::kIsolate:  // `node` alone
      Began("partition: one isolated", node);
      for (int i = 0; i < n; ++i) (i == node ? a : b).push_back(Ip(cluster_, i));
      break;
    case Fault::kMajorityMinority:  // halves
      Began("partition: majority/minority", -1);
      for (int i = 0; i < n; ++i) (i < n / 2 ? a : b).push_back(Ip(cluster_, i));
      break;
    default: {  // a bridge: `node` talks to both halves, which cannot talk to each other
      Began("partition: bridge", node);
      b.clear();  // the clients reach every node
      for (int i = 0; i < n; ++i) {
        if (i == node) continue;
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
  if (options_.faults.empty()) return Status::InvalidArgument("nemesis: no fault kinds to draw from");
  if (round_.empty()) {
    round_ = options_.faults;
    std::shuffle(round_.begin(), round_.end(), rng_);
  }
  Fault kind = round_.back();
  round_.pop_back();
  int node = options_.target ? options_.target() : static_cast<int>(rng_() % cluster_.size());
  if (node < 0 || node >= cluster_.size()) return Status::InvalidArgument("nemesis: no node " + std::to_string(node));
  Status s;
  switch (kind) {
    case Fault::kKill:
      s = KillAndRestart(node);
      break;
    case Fault::kPause:
      s = Pause(node);
      break;
    case Fault::kWipe:
      s = WipeAndRestart(node);
      break;
    default:
      s = Partition(kind, node);
      break;
  }
  if (!events_.empty()) events_.back().healed = std::chrono::steady_clock::now();
  return s;
}

}  // namespace ringkv::chaos
