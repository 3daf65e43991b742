#include "cli/autoscale_command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <charconv>
#include <ctime>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "cli/admin_post.h"
#include "cli/command_template.h"
#include "cli/node_load.h"
#include "common/comma_list.h"

namespace ringkv::cli {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

// "500ms", "30s", "5m", "1h" -> milliseconds.
Result<milliseconds> ParseDuration(const std::string& flag, const std::string& text) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  std::string_view unit(end, text.data() + text.size() - end);
  int64_t scale = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60'000 : unit == "h" ? 3'600'000 : 0;
  if (ec != std::errc() || end == text.data() || scale == 0 || n < 0 || n > 86'400'000 / scale * 7) {
    return Status::InvalidArgument(flag + " must be a duration like 500ms, 30s, 5m or 1h, not '" + text + "'");
  }
  return milliseconds(n * scale);
}

int64_t UnixMs() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string IsoTime(int64_t unix_ms) {
  std::time_t t = unix_ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Runs `command` with /bin/sh, its output on stderr, for at most `limit` (then its process
// group is killed). The exit status, or an error saying why there is none.
Result<int> RunShell(const std::string& command, milliseconds limit) {
  pid_t pid = fork();
  if (pid < 0) return Status::IOError("fork failed");
  if (pid == 0) {
    setpgid(0, 0);
    dup2(STDERR_FILENO, STDOUT_FILENO);  // stdout stays the autoscaler's log (--json)
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return Status::IOError("the command was killed by signal " + std::to_string(WTERMSIG(status)));
    }
    if (done < 0) return Status::IOError("waitpid failed");
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      return Status::TimedOut("the command did not finish within " + std::to_string(limit.count()) + " ms");
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
}

class Autoscaler {
 public:
  Autoscaler(Client& client, const AutoscaleFlags& flags, AutoscaleThresholds thresholds, milliseconds interval,
             milliseconds change_timeout, std::string cluster_name, size_t replication_factor, const Output& out)
      : client_(client),
        flags_(flags),
        policy_(thresholds),
        interval_(interval),
        change_timeout_(change_timeout),
        cluster_name_(std::move(cluster_name)),
        replication_factor_(replication_factor),
        out_(out) {}

  int Run();

 private:
  struct Pending {
    ScaleAction action;
    std::string node;
    std::string address;  // kRemove: the node's address, for --decommission-cmd
    AutoscaleClock::time_point since;
  };

  // One pass: read, decide, act. Returns false when --once is done.
  bool Step();
  std::optional<LoadSample> Sample(const std::vector<RingMember>& members, std::string* unfinished);
  void TrackPending(const std::vector<RingMember>& members, AutoscaleClock::time_point now);
  void Act(const ScaleDecision& d, const std::vector<RingMember>& members, AutoscaleClock::time_point now);
  void Add(const std::vector<RingMember>& members, AutoscaleClock::time_point now);
  void Remove(const std::string& node, const std::vector<RingMember>& members, AutoscaleClock::time_point now);
  // Prints, counts and reports one event (a decision, or a change's end).
  void Log(const std::string& action, const std::string& node, const std::string& reason);

  Client& client_;
  const AutoscaleFlags& flags_;
  AutoscalePolicy policy_;
  const milliseconds interval_, change_timeout_;
  const std::string cluster_name_;
  const size_t replication_factor_;
  const Output& out_;

  std::map<std::string, StatsReading> last_reading_;
  AutoscaleClock::time_point last_read_at_{};
  uint64_t ring_version_ = 0;
  std::optional<AutoscaleClock::time_point> last_change_;
  std::optional<Pending> pending_;
  std::map<std::string, uint64_t> counts_;  // events by action
  std::string last_reported_none_;          // the kind of the last "none" posted
  bool decided_ = false;                    // --once: a decision past "observing" was made
  bool failed_ = false;
};

int Autoscaler::Run() {
  for (uint64_t i = 0; flags_.max_iterations == 0 || i < flags_.max_iterations; ++i) {
    auto started = std::chrono::steady_clock::now();
    if (!Step()) break;
    std::this_thread::sleep_until(started + interval_);  // pacing between readings
  }
  if (!out_.json) {
    *out_.out << "autoscale: stopped;";
    for (const auto& [action, n] : counts_) *out_.out << " " << action << "=" << n;
    *out_.out << "\n";
  }
  return flags_.once && failed_ ? kExitError : kExitOk;
}

bool Autoscaler::Step() {
  auto now = AutoscaleClock::now();
  (void)client_.RefreshRing();
  std::vector<RingMember> members = client_.Members();
  uint64_t version = client_.RingVersion();
  if (ring_version_ != 0 && version != ring_version_) last_change_ = now;  // anyone's change restarts the clock
  ring_version_ = version;
  TrackPending(members, now);

  std::string unfinished;
  if (pending_) {
    auto age = std::chrono::duration_cast<milliseconds>(now - pending_->since).count() / 1000;
    unfinished = "waiting for " + pending_->node + (pending_->action == ScaleAction::kAdd ? " to join" : " to leave") +
                 " (" + std::to_string(age) + " s)";
  }
  for (const auto& m : members) {
    if (!unfinished.empty()) break;
    if (m.state != "normal")
      unfinished = m.id + " is " + m.state;
    else if (m.status != "up")
      unfinished = m.id + " is " + m.status;
  }
  auto sample = Sample(members, &unfinished);
  if (sample) policy_.Observe(*sample);

  ClusterState state;
  state.nodes = members.size();
  state.replication_factor = replication_factor_;
  state.unfinished = unfinished;
  state.last_change = last_change_;
  ScaleDecision d = policy_.Decide(state, now);
  bool observing = d.reason.rfind("observing", 0) == 0;
  Log(ScaleActionName(d.action), d.node, d.reason);
  if (d.action != ScaleAction::kNone) Act(d, members, now);
  if (flags_.once) {
    if (!observing && !unfinished.starts_with("waiting for")) decided_ = true;
    if (decided_ && !pending_) return false;
  }
  return true;
}

std::optional<LoadSample> Autoscaler::Sample(const std::vector<RingMember>& members, std::string* unfinished) {
  auto now = AutoscaleClock::now();
  double seconds = std::chrono::duration<double>(now - last_read_at_).count();
  std::map<std::string, StatsReading> readings;
  for (const auto& m : members) {
    if (m.status != "up") continue;
    auto stats = client_.NodeStats(m.id);
    if (!stats.ok()) {
      if (unfinished->empty()) *unfinished = "cannot read " + m.id + "'s metrics: " + stats.status().ToString();
      continue;
    }
    StatsReading r;
    for (const auto& s : *stats) r[s.name] = s.value;
    if (unfinished->empty() && RepairsRunning(r) > 0) *unfinished = "a repair is running on " + m.id;
    readings[m.id] = std::move(r);
  }
  std::optional<LoadSample> sample;
  if (!last_reading_.empty() && seconds > 0) {
    LoadSample s{now, {}};
    for (const auto& [id, r] : readings) {
      auto before = last_reading_.find(id);
      if (before != last_reading_.end()) s.nodes.push_back(LoadBetween(id, before->second, r, seconds));
    }
    if (!s.nodes.empty()) sample = std::move(s);
  }
  last_reading_ = std::move(readings);
  last_read_at_ = now;
  return sample;
}

void Autoscaler::TrackPending(const std::vector<RingMember>& members, AutoscaleClock::time_point now) {
  if (!pending_) return;
  const RingMember* m = nullptr;
  for (const auto& x : members) {
    if (x.id == pending_->node) m = &x;
  }
  bool finished =
      pending_->action == ScaleAction::kAdd ? (m && m->state == "normal" && m->status == "up") : m == nullptr;
  auto took = std::chrono::duration_cast<milliseconds>(now - pending_->since);
  if (finished) {
    std::string what = pending_->action == ScaleAction::kAdd ? "joined" : "left";
    if (pending_->action == ScaleAction::kRemove && !flags_.decommission_cmd.empty()) {
      auto cmd = ExpandCommand(flags_.decommission_cmd, {{"node_id", pending_->node},
                                                         {"address", pending_->address},
                                                         {"seed", members.empty() ? "" : members[0].address},
                                                         {"seeds", ""},
                                                         {"cluster_name", cluster_name_}});
      auto rc = cmd.ok() ? RunShell(*cmd, change_timeout_) : Result<int>(cmd.status());
      if (!rc.ok() || *rc != 0) {
        Log("failed", pending_->node,
            "left the ring, but the decommission command failed: " +
                (rc.ok() ? "exit status " + std::to_string(*rc) : rc.status().ToString()));
        failed_ = true;
        pending_.reset();
        last_change_ = now;
        return;
      }
    }
    Log("done", pending_->node, what + " in " + std::to_string(took.count() / 1000.0).substr(0, 5) + " s");
    pending_.reset();
    last_change_ = now;
  } else if (took >= change_timeout_) {
    Log("failed", pending_->node,
        std::string(pending_->action == ScaleAction::kAdd ? "did not join" : "did not leave") + " within " +
            std::to_string(change_timeout_.count() / 1000) + " s (--change-timeout)");
    failed_ = true;
    pending_.reset();
    last_change_ = now;
  }
}

void Autoscaler::Act(const ScaleDecision& d, const std::vector<RingMember>& members, AutoscaleClock::time_point now) {
  if (d.action == ScaleAction::kAdd) Add(members, now);
  if (d.action == ScaleAction::kRemove) Remove(d.node, members, now);
}

void Autoscaler::Add(const std::vector<RingMember>& members, AutoscaleClock::time_point now) {
  // A fresh id: the prefix and the Unix time in seconds (one change at a time, each longer than a second).
  std::string id = flags_.node_prefix + std::to_string(UnixMs() / 1000);
  std::string seeds, seed;
  for (const auto& m : members) {
    if (m.status != "up") continue;
    if (seed.empty()) seed = m.address;
    seeds += (seeds.empty() ? "" : ",") + m.address;
  }
  auto cmd = ExpandCommand(
      flags_.provision_cmd,
      {{"node_id", id}, {"address", ""}, {"seed", seed}, {"seeds", seeds}, {"cluster_name", cluster_name_}});
  auto rc = cmd.ok() ? RunShell(*cmd, change_timeout_) : Result<int>(cmd.status());
  if (!rc.ok() || *rc != 0) {
    Log("failed", id,
        "the provision command failed: " + (rc.ok() ? "exit status " + std::to_string(*rc) : rc.status().ToString()));
    failed_ = true;
    last_change_ = now;  // the cool-down holds off a retry storm
    return;
  }
  pending_ = Pending{ScaleAction::kAdd, id, "", now};
}

void Autoscaler::Remove(const std::string& node, const std::vector<RingMember>& members,
                        AutoscaleClock::time_point now) {
  std::string address;
  for (const auto& m : members) {
    if (m.id == node) address = m.address;
  }
  Status s = client_.Decommission(node);
  if (!s.ok()) {
    Log("failed", node, "the decommission was refused: " + s.ToString());
    failed_ = true;
    last_change_ = now;
    return;
  }
  pending_ = Pending{ScaleAction::kRemove, node, address, now};
}

void Autoscaler::Log(const std::string& action, const std::string& node, const std::string& reason) {
  ++counts_[action];
  int64_t at = UnixMs();
  json::object counters;
  for (const auto& [a, n] : counts_) counters[a] = n;
  if (out_.json) {
    *out_.out
        << json::serialize(json::object{
               {"time", IsoTime(at)}, {"action", action}, {"node", node}, {"reason", reason}, {"counts", counters}})
        << std::endl;
  } else {
    *out_.out << IsoTime(at) << " " << action << (node.empty() ? "" : " " + node) << ": " << reason << std::endl;
  }
  if (flags_.report_to.empty()) return;
  if (action == "none") {  // post a "none" only when its kind (the words before a ':' or a figure) changes
    std::string kind = reason.substr(0, reason.find_first_of(":0123456789"));
    if (kind == last_reported_none_) return;
    last_reported_none_ = kind;
  } else {
    last_reported_none_.clear();
  }
  std::string body =
      json::serialize(json::object{{"action", action}, {"node", node}, {"reason", reason}, {"time_ms", at}});
  for (const auto& address : SplitCommaList(flags_.report_to)) {
    Status s = PostToAdmin(address, "/v1/autoscale", body, flags_.report_token);
    if (!s.ok()) *out_.err << "autoscale: could not report to " << address << ": " << s.ToString() << "\n";
  }
}

}  // namespace

void AddAutoscaleFlags(CLI::App& app, AutoscaleFlags* f) {
  const char* g = "autoscale";
  app.add_option("--scale-up-ops", f->up_ops, "autoscale: add a node above this mean ops/s per node")->group(g);
  app.add_option("--scale-down-ops", f->down_ops, "autoscale: remove one below this mean ops/s per node")->group(g);
  app.add_option("--scale-up-p99-ms", f->up_p99_ms, "autoscale: add above this worst-node p99 (0: off)")->group(g);
  app.add_option("--scale-down-p99-ms", f->down_p99_ms, "autoscale: remove only below this p99 (0: off)")->group(g);
  app.add_option("--scale-up-disk-mb", f->up_disk_mb, "autoscale: add above this disk per node (0: off)")->group(g);
  app.add_option("--scale-down-max-hints", f->down_max_hints, "autoscale: remove only with at most these hints queued")
      ->group(g);
  app.add_option("--window", f->window, "autoscale: how long load must be sustained (60s)")->group(g);
  app.add_option("--cooldown", f->cooldown, "autoscale: no change within this of the last (5m)")->group(g);
  app.add_option("--interval", f->interval, "autoscale: time between readings (5s)")->group(g);
  app.add_option("--change-timeout", f->change_timeout, "autoscale: a change not done by then failed (5m)")->group(g);
  app.add_option("--min-nodes", f->min_nodes, "autoscale: never fewer (N is always the floor)")->group(g);
  app.add_option("--max-nodes", f->max_nodes, "autoscale: never more (0: no ceiling)")->group(g);
  app.add_option("--provision-cmd", f->provision_cmd,
                 "autoscale: starts a node: {node_id} {seed} {seeds} {cluster_name} (scripts/provision-local-node.sh)")
      ->group(g);
  app.add_option("--decommission-cmd", f->decommission_cmd,
                 "autoscale: run once a decommissioned node left: {node_id} {address} {cluster_name}")
      ->group(g);
  app.add_option("--node-prefix", f->node_prefix, "autoscale: ids of added nodes: PREFIX<unix seconds>")->group(g);
  app.add_option("--report-to", f->report_to,
                 "autoscale, verify: admin host:port list to post decisions and results to (dashboard, /metrics)")
      ->group(g);
  app.add_option("--report-token", f->report_token, "autoscale, verify: Bearer token for those admin endpoints")
      ->group(g);
  app.add_flag("--once", f->once, "autoscale: decide once the window is covered, finish that change, exit")->group(g);
  app.add_option("--max-iterations", f->max_iterations, "autoscale: stop after this many readings (0: never)")
      ->group(g);
}

int RunAutoscale(Client& client, const AutoscaleFlags& flags, const std::string& cluster_name,
                 size_t replication_factor, const Output& out) {
  AutoscaleThresholds t;
  t.up_ops_per_node = flags.up_ops;
  t.down_ops_per_node = flags.down_ops;
  t.up_p99_ms = flags.up_p99_ms;
  t.down_p99_ms = flags.down_p99_ms;
  t.up_disk_bytes = flags.up_disk_mb * 1024 * 1024;
  t.down_max_hints = flags.down_max_hints;
  t.min_nodes = flags.min_nodes;
  t.max_nodes = flags.max_nodes;
  auto window = ParseDuration("--window", flags.window);
  auto cooldown = ParseDuration("--cooldown", flags.cooldown);
  auto interval = ParseDuration("--interval", flags.interval);
  auto change_timeout = ParseDuration("--change-timeout", flags.change_timeout);
  for (const auto* r : {&window, &cooldown, &interval, &change_timeout}) {
    if (!r->ok()) return Fail(out, r->status());
  }
  t.window = *window;
  t.cooldown = *cooldown;
  if (Status s = t.Validate(); !s.ok()) return Fail(out, s);
  if (interval->count() <= 0) return Usage(out, "--interval must be positive");
  if (flags.provision_cmd.empty()) {
    return Usage(out,
                 "autoscale needs --provision-cmd (e.g. 'scripts/provision-local-node.sh --id {node_id} "
                 "--join {seed}'); see docs/operations.md, Automatic scaling");
  }
  std::map<std::string, std::string> probe{
      {"node_id", "x"}, {"address", "x"}, {"seed", "x"}, {"seeds", "x"}, {"cluster_name", "x"}};
  if (auto c = ExpandCommand(flags.provision_cmd, probe); !c.ok()) return Fail(out, c.status());
  if (auto c = ExpandCommand(flags.decommission_cmd, probe); !c.ok()) return Fail(out, c.status());
  Autoscaler a(client, flags, t, *interval, *change_timeout, cluster_name, replication_factor, out);
  return a.Run();
}

}  // namespace ringkv::cli
