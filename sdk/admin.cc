// Client's admin calls: a node's stats, repair, decommission and removal. Each goes to one
// node directly (found in the client's ring), on the client's event loop.

#include <algorithm>
#include <thread>

#include "capnp/bounded.h"
#include "capnp/convert.h"
#include "capnp/request_header.h"
#include "ringkv/client.h"
#include "sdk/client_impl.h"

namespace ringkv {
namespace {

constexpr auto kAdminTimeout = std::chrono::minutes(10);  // a repair of a large node takes a while

// The address of `node_id` in the client's ring (current or future members).
Result<std::string> AddressOf(const RingView& view, const std::string& node_id) {
  if (const RingNode* n = view.ring.Find(node_id)) return n->address;
  if (const RingNode* n = view.future.Find(node_id)) return n->address;
  return Status::InvalidArgument("no ring member named '" + node_id + "'");
}

template <typename T>
kj::Promise<Result<T>> Bounded(kj::Timer& timer, kj::Promise<Result<T>> call, std::chrono::milliseconds limit) {
  return wire::Bounded(timer, kj::mv(call), limit,
                       []() -> Result<T> { return Status::TimedOut("the node did not answer in time"); });
}

}  // namespace

Status Client::RefreshRing() {
  return impl_
      ->RunSync<bool>([this]() {
        return impl_->RefreshFromEveryNode(impl_->options().timeout).then([]() -> Result<bool> { return true; });
      })
      .status();
}

Result<std::vector<NodeStat>> Client::NodeStats(const std::string& node_id) {
  RINGKV_ASSIGN(std::string address, AddressOf(*impl_->Ring(), node_id));
  return impl_->RunSync<std::vector<NodeStat>>([&]() {
    auto req = impl_->pool().Dial(address).statsRequest();
    wire::FillRequestHeader(req.initHeader(), impl_->ClusterName());
    auto call = req.send().then(
        [](capnp::Response<wire::Node::StatsResults>&& resp) -> Result<std::vector<NodeStat>> {
          RINGKV_TRY(wire::FromWire(resp.getError()));
          std::vector<NodeStat> out;
          for (auto s : resp.getStats()) out.push_back({std::string(s.getName().cStr()), s.getValue()});
          return out;
        },
        [address](kj::Exception&& e) -> Result<std::vector<NodeStat>> {
          return Status::Unavailable(address + ": " + e.getDescription().cStr());
        });
    return Bounded(impl_->timer(), kj::mv(call), impl_->options().timeout);
  });
}

Result<RepairReport> Client::Repair(const std::string& node_id, const std::string& peer, uint64_t range_start,
                                    uint64_t range_end) {
  RINGKV_ASSIGN(std::string address, AddressOf(*impl_->Ring(), node_id));
  return impl_->RunSync<RepairReport>([&]() {
    auto req = impl_->pool().Dial(address).repairRequest();
    wire::FillRequestHeader(req.initHeader(), impl_->ClusterName());
    req.setPeer(peer);
    req.initRange().setStart(range_start);
    req.getRange().setEnd(range_end);
    auto call = req.send().then(
        [](capnp::Response<wire::Node::RepairResults>&& resp) -> Result<RepairReport> {
          RINGKV_TRY(wire::FromWire(resp.getError()));
          auto s = resp.getStats();
          return RepairReport{s.getPeers(),      s.getNodesCompared(), s.getDigestsExchanged(), s.getKeysPulled(),
                              s.getKeysPushed(), s.getBytesSent(),     s.getBytesReceived()};
        },
        [address](kj::Exception&& e) -> Result<RepairReport> {
          return Status::Unavailable(address + ": " + e.getDescription().cStr());
        });
    return Bounded(impl_->timer(), kj::mv(call), kAdminTimeout);
  });
}

Status Client::Decommission(const std::string& node_id) {
  RINGKV_ASSIGN(std::string address, AddressOf(*impl_->Ring(), node_id));
  return impl_
      ->RunSync<bool>([&]() {
        auto req = impl_->pool().Dial(address).decommissionRequest();
        wire::FillRequestHeader(req.initHeader(), impl_->ClusterName());
        auto call = req.send().then(
            [](capnp::Response<wire::Node::DecommissionResults>&& resp) -> Result<bool> {
              RINGKV_TRY(wire::FromWire(resp.getError()));
              return true;
            },
            [address](kj::Exception&& e) -> Result<bool> {
              return Status::Unavailable(address + ": " + e.getDescription().cStr());
            });
        return Bounded(impl_->timer(), kj::mv(call), impl_->options().timeout);
      })
      .status();
}

namespace {

BackupInfo BackupInfoOf(wire::BackupInfo::Reader b) {
  return BackupInfo{wire::ToText(b.getNode()), wire::ToText(b.getName()), b.getCreatedMs(), b.getTables(), b.getBytes(),
                    b.getComplete(),           wire::ToText(b.getDir())};
}

}  // namespace

Result<std::vector<BackupInfo>> Client::CallBackup(const std::string& node_id, BackupOp op, const std::string& name) {
  RINGKV_ASSIGN(std::string address, AddressOf(*impl_->Ring(), node_id));
  wire::BackupOp wire_op = op == BackupOp::kCreate ? wire::BackupOp::CREATE
                           : op == BackupOp::kList ? wire::BackupOp::LIST
                                                   : wire::BackupOp::DELETE;
  return impl_->RunSync<std::vector<BackupInfo>>([&]() {
    auto req = impl_->pool().Dial(address).backupRequest();
    wire::FillRequestHeader(req.initHeader(), impl_->ClusterName());
    req.setOp(wire_op);
    req.setName(name);
    auto call = req.send().then(
        [](capnp::Response<wire::Node::BackupResults>&& resp) -> Result<std::vector<BackupInfo>> {
          RINGKV_TRY(wire::FromWire(resp.getError()));
          std::vector<BackupInfo> out;
          for (auto b : resp.getBackups()) out.push_back(BackupInfoOf(b));
          return out;
        },
        [address](kj::Exception&& e) -> Result<std::vector<BackupInfo>> {
          return Status::Unavailable(address + ": " + e.getDescription().cStr());
        });
    return Bounded(impl_->timer(), kj::mv(call), kAdminTimeout);
  });
}

namespace {

// How long a create whose answer was lost is waited for in the node's list.
constexpr auto kLostAnswerWait = std::chrono::seconds(60);
// A part not (yet) in the list after this long was not started: the call never arrived.
constexpr auto kNotStartedAfter = std::chrono::seconds(2);

}  // namespace

Result<BackupInfo> Client::AwaitBackupPart(const std::string& node_id, const std::string& name, Status lost) {
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto waited = std::chrono::steady_clock::now() - start;
    auto parts = ListBackups(node_id);
    if (parts.ok()) {
      auto part = std::find_if(parts->begin(), parts->end(), [&](const BackupInfo& b) { return b.name == name; });
      if (part != parts->end() && part->complete) return *part;
      if (part == parts->end() && waited > kNotStartedAfter) return lost;  // the call never started
    } else if (waited > kNotStartedAfter) {
      return lost.Annotated("and its list of parts could not be read: " + parts.status().ToString());
    }
    if (waited > kLostAnswerWait) {
      return lost.Annotated("its part did not complete within " + std::to_string(kLostAnswerWait.count()) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Result<BackupInfo> Client::CreateBackup(const std::string& node_id, const std::string& name) {
  auto answer = CallBackup(node_id, BackupOp::kCreate, name);
  // The node takes its part on a worker thread whatever becomes of the connection (dropped,
  // say, after a health check the busy node answered late): its list tells what was made.
  if (!answer.ok() && answer.status().IsUnavailable()) return AwaitBackupPart(node_id, name, answer.status());
  RINGKV_ASSIGN(std::vector<BackupInfo> made, std::move(answer));
  if (made.size() != 1)
    return Status::IOError(node_id + " answered a backup with " + std::to_string(made.size()) + " parts");
  return made.front();
}

Result<std::vector<BackupInfo>> Client::ListBackups(const std::string& node_id) {
  return CallBackup(node_id, BackupOp::kList, {});
}

Status Client::DeleteBackup(const std::string& node_id, const std::string& name) {
  return CallBackup(node_id, BackupOp::kDelete, name).status();
}

Result<RestoreReport> Client::RestoreBackup(const std::string& node_id, const std::vector<std::string>& dirs) {
  RINGKV_ASSIGN(std::string address, AddressOf(*impl_->Ring(), node_id));
  return impl_->RunSync<RestoreReport>([&]() {
    auto req = impl_->pool().Dial(address).restoreBackupRequest();
    wire::FillRequestHeader(req.initHeader(), impl_->ClusterName());
    auto list = req.initDirs(static_cast<unsigned>(dirs.size()));
    for (unsigned i = 0; i < dirs.size(); ++i) list.set(i, dirs[i]);
    auto call = req.send().then(
        [](capnp::Response<wire::Node::RestoreBackupResults>&& resp) -> Result<RestoreReport> {
          RINGKV_TRY(wire::FromWire(resp.getError()));
          auto r = resp.getReport();
          return RestoreReport{r.getParts(), r.getKeys(), r.getHints(), r.getSetsSent()};
        },
        [address](kj::Exception&& e) -> Result<RestoreReport> {
          return Status::Unavailable(address + ": " + e.getDescription().cStr());
        });
    return Bounded(impl_->timer(), kj::mv(call), kAdminTimeout);
  });
}

// Sends one namespace change to the first live node that answers it (an alter or drop: the
// first that knows the namespace).
Status Client::ChangeNamespace(NamespaceOp op, const std::string& name, const NamespaceSettings& settings) {
  Client::Impl& impl = *impl_;
  wire::NamespaceOp wire_op = op == NamespaceOp::kCreate  ? wire::NamespaceOp::CREATE
                              : op == NamespaceOp::kAlter ? wire::NamespaceOp::ALTER
                                                          : wire::NamespaceOp::DROP;
  RINGKV_TRY(impl.SyncAllowed());
  auto ring = impl.Ring();
  std::string errors;
  Status not_found;
  for (const RingNode& n : impl.CatalogChangeOrder(*ring)) {
    auto done = impl.RunSync<bool>([&]() {
      auto req = impl.pool().Dial(n.address).changeNamespaceRequest();
      wire::FillRequestHeader(req.initHeader(), impl.ClusterName());
      req.setOp(wire_op);
      req.setName(name);
      wire::ToWire(settings, req.initSettings());
      auto call = req.send().then(
          [&impl](capnp::Response<wire::Node::ChangeNamespaceResults>&& resp) -> Result<bool> {
            RINGKV_TRY(wire::FromWire(resp.getError()));
            impl.LearnNamespace(wire::FromWire(resp.getRecord()));  // usable at once by this client
            return true;
          },
          [address = n.address](kj::Exception&& e) -> Result<bool> {
            return Status::Unavailable(address + ": " + e.getDescription().cStr());
          });
      return Bounded(impl.timer(), kj::mv(call), impl.options().timeout);
    });
    // A node that has not yet learned the namespace by gossip answers NotFound to an alter
    // or drop (e.g. right after this client created it through another node): ask the
    // others; only when every node that answered lacks it is the name unknown.
    bool not_here = op != NamespaceOp::kCreate && done.status().IsNotFound();
    if (not_here) {
      not_found = done.status();
      continue;
    }
    if (done.ok()) impl.ChangedCatalogAt(n.id);
    if (done.ok() || !(done.status().IsUnavailable() || done.status().IsTimedOut())) return done.status();
    errors += (errors.empty() ? "" : "; ") + done.status().ToString();
  }
  if (!not_found.ok()) return not_found;
  return Status::Unavailable("no live node took the namespace change: " + errors);
}

Status Client::CreateNamespace(const std::string& name, const NamespaceSettings& settings) {
  // Checked here too, so that bad input never needs a node to be refused.
  RINGKV_TRY(ValidateNamespaceName(name));
  RINGKV_TRY(ValidateSettings(settings));
  return ChangeNamespace(NamespaceOp::kCreate, name, settings);
}

Status Client::AlterNamespace(const std::string& name, const NamespaceSettings& settings) {
  RINGKV_TRY(ValidateNamespaceName(name));
  RINGKV_TRY(ValidateSettings(settings));
  return ChangeNamespace(NamespaceOp::kAlter, name, settings);
}

Status Client::DropNamespace(const std::string& name) {
  RINGKV_TRY(ValidateNamespaceName(name));
  return ChangeNamespace(NamespaceOp::kDrop, name, {});
}

Result<std::vector<NamespaceInfo>> Client::ListNamespaces(const std::string& node_id) {
  RINGKV_TRY(impl_->SyncAllowed());
  auto ring = impl_->Ring();
  std::vector<std::string> addresses;
  if (!node_id.empty()) {
    RINGKV_ASSIGN(std::string address, AddressOf(*ring, node_id));
    addresses.push_back(address);
  } else {
    for (const RingNode& n : impl_->CatalogChangeOrder(*ring)) addresses.push_back(n.address);
  }
  std::string errors;
  for (const std::string& address : addresses) {
    auto view = impl_->RunSync<RingView>([&]() { return impl_->FetchRingFrom(address); });
    if (!view.ok()) {
      errors += (errors.empty() ? "" : "; ") + view.status().ToString();
      continue;
    }
    std::vector<NamespaceInfo> out;
    for (const NamespaceRecord& r : view->namespaces.Live()) out.push_back({r.name, r.settings});
    return out;
  }
  return Status::Unavailable("no node answered: " + errors);
}

Status Client::RemoveNode(const std::string& node_id) {
  RINGKV_TRY(impl_->SyncAllowed());
  auto ring = impl_->Ring();
  std::string errors;
  for (const RingNode& n : ring->ring.nodes()) {
    if (n.id == node_id || !ring->IsUp(n.id)) continue;
    auto done = impl_->RunSync<bool>([&]() {
      auto req = impl_->pool().Dial(n.address).removeNodeRequest();
      wire::FillRequestHeader(req.initHeader(), impl_->ClusterName());
      req.setNodeId(node_id);
      auto call = req.send().then(
          [](capnp::Response<wire::Node::RemoveNodeResults>&& resp) -> Result<bool> {
            RINGKV_TRY(wire::FromWire(resp.getError()));
            return true;
          },
          [address = n.address](kj::Exception&& e) -> Result<bool> {
            return Status::Unavailable(address + ": " + e.getDescription().cStr());
          });
      return Bounded(impl_->timer(), kj::mv(call), impl_->options().timeout);
    });
    if (done.ok() || done.status().IsInvalidArgument()) return done.status();
    errors += (errors.empty() ? "" : "; ") + done.status().ToString();
  }
  return Status::Unavailable("no live node took the removal: " + errors);
}

}  // namespace ringkv
