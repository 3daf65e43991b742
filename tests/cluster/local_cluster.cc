#include "tests/cluster/local_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <capnp/ez-rpc.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "capnp/convert.h"
#include "capnp/request_header.h"
#include "tests/cluster/http_client.h"

#ifndef RINGKV_KVNODE_PATH
#error "RINGKV_KVNODE_PATH must name the kvnode binary"
#endif

namespace ringkv::testing {
namespace fs = std::filesystem;
namespace {

// A port free on `ip` right now (bound then released; Launch retries on the rare race).
int FreePort(const std::string& ip) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  addr.sin_port = 0;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool CanConnect(const std::string& address) {
  int fd = ConnectTcp(address);
  if (fd >= 0) ::close(fd);
  return fd >= 0;
}

// `wait_status`, when given, gets waitpid's status (left alone if the child was reaped already).
Status Reap(pid_t pid, std::chrono::milliseconds limit, int* wait_status = nullptr) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid && wait_status) *wait_status = status;
    if (r == pid || r < 0) return Status::OK();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return Status::TimedOut("process " + std::to_string(pid) + " did not exit");
}

}  // namespace

int ConnectTcp(const std::string& address) {
  auto colon = address.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::vector<std::string> FastFailureDetection() {
  return {"--gossip-interval-ms", "200",  "--suspect-after-ms",    "1500",
          "--down-after-ms",      "3000", "--handoff-interval-ms", "200"};
}

LocalClusterOptions FastCluster(int nodes) {
  LocalClusterOptions o;
  o.nodes = nodes;
  o.extra_flags = FastFailureDetection();
  return o;
}

Result<std::unique_ptr<LocalCluster>> LocalCluster::Start(LocalClusterOptions options) {
  std::unique_ptr<LocalCluster> c(new LocalCluster(std::move(options)));
  std::random_device rd;
  c->root_ = (fs::temp_directory_path() / ("ringkv-cluster-" + std::to_string(rd()))).string();
  fs::create_directories(c->root_);
  for (int i = 0; i < c->options_.nodes; ++i) {
    Node n;
    n.id = "node" + std::to_string(i + 1);
    std::string ip = "127.0.0." + std::to_string(i + 1);
    n.address = ip + ":" + std::to_string(FreePort(ip));
    n.admin = ip + ":" + std::to_string(FreePort(ip));
    n.data_dir = c->root_ + "/" + n.id;
    c->nodes_.push_back(n);
  }
  for (int i = 0; i < c->size(); ++i) RINGKV_TRY(c->Launch(i));
  return c;
}

LocalCluster::~LocalCluster() {
  for (auto& n : nodes_) {
    if (n.pid > 0) {
      ::kill(n.pid, SIGCONT);
      ::kill(n.pid, SIGKILL);
      (void)Reap(n.pid, std::chrono::seconds(5));
      n.pid = -1;
    }
  }
  std::error_code ec;
  if (!root_.empty()) fs::remove_all(root_, ec);
}

std::string LocalCluster::seeds() const {
  std::string out;
  for (const auto& n : nodes_) out += (out.empty() ? "" : ",") + n.address;
  return out;
}

int LocalCluster::IndexOf(const std::string& node_id) const {
  for (int i = 0; i < size(); ++i) {
    if (nodes_[i].id == node_id) return i;
  }
  return -1;
}

std::vector<std::string> LocalCluster::Args(int i) const {
  std::string members;
  for (size_t j = 0; j < nodes_.size(); ++j) {
    const Node& n = nodes_[j];
    if (!n.join.empty()) continue;
    members += (members.empty() ? "" : ",") + n.id + "@" + n.address;
    if (j < options_.dcs.size()) members += "/" + options_.dcs[j];
  }
  std::vector<std::string> args = {RINGKV_KVNODE_PATH,
                                   "--id",
                                   nodes_[i].id,
                                   "--listen",
                                   nodes_[i].address,
                                   "--admin",
                                   nodes_[i].admin,
                                   "--data",
                                   nodes_[i].data_dir,
                                   nodes_[i].join.empty() ? "--seeds" : "--join",
                                   nodes_[i].join.empty() ? members : nodes_[i].join,
                                   "--cluster-name",
                                   options_.cluster_name,
                                   "--durability",
                                   options_.durability,
                                   "--memtable-mb",
                                   std::to_string(options_.memtable_mb),
                                   "--log-level",
                                   options_.log_level};
  if (static_cast<size_t>(i) < options_.dcs.size()) {
    args.push_back("--dc");
    args.push_back(options_.dcs[i]);
  }
  const auto& own = nodes_[i].flags;
  for (size_t f = 0; f < options_.extra_flags.size(); ++f) {
    const std::string& flag = options_.extra_flags[f];
    bool overridden = flag.rfind("--", 0) == 0 && std::find(own.begin(), own.end(), flag) != own.end();
    if (!overridden) {
      args.push_back(flag);
    } else if (f + 1 < options_.extra_flags.size() && options_.extra_flags[f + 1].rfind("--", 0) != 0) {
      ++f;  // and its value
    }
  }
  args.insert(args.end(), own.begin(), own.end());
  return args;
}

Status LocalCluster::Launch(int i) {
  Node& n = nodes_[i];
  std::vector<std::string> args = Args(i);
  // Everything the child needs is made before fork: the child of a threaded process must
  // not allocate (under ASan a child that did hung now and then, holding the allocator's
  // lock a client thread had at the fork, and the node never started).
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string log = root_ + "/" + n.id + ".log";
  int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    int error = errno;
    return Status::FromErrno("open " + log, error);
  }
  // Each launch is marked, so a log shows which start printed what.
  std::string banner = "--- launch " + std::to_string(++n.launches) + " of " + n.id + "\n";
  (void)!::write(log_fd, banner.data(), banner.size());
  pid_t pid = ::fork();
  if (pid < 0) {
    int error = errno;
    ::close(log_fd);
    return Status::FromErrno("fork", error);
  }
  if (pid == 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    // Nothing else of the test's goes along: a node orphaned by a killed test must not keep
    // its sockets, or a lock the test ran under (flock), open.
    ::close_range(3, ~0U, 0);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  n.pid = pid;
  return WaitReady(i, std::chrono::seconds(20));
}

Status LocalCluster::WaitReady(int i, std::chrono::milliseconds limit) {
  Node& n = nodes_[i];
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(n.pid, &status, WNOHANG) == n.pid) {
      n.pid = -1;
      return Status::Aborted("kvnode " + n.id + " exited while starting; log:\n" + kvnode_log(i));
    }
    if (CanConnect(n.address)) return Status::OK();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status::TimedOut("kvnode " + n.id + " not ready on " + n.address + "; log:\n" + kvnode_log(i));
}

