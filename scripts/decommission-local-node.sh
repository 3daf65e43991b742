#!/usr/bin/env bash
# Releases a node that `kv autoscale` decommissioned, once it has left the ring: the
# --decommission-cmd for nodes started by scripts/provision-local-node.sh.
#   scripts/decommission-local-node.sh --id ID [--dir DIR] [--wipe]
# A node that left exits by itself: this waits (at most 60 s) for the pid in DIR/ID.pid to
# exit, then removes the pid file, and with --wipe the node's data directory DIR/ID (its
# data was streamed to the remaining nodes before it left). A node still running after 60 s
# gets SIGTERM and the exit is 1 (its data stays). Bad arguments exit 2.
set -euo pipefail
usage="usage: decommission-local-node.sh --id ID [--dir DIR] [--wipe]"
bad_input() { echo "decommission-local-node.sh: $*" >&2; echo "$usage" >&2; exit 2; }

id="" dir="${RINGKV_CLUSTER_DIR:-/tmp/ringkv-cluster}" wipe=0
while (($#)); do
  case "$1" in
    --id) id=${2-}; shift 2 || bad_input "--id needs a value" ;;
    --dir) dir=${2-}; shift 2 || bad_input "--dir needs a value" ;;
    --wipe) wipe=1; shift ;;
    *) bad_input "unknown argument '$1'" ;;
  esac
done
[[ "$id" =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || bad_input "--id must be 1-64 letters, digits, _ . or -"
# Running: the pid exists and is not a zombie (an exited node whose parent has not reaped it).
alive() { [[ -r "/proc/$1/stat" ]] && [[ "$(cut -d' ' -f3 <"/proc/$1/stat" 2>/dev/null)" != Z ]]; }
if [[ -f "$dir/$id.pid" ]]; then
  pid=$(cat "$dir/$id.pid")
  for ((i = 0; i < 600; i++)); do  # 60 s
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    echo "decommission-local-node.sh: $id (pid $pid) still ran 60 s after leaving; sent SIGTERM" >&2
    exit 1
  fi
  rm -f "$dir/$id.pid"
fi
if ((wipe)); then rm -rf -- "${dir:?}/$id"; fi
echo "$id released"
