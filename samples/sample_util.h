#pragma once
// What every sample does first: read "host:port,host:port" from argv[1] (default: the
// local cluster of scripts/cluster.sh) into ClientOptions, and report failures the same way.

#include <cstdio>
#include <string>

#include "ringkv/client.h"

namespace samples {

inline ringkv::ClientOptions OptionsFromArgs(int argc, char** argv) {
  ringkv::ClientOptions options;
  std::string seeds = argc > 1 ? argv[1] : "127.0.0.1:7001,127.0.0.2:7001,127.0.0.3:7001";
  for (size_t start = 0; start < seeds.size();) {
    size_t comma = seeds.find(',', start);
    if (comma == std::string::npos) comma = seeds.size();
    if (comma > start) options.seeds.push_back(seeds.substr(start, comma - start));
    start = comma + 1;
  }
  return options;
}

inline int Fail(const char* sample, const char* step, const ringkv::Status& s) {
  std::fprintf(stderr, "%s: %s failed: %s\n", sample, step, s.ToString().c_str());
  return 1;
}

}  // namespace samples
