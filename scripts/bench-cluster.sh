#!/usr/bin/env bash
# Builds Release and runs bench/cluster_bench (3 local nodes vs Redis); arguments pass through,
# e.g. scripts/bench-cluster.sh --ops 50000 --repeat 1
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
ninja -C build-release cluster_bench kvnode
exec build-release/bench/cluster_bench "$@"
