#!/usr/bin/env bash
# Installs ringkv from a build tree into a temporary prefix, builds tests/package/app
# against it with find_package(ringkv), starts the installed kvnode on a free 127.0.0.x
# port and runs the app there. Everything is removed on exit, pass or fail.
#   package_test.sh BUILD_DIR [extra CMake args for the app, e.g. sanitizer flags]
set -euo pipefail
build=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/ringkv-package.XXXXXX)
node_pid=""
cleanup() {
  [[ -n "$node_pid" ]] && kill -9 "$node_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$here/app" -B "$work/app" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" "$@" >/dev/null
cmake --build "$work/app" >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.9", 0)); print(s.getsockname()[1])')
"$work/prefix/bin/kvnode" --id solo --listen "127.0.0.9:$port" --data "$work/data" \
  --seeds "solo@127.0.0.9:$port" --replication-factor 1 --log-level warn >"$work/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 1 100); do
  grep -q "ready on" "$work/node.log" && break
  kill -0 "$node_pid" 2>/dev/null || { cat "$work/node.log"; exit 1; }
  sleep 0.1
done
"$work/app/app" "127.0.0.9:$port"
