// Fuzz target: the node's configuration parsing — the JSON config file, member specs
// (id@host:port/dc/rack) and per-DC replication (dc:count) — which must refuse bad input
// with a Status, never crash.

#include <cstdint>
#include <string>
#include <vector>

#include "node/node_config.h"

using namespace ringkv;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (auto config = LoadNodeConfigJson(text, NodeConfig{}); config.ok()) (void)ValidateNodeConfig(*config);
  (void)ParseMember(text);
  std::vector<std::string> parts;
  for (size_t start = 0; start <= text.size();) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    parts.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  (void)ParseDcReplication(parts);
  return 0;
}
