#!/usr/bin/env bash
# cmake/CheckLayers.cmake on a copy of the tree: passes on the tree as it is, and fails,
# naming the file and both layers, once a lower layer includes a higher one.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for dir in include common capnp node sdk cli cmake; do cp -r "$root/$dir" "$work/"; done

cmake -DROOT="$work" -DSTAMP="$work/ok" -P "$work/cmake/CheckLayers.cmake"
test -f "$work/ok" || { echo "the tree as it is did not pass"; exit 1; }

# storage is the bottom of the node: it may not know about the RPC layer.
echo '#include "node/rpc/gate.h"' >> "$work/node/storage/arena.cc"
rm -f "$work/ok"
if out=$(cmake -DROOT="$work" -DSTAMP="$work/ok" -P "$work/cmake/CheckLayers.cmake" 2>&1); then
  echo "a wrong-way include passed the check"; exit 1
fi
grep -q 'node/storage/arena.cc (node/storage) includes node/rpc/gate.h (node/rpc)' <<<"$out" \
  || { echo "the failure did not name the include:"; echo "$out"; exit 1; }
test ! -f "$work/ok"

# The SDK may not reach into the node either.
sed -i '$d' "$work/node/storage/arena.cc"
echo '#include "node/replica/replica_store.h"' >> "$work/sdk/client.cc"
if cmake -DROOT="$work" -DSTAMP="$work/ok" -P "$work/cmake/CheckLayers.cmake" >/dev/null 2>&1; then
  echo "the SDK including a node header passed the check"; exit 1
fi

# The public headers are installed alone: one including an internal header would break
# every app that includes it.
sed -i '$d' "$work/sdk/client.cc"
sed -i 's|#include "ringkv/status.h"|#include "common/security.h"|' "$work/include/ringkv/client.h"
if out=$(cmake -DROOT="$work" -DSTAMP="$work/ok" -P "$work/cmake/CheckLayers.cmake" 2>&1); then
  echo "a public header including an internal one passed the check"; exit 1
fi
grep -q 'include/ringkv/client.h (include) includes common/security.h (common)' <<<"$out" \
  || { echo "the failure did not name the public header:"; echo "$out"; exit 1; }
echo "layers ok"
