#include "cli/verify_command.h"

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "cli/admin_post.h"
#include "cli/consistency_checker.h"
#include "cli/load_generator.h"
#include "cli/verify_report.h"
#include "common/comma_list.h"

namespace ringkv::cli {
namespace {

using consistency::Clock;
using consistency::History;
using consistency::Op;
using std::chrono::milliseconds;

constexpr milliseconds kMaxDuration{10 * 60 * 1000};
constexpr uint64_t kMaxKeys = 10'000;
constexpr int kMaxConcurrency = 64;
constexpr milliseconds kNamespaceWait{15'000};  // for gossip to spread a new namespace

struct Plan {
  milliseconds duration{0};
  uint64_t max_ops = 0;  // 0: no cap
  uint64_t keys = 0;
};

Result<Plan> CheckFlags(const VerifyFlags& flags) {
  Plan plan;
  auto duration = ParseTtl(flags.duration);
  if (!duration.ok() || *duration > kMaxDuration) {
    return Status::InvalidArgument("--duration must be a duration from 1ms to 10m (5s, 500ms), not '" + flags.duration +
                                   "'");
  }
  plan.duration = *duration;
  if (!flags.ops.empty()) {
    auto ops = ParseCount(flags.ops);
    if (!ops.ok() || *ops < 2)
      return Status::InvalidArgument("--ops must be a count of at least 2, not '" + flags.ops + "'");
    plan.max_ops = *ops;
  }
  auto keys = ParseCount(flags.keys);
  if (!keys.ok() || *keys < 1 || *keys > kMaxKeys) {
    return Status::InvalidArgument("--keys must be 1 to 10000 for kv verify, not '" + flags.keys + "'");
  }
  plan.keys = *keys;
  if (flags.concurrency < 1 || flags.concurrency > kMaxConcurrency) {
    return Status::InvalidArgument("--concurrency must be 1 to 64 for kv verify, not " +
                                   std::to_string(flags.concurrency));
  }
  if (Status s = ValidateNamespaceName(flags.ns); !s.ok()) return s;
  if (flags.ns == kDefaultNamespace) {
    return Status::InvalidArgument("kv verify runs in a namespace of its own, not in 'default' (--ns)");
  }
  return plan;
}

// Whether every live member lists `ns`.
bool KnownEverywhere(Client& client, const std::string& ns) {
  for (const RingMember& m : client.Members()) {
    if (m.status != "up") continue;
    auto listed = client.ListNamespaces(m.id);
    if (!listed.ok()) return false;
    bool found = false;
    for (const NamespaceInfo& info : *listed) found = found || info.name == ns;
    if (!found) return false;
  }
  return true;
}

// Creates `ns` unless it exists, then waits (bounded) until every live member knows it.
// InvalidArgument for an existing namespace whose settings would make the check wrong.
Status EnsureNamespace(Client& client, const std::string& ns, int replication_factor) {
  auto listed = client.ListNamespaces();
  if (!listed.ok()) return listed.status();
  const NamespaceInfo* existing = nullptr;
  for (const NamespaceInfo& info : *listed) {
    if (info.name == ns) existing = &info;
  }
  if (existing) {
    if (existing->settings.conflict != ConflictMode::kSiblings) {
      return Status::InvalidArgument("namespace " + ns +
                                     " resolves conflicts by last writer wins: concurrent canary writes would be "
                                     "dropped by design; give kv verify a namespace in siblings mode (--ns)");
    }
    if (existing->settings.default_ttl_s != 0) {
      return Status::InvalidArgument("namespace " + ns + " has a default ttl: canary values would expire (--ns)");
    }
  } else {
    NamespaceSettings settings;
    settings.n = replication_factor;
    settings.w = settings.r = replication_factor / 2 + 1;
    settings.tombstone_grace_s = 3600;  // the canaries' tombstones go soon
    Status created = client.CreateNamespace(ns, settings);
    if (!created.ok() && !KnownEverywhere(client, ns)) {
      auto again = client.ListNamespaces();  // another run may have made it meanwhile
      bool made = again.ok() &&
                  std::any_of(again->begin(), again->end(), [&](const NamespaceInfo& info) { return info.name == ns; });
      if (!made) return created.Annotated("; creating kv verify's namespace " + ns);
    }
  }
  auto deadline = std::chrono::steady_clock::now() + kNamespaceWait;
  while (!KnownEverywhere(client, ns)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::TimedOut("namespace " + ns + " did not reach every live member within 15 s");
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  return Status::OK();
}

// The canary workload of one thread: read a random key, put a new unique value with the
// read's context (it replaces what the read saw), until the deadline or the ops budget.
class CanaryClient {
 public:
  CanaryClient(Client& client, int id, const std::vector<std::string>& keys, const RequestOptions& request,
               History& history)
      : client_(client), id_(id), keys_(keys), request_(request), history_(history) {}

  void Run(Clock::time_point deadline, uint64_t max_ops, std::atomic<uint64_t>& issued) {
    std::mt19937 rng(static_cast<unsigned>(id_) * 7919 + 1);
    for (uint64_t n = 0; Clock::now() < deadline; ++n) {
      if (max_ops > 0 && issued.fetch_add(2) + 2 > max_ops) return;
      Op get = Read(keys_[rng() % keys_.size()]);
      Write(get, "c" + std::to_string(id_) + "-" + std::to_string(n));
    }
  }

 private:
  Op Read(const std::string& key) {
    Op op;
    op.kind = Op::kGet;
    op.client = id_;
    op.key = key;
    op.start = Clock::now();
    auto got = client_.Get(key, request_);
    op.end = Clock::now();
    op.ok = got.ok();
    if (got.ok()) {
      op.values = got->values;
      op.context = got->context;
    } else {
      op.error = got.status().ToString();
    }
    history_.Add(op);
    return op;
  }

  void Write(const Op& read, std::string value) {
    Op op;
    op.kind = Op::kPut;
    op.client = id_;
    op.key = read.key;
    op.value = std::move(value);
    op.replaced = read.values;
    op.start = Clock::now();
    auto put = client_.Put(op.key, op.value, read.context, request_);
    op.end = Clock::now();
    op.ok = put.ok();
    if (put.ok()) {
      op.context = put->context;
    } else {
      op.error = put.status().ToString();
    }
    history_.Add(std::move(op));
  }

  Client& client_;
  const int id_;
  const std::vector<std::string>& keys_;
  const RequestOptions& request_;
  History& history_;
};

// Every key read at ALL, or at quorum where ALL fails (counted in *at_quorum). An error
// when a key cannot be read at all: without its final state the check would call its
// writes lost.
Result<std::map<std::string, GetResult>> FinalState(Client& client, const std::vector<std::string>& keys,
                                                    const RequestOptions& request, uint64_t* at_quorum) {
  std::map<std::string, GetResult> out;
  for (const std::string& key : keys) {
    RequestOptions all = request;
    all.level = Consistency::kAll;
    all.w.reset();
    all.r.reset();
    auto got = client.Get(key, all);
    if (!got.ok()) {
      RequestOptions quorum = all;
      quorum.level = Consistency::kQuorum;
      got = client.Get(key, quorum);
      if (!got.ok()) {
        return got.status().Annotated("; the final read of canary key " + key + ", at ALL and at quorum");
      }
      ++*at_quorum;
    }
    out[key] = std::move(got).value();
  }
  return out;
}

// Deletes the canary keys that hold anything (values or siblings of a delete), each
// replacing what the final read saw.
void CleanUp(Client& client, const std::map<std::string, GetResult>& final_state, const RequestOptions& request,
             VerifyReport* report) {
  for (const auto& [key, got] : final_state) {
    if (got.context.empty()) continue;
    if (client.Delete(key, got.context, request).ok()) {
      ++report->keys_cleaned;
    } else {
      ++report->keys_left;
    }
  }
}

int64_t UnixMs() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void Report(const VerifyReport& report, const VerifyFlags& flags, const Output& out) {
  std::string body = VerifyJson(report);
  if (out.json) {
    *out.out << body << std::endl;
  } else {
    *out.out << VerifyText(report) << std::flush;
  }
  for (const std::string& address : SplitCommaList(flags.report_to)) {
    Status s = PostToAdmin(address, "/v1/verify", body, flags.report_token);
    if (!s.ok()) *out.err << "verify: could not report to " << address << ": " << s.ToString() << "\n";
  }
}

}  // namespace

int RunVerify(Client& client, const VerifyFlags& flags, int replication_factor, const RequestOptions& request,
              const Output& out) {
  auto plan = CheckFlags(flags);
  if (!plan.ok()) return Fail(out, plan.status());
  if (Status s = EnsureNamespace(client, flags.ns, replication_factor); !s.ok()) return Fail(out, s);

  RequestOptions canary = request;
  canary.ns = flags.ns;
  canary.ttl.reset();
  if (!canary.timeout) canary.timeout = milliseconds(2000);
  std::vector<std::string> keys;
  std::string run = std::to_string(UnixMs());
  for (uint64_t k = 0; k < plan->keys; ++k) keys.push_back("canary-" + run + "-" + std::to_string(k));

  History history;
  std::atomic<uint64_t> issued{0};
  auto began = Clock::now();
  {
    std::vector<CanaryClient> clients;
    for (int c = 0; c < flags.concurrency; ++c) clients.emplace_back(client, c, keys, canary, history);
    std::vector<std::thread> threads;
    for (CanaryClient& c : clients) {
      threads.emplace_back([&c, &plan, &issued, began] { c.Run(began + plan->duration, plan->max_ops, issued); });
    }
    for (std::thread& t : threads) t.join();
  }
  auto ended = Clock::now();

  uint64_t at_quorum = 0;
  auto reads_began = Clock::now();
  auto final_state = FinalState(client, keys, canary, &at_quorum);
  auto reads_ended = Clock::now();
  if (!final_state.ok()) return Fail(out, final_state.status());
  std::vector<Op> ops = history.ops();
  consistency::CheckReport check = consistency::Check(ops, *final_state, reads_began, reads_ended);

  VerifyReport report = MakeVerifyReport(check, ops);
  report.ns = flags.ns;
  report.keys = keys.size();
  report.concurrency = static_cast<size_t>(flags.concurrency);
  report.seconds = std::chrono::duration<double>(ended - began).count();
  report.final_reads_at_quorum = at_quorum;
  CleanUp(client, *final_state, canary, &report);
  report.time_ms = UnixMs();
  if (report.acked_writes == 0) {
    std::string why = ops.empty() ? "no operation ran" : ops.front().error;
    return Fail(out, Status::Unavailable("no canary write was acknowledged, so nothing was checked (" + why + ")"));
  }
  Report(report, flags, out);
  return report.consistent() ? kExitOk : kExitInconsistent;
}

}  // namespace ringkv::cli
