#!/usr/bin/env bash
# The main job on a fresh machine: installs what is missing, builds (Release), starts a
# local 3-node cluster on 127.0.0.1-3, runs samples/quickstart against it (put, get,
# concurrent writes -> siblings -> merge, delete), shows the ring and the kv shell, then
# stops the cluster. `scripts/demo.sh --keep` leaves the cluster running for you to explore:
#   build-release/cli/kv --cluster 127.0.0.1:7001        (the shell; `scripts/cluster.sh down` to stop)
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
[[ "${1:-}" == "--keep" ]] && keep=1

scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
ninja -C build-release kvnode kv quickstart storage_demo

export RINGKV_CLUSTER_DIR=${RINGKV_CLUSTER_DIR:-/tmp/ringkv-demo-cluster}
rm -rf "$RINGKV_CLUSTER_DIR"
((keep)) || trap 'scripts/cluster.sh down >/dev/null' EXIT
echo "== starting a local 3-node cluster"
scripts/cluster.sh up -n 3 -p 7001
echo
echo "== samples/quickstart"
build-release/samples/quickstart 127.0.0.1:7001,127.0.0.2:7001,127.0.0.3:7001
echo
echo "== the kv shell"
kv=(build-release/cli/kv --cluster 127.0.0.1:7001)
set -x
"${kv[@]}" ring
"${kv[@]}" put greeting "hello from ringkv"
"${kv[@]}" get greeting
"${kv[@]}" --json get greeting
set +x
echo
echo "== the admin endpoint (dashboard at http://127.0.0.1:8001/)"
curl -fsS http://127.0.0.1:8001/health
curl -fsS http://127.0.0.1:8001/metrics | grep -E '^ringkv_(rpc_keys_total|members)'
echo
echo "== kill -9 node3: QUORUM (2 of 3) keeps working, ALL cannot"
kill -9 "$(cat "$RINGKV_CLUSTER_DIR/node3.pid")"
"${kv[@]}" put during-failure "still writable" && "${kv[@]}" get during-failure
"${kv[@]}" --level all put needs-everyone x || echo "(ALL failed as expected: exit code $?)"
echo
echo "== restart node3: it rejoins with its data; an ALL read repairs what it missed"
scripts/cluster.sh restart node3
"${kv[@]}" --level all get during-failure
if ((keep)); then
  echo; echo "cluster left running in $RINGKV_CLUSTER_DIR; try: ${kv[*]}"
fi
echo "demo ok"
