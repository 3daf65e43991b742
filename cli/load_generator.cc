#include "cli/load_generator.h"

#include <algorithm>
#include <cmath>

namespace ringkv::cli {
namespace {

using Clock = std::chrono::steady_clock;

LatencySummary Summarize(std::vector<double> ms, uint64_t errors) {
  LatencySummary s;
  std::sort(ms.begin(), ms.end());
  s.sorted_ms = std::move(ms);
  s.count = s.sorted_ms.size();
  s.errors = errors;
  s.p50 = s.Percentile(0.50);
  s.p90 = s.Percentile(0.90);
  s.p99 = s.Percentile(0.99);
  s.p999 = s.Percentile(0.999);
  s.max = s.sorted_ms.empty() ? 0 : s.sorted_ms.back();
  return s;
}

}  // namespace

Context KeyContexts::Get(const std::string& key) const {
  MutexLock lock(&mu_);
  auto it = by_key_.find(key);
  return it == by_key_.end() ? Context() : it->second;
}

void KeyContexts::Set(const std::string& key, Context context) {
  MutexLock lock(&mu_);
  by_key_[key] = std::move(context);
}

double LatencySummary::Percentile(double p) const {
  if (sorted_ms.empty()) return 0;
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted_ms.size())));
  return sorted_ms[std::clamp<size_t>(rank, 1, sorted_ms.size()) - 1];
}

LoadGenerator::LoadGenerator(Client& client, LoadSpec spec)
    : client_(client),
      spec_(std::move(spec)),
      value_(spec_.value_size, 'v'),
      contexts_(spec_.contexts ? spec_.contexts : std::make_shared<KeyContexts>()) {
  get_ms_.reserve(spec_.ops * static_cast<uint64_t>(100 - spec_.put_percent) / 100 + 16);
  put_ms_.reserve(spec_.ops * static_cast<uint64_t>(spec_.put_percent) / 100 + 16);
}

LoadReport LoadGenerator::Run(const std::function<void(uint64_t)>& progress, std::chrono::milliseconds every) {
  auto start = Clock::now();
  auto finished = done_.get_future();
  if (spec_.ops == 0) done_.set_value();
  for (int i = 0; i < spec_.concurrency; ++i) IssueNext();
  while (finished.wait_for(every) != std::future_status::ready) {
    if (progress) progress(completed_.load());
  }
  if (progress) progress(completed_.load());
  LoadReport report;
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  report.ops_per_sec = report.seconds > 0 ? static_cast<double>(spec_.ops) / report.seconds : 0;
  std::lock_guard lock(mu_);
  std::vector<double> all = get_ms_;
  all.insert(all.end(), put_ms_.begin(), put_ms_.end());
  report.all = Summarize(std::move(all), get_errors_ + put_errors_);
  report.gets = Summarize(std::move(get_ms_), get_errors_);
  report.puts = Summarize(std::move(put_ms_), put_errors_);
  report.first_error = first_error_;
  report.multi_version_gets = multi_version_gets_;
  return report;
}

void LoadGenerator::IssueNext() {  // on the caller first, then on the client's loop thread
  if (issued_.fetch_add(1) >= spec_.ops) return;
  Context context;
  uint64_t k = 0;
  bool put = false;
  {
    std::lock_guard lock(mu_);
    k = rng_() % spec_.keys;
    put = static_cast<int>(rng_() % 100) < spec_.put_percent;
  }
  std::string key = spec_.key_prefix + std::to_string(k);
  if (put) context = contexts_->Get(key);
  auto start = Clock::now();
  if (put) {
    client_.PutAsync(key, value_, context, spec_.request, [this, start, key](Result<PutResult> r) {
      Finish(true, start, key, r.status(), r.ok() ? &r->context : nullptr);
    });
  } else {
    client_.GetAsync(key, spec_.request, [this, start, key](Result<GetResult> r) {
      // A key not written yet is an answer, not an error.
      Status s = r.status().code() == StatusCode::kNotFound ? Status::OK() : r.status();
      Finish(false, start, key, s, r.ok() ? &r->context : nullptr, r.ok() && r->siblings.size() > 1);
    });
  }
}

void LoadGenerator::Finish(bool put, Clock::time_point start, const std::string& key, const Status& status,
                           Context* seen, bool multi_version) {
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  {
    std::lock_guard lock(mu_);
    (put ? put_ms_ : get_ms_).push_back(ms);
    if (!status.ok()) {
      ++(put ? put_errors_ : get_errors_);
      if (first_error_.empty()) first_error_ = status.ToString();
    }
    if (multi_version) ++multi_version_gets_;
  }
  if (seen != nullptr) contexts_->Set(key, std::move(*seen));
  if (completed_.fetch_add(1) + 1 == spec_.ops)
    done_.set_value();
  else
    IssueNext();
}

Result<uint64_t> ParseCount(const std::string& text) {
  if (text.empty()) return Status::InvalidArgument("empty count");
  uint64_t scale = 1;
  std::string digits = text;
  switch (text.back()) {
    case 'k':
    case 'K':
      scale = 1000;
      digits.pop_back();
      break;
    case 'm':
    case 'M':
      scale = 1000000;
      digits.pop_back();
      break;
    default:
      break;
  }
  if (digits.empty() || digits.size() > 12 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) {
    return Status::InvalidArgument("'" + text + "' is not a count (like 1000, 250k or 1M)");
  }
  return std::stoull(digits) * scale;
}

Result<int> ParseMix(const std::string& text) {
  auto colon = text.find(':');
  auto bad = Status::InvalidArgument("--mix '" + text + "' must be PUT:GET percentages adding to 100, like 50:50");
  if (colon == std::string::npos) return bad;
  std::string put = text.substr(0, colon), get = text.substr(colon + 1);
  auto number = [](const std::string& s) {
    return !s.empty() && s.size() <= 3 && std::all_of(s.begin(), s.end(), ::isdigit) ? std::stoi(s) : -1;
  };
  int p = number(put), g = number(get);
  if (p < 0 || g < 0 || p + g != 100) return bad;
  return p;
}

}  // namespace ringkv::cli
