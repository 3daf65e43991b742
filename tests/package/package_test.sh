#!/usr/bin/env bash
# Installs ringkv from a build tree into a temporary prefix, checks that the installed
# headers are exactly the public include/ringkv/ and that each compiles alone from the
# prefix (none includes a header that is not installed), builds tests/package/app against
# it with find_package(ringkv), starts the installed kvnode on a free 127.0.0.x port and
# runs the app there. Everything is removed on exit, pass or fail.
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

# The SDK's contract and nothing else: no internal header may be installed, or be needed.
expected="include/ringkv/client.h include/ringkv/crdt.h include/ringkv/limits.h include/ringkv/metrics.h include/ringkv/namespace.h include/ringkv/ringkv.h include/ringkv/status.h include/ringkv/tls_files.h include/ringkv/tracing.h"
installed=$(cd "$work/prefix" && find . -type f \( -path './include/*' -o -name '*.h' -o -name '*.hpp' \) \
  | sed 's|^\./||' | sort | xargs)
if [[ "$installed" != "$expected" ]]; then
  echo "installed headers are '$installed', expected '$expected'"
  exit 1
fi
for header in ${expected//include\//}; do
  # Only the prefix on the include path: an include of anything not installed fails here.
  echo "#include <$header>" | "${CXX:-c++}" -std=c++17 -fsyntax-only -I"$work/prefix/include" -x c++ - \
    || { echo "installed $header does not compile on its own from the prefix"; exit 1; }
done
# The C ABI: its header is C (C99, pedantic) and libringkv.so is installed with it.
echo "#include <ringkv/ringkv.h>" | "${CC:-cc}" -std=c99 -pedantic -Werror -fsyntax-only -I"$work/prefix/include" -x c - \
  || { echo "installed ringkv/ringkv.h does not compile as C"; exit 1; }
ls "$work"/prefix/lib*/libringkv.so >/dev/null 2>&1 || { echo "libringkv.so is not installed"; exit 1; }
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
