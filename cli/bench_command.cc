#include "cli/bench_command.h"

#include <unistd.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace ringkv::cli {
namespace {

namespace json = boost::json;

// Latency buckets for the histogram and the plot: 4 per decade from 10 µs to 10 s.
std::vector<double> BucketBoundsMs() {
  std::vector<double> bounds;
  for (double decade = 0.01; decade < 10000; decade *= 10) {
    for (double step : {1.0, 1.778, 3.162, 5.623}) bounds.push_back(decade * step);
  }
  bounds.push_back(10000);
  return bounds;
}

std::vector<uint64_t> Histogram(const LatencySummary& s, const std::vector<double>& bounds) {
  std::vector<uint64_t> counts(bounds.size() + 1, 0);
  size_t b = 0;
  for (double ms : s.sorted_ms) {  // sorted: the bucket index only moves forward
    while (b < bounds.size() && ms > bounds[b]) ++b;
    ++counts[b];
  }
  return counts;
}

void ProgressBar(uint64_t done, uint64_t total, std::chrono::steady_clock::time_point start) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int width = 30;
  int filled = total ? static_cast<int>(width * done / total) : width;
  std::fprintf(stderr, "\r[%s%s] %3d%%  %llu/%llu ops  %.0f ops/s ", std::string(filled, '#').c_str(),
               std::string(width - filled, ' ').c_str(), total ? static_cast<int>(100 * done / total) : 100,
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
               secs > 0 ? static_cast<double>(done) / secs : 0.0);
  std::fflush(stderr);
}

json::object SummaryJson(const LatencySummary& s) {
  return {{"count", s.count}, {"errors", s.errors}, {"p50_ms", s.p50}, {"p90_ms", s.p90},
          {"p99_ms", s.p99},  {"p999_ms", s.p999},  {"max_ms", s.max}};
}

void PrintTable(std::ostream& o, const LoadReport& r, const LoadSpec& spec) {
  o << std::fixed << std::setprecision(0) << spec.ops << " ops (" << spec.put_percent << "% puts, " << spec.value_size
    << "-byte values, " << spec.concurrency << " in flight, " << spec.keys << " keys) in " << std::setprecision(2)
    << r.seconds << " s: " << std::setprecision(0) << r.ops_per_sec << " ops/s, " << r.all.errors << " errors\n\n";
  o << std::left << std::setw(8) << "op" << std::right << std::setw(10) << "count" << std::setw(10) << "errors";
  for (const char* h : {"p50 ms", "p90 ms", "p99 ms", "p999 ms", "max ms"}) o << std::setw(10) << h;
  o << "\n";
  for (auto [name, s] : {std::pair{"get", &r.gets}, std::pair{"put", &r.puts}, std::pair{"all", &r.all}}) {
    if (s->count == 0) continue;
    o << std::left << std::setw(8) << name << std::right << std::setw(10) << s->count << std::setw(10) << s->errors
      << std::setprecision(3);
    for (double v : {s->p50, s->p90, s->p99, s->p999, s->max}) o << std::setw(10) << v;
    o << "\n";
  }
  // A text histogram of all latencies.
  auto bounds = BucketBoundsMs();
  auto counts = Histogram(r.all, bounds);
  uint64_t peak = *std::max_element(counts.begin(), counts.end());
  o << "\nlatency histogram (all ops)\n";
  for (size_t b = 0; b < counts.size(); ++b) {
    if (counts[b] == 0) continue;
    std::ostringstream label;
    label << "<= " << std::setprecision(3) << std::defaultfloat << (b < bounds.size() ? bounds[b] : INFINITY) << " ms";
    int bar = peak ? static_cast<int>(40 * counts[b] / peak) : 0;
    o << std::setw(14) << label.str() << " " << std::setw(9) << counts[b] << " " << std::string(std::max(bar, 1), '#')
      << "\n";
  }
  if (!r.first_error.empty()) o << "\nfirst error: " << r.first_error << "\n";
}

}  // namespace

