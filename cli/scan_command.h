#pragma once
// `kv scan NS [--prefix P] [--limit N] [--cursor C] [--count] [--json]`: the keys of a
// namespace in key order, fetched a page at a time (Client::Scan) so that the shell never
// holds more than one page; --count prints the approximate key count instead.

#include <cstdint>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "ringkv/client.h"

namespace ringkv::cli {

struct ScanFlags {
  std::string prefix;
  uint64_t limit = 0;  // keys to print at most; 0: all
  std::string cursor;  // continue a scan a previous `kv scan --limit` stopped
  bool count = false;
};

// `words`: {"scan", NS, flags...}; flags in `words` (the REPL's way) override `flags`.
int RunScan(Client& client, const std::vector<std::string>& words, ScanFlags flags, const RequestOptions& request,
            const Output& out);

}  // namespace ringkv::cli
