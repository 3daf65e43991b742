#pragma once
// `kv verify`: an operator's consistency check of a live cluster — the chaos checker
// (cli/consistency_checker.h) run on a short canary workload instead of a test's.
//
// 1. Makes sure its namespace exists (creates it when missing: siblings mode, the shortest
//    tombstone grace, N of --n) and waits until every live member knows it.
// 2. For --duration (or until --ops operations), --concurrency threads each read a random
//    canary key of --keys and put a new unique value with the read's context, recording
//    every operation in a history. The keys are new for every run ("canary-<unix ms>-<k>").
// 3. Reads every canary key at ALL (at quorum when ALL fails), checks the history against
//    that final state, and deletes the canary keys.
// 4. Prints the report (cli/verify_report.h; --json: one JSON object) and posts it to the
//    admin endpoints of --report-to (POST /v1/verify), whose /metrics and dashboard show it.
//
// Exit codes: 0 consistent (stale reads are reported, not failed), 9 lost, phantom or
// resurrected values, 2 bad flags (checked before anything is written), 3/4/5 when the
// workload could not run (no write acknowledged, the namespace not created, a final read
// that failed).

#include <cstdint>
#include <string>

#include "cli/commands.h"

namespace ringkv::cli {

struct VerifyFlags {
  std::string duration = "5s";  // how long the workload runs (ParseTtl's units)
  std::string ops;              // at most this many operations (a count like 2000 or 10k; empty: no cap)
  std::string keys = "16";      // canary keys
  int concurrency = 4;          // client threads
  std::string ns = "ringkv-verify";
  std::string report_to;     // admin host:port list to post the result to
  std::string report_token;  // Bearer token for admin endpoints that require it
};

// `replication_factor`: N of a namespace it creates (kv --n; 3 by default). `request`:
// level and timeout of every operation (its namespace is replaced by flags.ns).
int RunVerify(Client& client, const VerifyFlags& flags, int replication_factor, const RequestOptions& request,
              const Output& out);

}  // namespace ringkv::cli
