#pragma once
// A node's claim on its data directory: the IDENTITY file names the cluster and node that
// own it. Starting a node on a directory of another node or cluster is refused, so a
// mistyped --data never mixes two replicas' data.

#include <string>

#include "ringkv/status.h"

namespace ringkv {

// Creates `dir` and its IDENTITY on first use; afterwards checks that it matches.
Status ClaimDataDir(const std::string& dir, const std::string& cluster_name, const std::string& node_id);

}  // namespace ringkv
