#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo.
# (Today: the storage engine demo. With the RPC layer it becomes a local 3-node cluster.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DRINGKV_BUILD_BENCH=OFF >/dev/null
ninja -C build-release storage_demo
build-release/samples/storage_demo "$@"