std::string LatencyPlotSvg(const LoadReport& report, const std::string& title) {
  auto bounds = BucketBoundsMs();
  const double width = 720, height = 360, left = 60, right = 20, top = 40, bottom = 50;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  std::vector<std::pair<std::string, std::vector<uint64_t>>> series;
  if (report.gets.count) series.emplace_back("get", Histogram(report.gets, bounds));
  if (report.puts.count) series.emplace_back("put", Histogram(report.puts, bounds));
  uint64_t peak = 1;
  for (const auto& [_, counts] : series) peak = std::max(peak, *std::max_element(counts.begin(), counts.end()));
  std::ostringstream svg;
  svg << std::fixed << std::setprecision(1);
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n"
      << "<text x='" << left << "' y='24' font-size='15'>" << title << "</text>\n";
  size_t n = bounds.size() + 1;
  double slot = plot_w / static_cast<double>(n);
  const char* colors[] = {"#3b82f6", "#f59e0b"};
  for (size_t si = 0; si < series.size(); ++si) {
    const auto& counts = series[si].second;
    for (size_t b = 0; b < n; ++b) {
      if (counts[b] == 0) continue;
      double h = plot_h * static_cast<double>(counts[b]) / static_cast<double>(peak);
      double x =
          left + slot * static_cast<double>(b) + slot * 0.1 + (slot * 0.8 / static_cast<double>(series.size())) * si;
      svg << "<rect x='" << x << "' y='" << top + plot_h - h << "' width='"
          << slot * 0.8 / static_cast<double>(series.size()) << "' height='" << h << "' fill='" << colors[si]
          << "'/>\n";
    }
    svg << "<rect x='" << width - 120 << "' y='" << 14 + 16 * si << "' width='10' height='10' fill='" << colors[si]
        << "'/><text x='" << width - 105 << "' y='" << 23 + 16 * si << "'>" << series[si].first << "</text>\n";
  }
  svg << "<line x1='" << left << "' y1='" << top + plot_h << "' x2='" << left + plot_w << "' y2='" << top + plot_h
      << "' stroke='black'/>\n";
  for (size_t b = 0; b < bounds.size(); b += 4) {  // one label per decade
    double x = left + slot * static_cast<double>(b + 1);
    std::ostringstream label;
    label << std::defaultfloat << bounds[b];
    svg << "<text x='" << x << "' y='" << top + plot_h + 16 << "' text-anchor='middle'>" << label.str() << "</text>\n";
  }
  svg << "<text x='" << left + plot_w / 2 << "' y='" << height - 10
      << "' text-anchor='middle'>latency, ms (log scale)</text>\n"
      << "<text x='16' y='" << top + plot_h / 2 << "' transform='rotate(-90 16 " << top + plot_h / 2
      << ")' text-anchor='middle'>operations</text>\n</svg>\n";
  return svg.str();
}

int RunBench(Client& client, const BenchFlags& flags, const RequestOptions& request, const Output& out) {
  LoadSpec spec;
  auto ops = ParseCount(flags.ops);
  auto keys = ParseCount(flags.keys);
  auto mix = ParseMix(flags.mix);
  for (const Status& s : {ops.status(), keys.status(), mix.status()}) {
    if (!s.ok()) return Usage(out, "bench: " + s.message());
  }
  if (*keys == 0 || flags.concurrency < 1 || flags.concurrency > 100000) {
    return Usage(out, "bench: --keys must be positive and --concurrency in 1..100000");
  }
  spec.ops = *ops;
  spec.keys = *keys;
  spec.put_percent = *mix;
  spec.value_size = flags.value_size;
  spec.concurrency = flags.concurrency;
  spec.request = request;
  LoadGenerator generator(client, spec);
  auto start = std::chrono::steady_clock::now();
  bool tty = ::isatty(STDERR_FILENO) && !out.json;
  LoadReport report = generator.Run([&](uint64_t done) {
    if (tty) ProgressBar(done, spec.ops, start);
  });
  if (tty) std::fprintf(stderr, "\n");
  if (!flags.plot.empty()) {
    std::ofstream file(flags.plot);
    file << LatencyPlotSvg(report, "kv bench: " + flags.ops + " ops, mix " + flags.mix + ", " +
                                       std::to_string(flags.concurrency) + " in flight");
    if (!file) return Fail(out, Status::IOError("cannot write the plot to " + flags.plot));
  }
  if (out.json) {
    json::object o{{"ops", spec.ops},
                   {"put_percent", spec.put_percent},
                   {"value_size", spec.value_size},
                   {"concurrency", spec.concurrency},
                   {"seconds", report.seconds},
                   {"ops_per_sec", report.ops_per_sec},
                   {"errors", report.all.errors},
                   {"get", SummaryJson(report.gets)},
                   {"put", SummaryJson(report.puts)},
                   {"all", SummaryJson(report.all)}};
    if (!report.first_error.empty()) o["first_error"] = report.first_error;
    *out.out << json::serialize(o) << "\n";
  } else {
    PrintTable(*out.out, report, spec);
    if (!flags.plot.empty()) *out.out << "plot written to " << flags.plot << "\n";
  }
  return report.all.errors == 0 ? kExitOk : kExitQuorum;
}

}  // namespace ringkv::cli