Status LocalCluster::Kill(int i) {
  Node& n = nodes_[i];
  if (n.pid <= 0) return Status::OK();
  ::kill(n.pid, SIGCONT);
  ::kill(n.pid, SIGKILL);
  Status s = Reap(n.pid, std::chrono::seconds(5));
  n.pid = -1;
  return s;
}

Status LocalCluster::Stop(int i) {
  Node& n = nodes_[i];
  if (n.pid <= 0) return Status::OK();
  ::kill(n.pid, SIGTERM);
  Status s = Reap(n.pid, std::chrono::seconds(20));
  if (!s.ok()) return Kill(i);
  n.pid = -1;
  return s;
}

Status LocalCluster::StopCleanly(int i) {
  Node& n = nodes_[i];
  if (n.pid <= 0) return Status::InvalidArgument(n.id + " is not running");
  ::kill(n.pid, SIGTERM);
  int status = -1;
  Status s = Reap(n.pid, std::chrono::seconds(20), &status);
  if (!s.ok()) {
    (void)Kill(i);
    return Status::TimedOut(n.id + " did not exit within 20 s of SIGTERM");
  }
  n.pid = -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::OK();
  std::string how = WIFEXITED(status)     ? "exited with status " + std::to_string(WEXITSTATUS(status))
                    : WIFSIGNALED(status) ? "died of signal " + std::to_string(WTERMSIG(status))
                                          : "ended with wait status " + std::to_string(status);
  return Status::Aborted(n.id + " " + how + " after SIGTERM");
}

Status LocalCluster::Pause(int i) {
  return ::kill(nodes_[i].pid, SIGSTOP) == 0 ? Status::OK() : Status::FromErrno("SIGSTOP", errno);
}

Status LocalCluster::Resume(int i) {
  return ::kill(nodes_[i].pid, SIGCONT) == 0 ? Status::OK() : Status::FromErrno("SIGCONT", errno);
}

Status LocalCluster::Restart(int i) {
  if (nodes_[i].pid > 0) RINGKV_TRY(Kill(i));
  return Launch(i);
}

Status LocalCluster::Wipe(int i) {
  if (nodes_[i].pid > 0) return Status::InvalidArgument("stop the node before wiping its data");
  std::error_code ec;
  fs::remove_all(nodes_[i].data_dir, ec);
  return ec ? Status::IOError("wipe " + nodes_[i].data_dir + ": " + ec.message()) : Status::OK();
}

Result<int> LocalCluster::AddJoiningNode(std::vector<std::string> flags) {
  int i = size();
  Node n;
  n.id = "node" + std::to_string(i + 1);
  std::string ip = "127.0.0." + std::to_string(i + 1);
  n.address = ip + ":" + std::to_string(FreePort(ip));
  n.admin = ip + ":" + std::to_string(FreePort(ip));
  n.data_dir = root_ + "/" + n.id;
  n.join = nodes_[0].address;
  n.flags = std::move(flags);
  nodes_.push_back(n);
  RINGKV_TRY(Launch(i));
  return i;
}

Status LocalCluster::WaitExit(int i, std::chrono::milliseconds limit) {
  Node& n = nodes_[i];
  if (n.pid <= 0) return Status::OK();
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(n.pid, &status, WNOHANG) == n.pid) {
      n.pid = -1;
      return Status::OK();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::TimedOut("kvnode " + n.id + " still running; log:\n" + kvnode_log(i));
}

