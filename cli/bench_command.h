#pragma once
// `kv bench`: a load test through the SDK — progress bar while it runs, then throughput
// and a latency table (p50/p90/p99/p999/max per op), a text histogram, optionally JSON
// (--json) and an SVG plot of the latency distribution (--plot FILE.svg).

#include <string>

#include "cli/commands.h"
#include "cli/load_generator.h"

namespace ringkv::cli {

struct BenchFlags {
  std::string ops = "100k";
  std::string mix = "50:50";
  size_t value_size = 100;
  int concurrency = 64;
  std::string keys = "100k";
  std::string plot;  // SVG path; empty = none
};

int RunBench(Client& client, const BenchFlags& flags, const RequestOptions& request, const Output& out);

// The SVG document for a report: latency histograms of gets and puts on a log scale.
std::string LatencyPlotSvg(const LoadReport& report, const std::string& title);

}  // namespace ringkv::cli
