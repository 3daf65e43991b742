#pragma once
// `kv autoscale`: the operator-run autoscaler. Every --interval it reads each member's
// counters (the stats RPC: the same samples as the node's /metrics), turns them into load
// (cli/node_load.h), and asks the policy (cli/autoscale_policy.h) whether to add a node or
// decommission one. It adds by running --provision-cmd, decommissions through the cluster
// (`kv node decommission`) and, once the node has left, runs --decommission-cmd to release
// its host. It then waits until the ring shows the change finished (the new node normal and
// up, or the old one gone) before it decides anything again; a change not finished within
// --change-timeout is logged as failed and counted.
//
// Every decision is printed with its reason (a JSON object per line with --json), counted,
// and — with --report-to ADMIN,... — posted to those nodes' admin endpoints (POST
// /v1/autoscale), whose dashboards and /metrics show them. Command templates are run by
// /bin/sh with {node_id}, {address}, {seed}, {seeds} and {cluster_name} replaced by
// shell-quoted values; their output goes to stderr.

#include <chrono>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/autoscale_policy.h"
#include "cli/commands.h"

namespace ringkv::cli {

struct AutoscaleFlags {
  double up_ops = 5000, down_ops = 1000, up_p99_ms = 0, down_p99_ms = 0, up_disk_mb = 0, down_max_hints = 0;
  std::string window = "60s", cooldown = "5m", interval = "5s", change_timeout = "5m";
  size_t min_nodes = 0, max_nodes = 0;
  std::string provision_cmd, decommission_cmd;
  std::string node_prefix = "auto";
  std::string report_to;        // admin host:port list
  std::string report_token;     // Bearer token for nodes whose admin endpoint requires it
  bool once = false;            // decide once the window is covered, finish that change, exit
  uint64_t max_iterations = 0;  // 0: run until killed
};

// Registers the flags (group "autoscale") on kv's parser.
void AddAutoscaleFlags(CLI::App& app, AutoscaleFlags* flags);

// Runs the loop. `replication_factor`: the cluster's N (kv --n; the nodes' default 3), the
// floor it never goes below. Exit codes: 0, 2 for bad flags (checked before anything is
// read), 5 when --once's change failed.
int RunAutoscale(Client& client, const AutoscaleFlags& flags, const std::string& cluster_name,
                 size_t replication_factor, const Output& out);
}  // namespace ringkv::cli