Result<std::unique_ptr<Client>> LocalCluster::Connect(ClientOptions options) const {
  if (options.seeds.empty()) {
    for (const auto& n : nodes_) options.seeds.push_back(n.address);
  }
  if (options.cluster_name.empty()) options.cluster_name = options_.cluster_name;
  return Client::Connect(std::move(options));
}

std::string LocalCluster::kvnode_log(int i) const {
  std::ifstream in(root_ + "/" + nodes_[i].id + ".log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<RepairReport> RepairWhenSettled(Client& client, const std::string& node, std::chrono::milliseconds limit) {
  Result<RepairReport> report = Status::Busy("not run");
  Eventually(limit, [&] {
    report = client.Repair(node);
    return report.ok() || report.status().code() != StatusCode::kBusy;
  });
  return report;
}

CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    r.output = "popen failed: " + std::string(std::strerror(errno));
    return r;
  }
  std::array<char, 4096> buf{};
  while (::fgets(buf.data(), buf.size(), p) != nullptr) r.output += buf.data();
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool AllMembersUp(Client& client) {
  (void)client.RefreshRing();
  auto members = client.Members();
  return std::all_of(members.begin(), members.end(), [](const RingMember& m) { return m.status == "up"; });
}

double StatValue(Client& client, const std::string& node, const std::string& name) {
  auto stats = client.NodeStats(node);
  if (!stats.ok()) return -1;
  for (const auto& s : *stats) {
    if (s.name == name) return s.value;
  }
  return 0;
}

double QueuedHints(Client& client, const LocalCluster& cluster) {
  double total = 0;
  for (int i = 0; i < cluster.size(); ++i) {
    if (cluster.IsRunning(i)) total += std::max(0.0, StatValue(client, cluster.id(i), "hints_queued_total"));
  }
  return total;
}

Result<std::string> CompactNode(const LocalCluster& cluster, int i, std::chrono::milliseconds limit) {
  auto reply = HttpRequest(cluster.admin_address(i), "GET", "/test/compact", {}, limit);
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return Status::IOError("admin /test/compact of " + cluster.id(i) + " answered " + std::to_string(reply->status) +
                           ": " + reply->body);
  }
  return std::move(reply->body);
}

namespace {

// The node behind a connection's Gate, logged in without a credential (test clusters
// that require one are reached through the SDK instead).
wire::Node::Client OpenNode(capnp::EzRpcClient& rpc) {
  return rpc.getMain<wire::Gate>().loginRequest().send().getNode();
}

}  // namespace

Result<SiblingSet> ReadReplicaVersions(const std::string& address, const std::string& key) {
  capnp::EzRpcClient rpc(address);
  auto req = OpenNode(rpc).getRequest();
  wire::FillRequestHeader(req.initHeader(), "");
  req.initKeys(1).set(0, capnp::Data::Reader(reinterpret_cast<const kj::byte*>(key.data()), key.size()));
  auto resp = req.send().wait(rpc.getWaitScope());
  auto result = resp.getResults()[0];
  RINGKV_TRY(wire::FromWire(result.getError()));
  return wire::FromWire(result.getValue());
}

Result<std::vector<std::string>> ReadReplicaDirectly(const std::string& address, const std::string& key) {
  RINGKV_ASSIGN(SiblingSet set, ReadReplicaVersions(address, key));
  std::vector<std::string> values;
  for (const auto& s : set.siblings()) {
    if (!s.tombstone) values.push_back(s.value);
  }
  if (values.empty()) return Status::NotFound("only tombstones");
  return values;
}

Result<std::vector<Result<std::vector<std::string>>>> ReadReplicaBatch(const std::string& address,
                                                                       const std::vector<std::string>& keys) {
  constexpr size_t kBatch = 1000;
  capnp::EzRpcClient rpc(address);
  auto node = OpenNode(rpc);
  std::vector<Result<std::vector<std::string>>> out;
  for (size_t start = 0; start < keys.size(); start += kBatch) {
    size_t n = std::min(kBatch, keys.size() - start);
    auto req = node.getRequest();
    wire::FillRequestHeader(req.initHeader(), "");
    auto list = req.initKeys(static_cast<unsigned>(n));
    for (unsigned i = 0; i < n; ++i) {
      const std::string& k = keys[start + i];
      list.set(i, capnp::Data::Reader(reinterpret_cast<const kj::byte*>(k.data()), k.size()));
    }
    auto resp = req.send().wait(rpc.getWaitScope());
    for (auto result : resp.getResults()) {
      Status st = wire::FromWire(result.getError());
      if (!st.ok()) {
        out.emplace_back(st);
        continue;
      }
      auto set = wire::FromWire(result.getValue());
      if (!set.ok()) {
        out.emplace_back(set.status());
        continue;
      }
      std::vector<std::string> values;
      for (const auto& s : set->siblings()) {
        if (!s.tombstone) values.push_back(s.value);
      }
      if (values.empty())
        out.emplace_back(Status::NotFound("only tombstones"));
      else
        out.emplace_back(std::move(values));
    }
  }
  return out;
}

}  // namespace ringkv::testing
