#!/usr/bin/env bash
# Builds Release and runs bench/storage_bench (ringkv vs RocksDB); arguments pass through,
# e.g. scripts/bench-storage.sh --num 200000 --repeat 1
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
ninja -C build-release storage_bench
exec build-release/bench/storage_bench "$@"
