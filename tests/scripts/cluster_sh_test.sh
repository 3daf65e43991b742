#!/usr/bin/env bash
# scripts/cluster.sh on real kvnode processes: a node killed with kill -9 comes back, by
# `restart NODE` or by `up` without options, on its saved address, port, data and flags; the
# saved topology is never rewritten; options that would change it are refused; and a start
# is reported ready only when that start printed "ready on" (not an earlier start's line in
# the appended log). The cluster lives in a temp dir on a free port (a user's cluster in
# /tmp/ringkv-cluster or the demo's on 7001 is untouched); every node, the port holder and
# the dir are removed on exit, pass or fail. Run it under the cluster-test lock.
#   cluster_sh_test.sh BUILD_DIR       (kvnode and kv of that build)
set -euo pipefail
build=$(cd "$1" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
cluster_sh="$repo/scripts/cluster.sh"
kv="$build/cli/kv"
work=$(mktemp -d /tmp/ringkv-cluster-sh.XXXXXX)
export RINGKV_CLUSTER_DIR="$work/cluster" RINGKV_BUILD_DIR="$build"
holder=""
seen_pids=()

cleanup() {
  [[ -n "$holder" ]] && kill -9 "$holder" 2>/dev/null || true
  "$cluster_sh" down >/dev/null 2>&1 || true
  # A node whose pid file a failed step left behind or lost: only pids this test saw, and
  # only while they are still a kvnode of this temp dir.
  local p
  for p in "${seen_pids[@]}"; do
    [[ "$(tr '\0' ' ' 2>/dev/null < "/proc/$p/cmdline")" == *"$work/cluster/"* ]] && kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
pid_of() { cat "$RINGKV_CLUSTER_DIR/node$1.pid"; }
cmdline_of() { tr '\0' ' ' < "/proc/$1/cmdline"; }
remember_pids() { local i; for i in 1 2 3; do [[ -f "$RINGKV_CLUSTER_DIR/node$i.pid" ]] && seen_pids+=("$(pid_of "$i")"); done; true; }
# Gone, or a zombie nobody reaped yet: either way it serves nothing.
gone() { ! kill -0 "$1" 2>/dev/null || [[ "$(ps -o stat= -p "$1" 2>/dev/null)" == Z* ]]; }
kill_node() {  # i: kill -9, then wait (bounded) until the process is gone
  local p; p=$(pid_of "$1")
  kill -9 "$p"
  for _ in $(seq 1 100); do gone "$p" && return 0; sleep 0.1; done
  fail "node$1 (pid $p) still alive 10 s after kill -9"
}
# Node i serves RPC on 127.0.0.i:PORT right now (no retry: the script said it was ready).
serves_now() { "$kv" --cluster "127.0.0.$1:$port" ring >/dev/null || fail "node$1 does not answer on 127.0.0.$1:$port"; }

# A port free for RPC and admin (PORT+1000) on 127.0.0.1-3, below the ephemeral range so that
# no outgoing connection takes it meanwhile.
port=$(python3 - <<'EOF'
import random, socket
for _ in range(50):
    port = random.randrange(20000, 30000)
    try:
        for ip in ("127.0.0.1", "127.0.0.2", "127.0.0.3"):
            for p in (port, port + 1000):
                s = socket.socket(); s.bind((ip, p)); s.close()
    except OSError:
        continue
    print(port)
    break
EOF
)
[[ -n "$port" ]] || fail "no free port pair found in 50 tries"

step "up -n 3 -p $port in $RINGKV_CLUSTER_DIR"
"$cluster_sh" up -n 3 -p "$port"
remember_pids
cp "$RINGKV_CLUSTER_DIR/topology" "$work/topology.saved"
for i in 1 2 3; do serves_now "$i"; done
for _ in $(seq 1 100); do  # every node answers; a write at ALL needs the ring to know it too
  "$kv" --cluster "127.0.0.1:$port" --level all put restart:key before-kill >/dev/null 2>&1 && break
  sleep 0.1
done
"$kv" --cluster "127.0.0.1:$port" get restart:key | grep -q before-kill || fail "the first write at ALL did not land"
node2_cmdline=$(cmdline_of "$(pid_of 2)")
node3_cmdline=$(cmdline_of "$(pid_of 3)")

step "kill -9 node2, then restart node2: same address, port, data and flags"
old=$(pid_of 2)
kill_node 2
out=$("$cluster_sh" restart node2)
echo "$out"
remember_pids
[[ "$out" == *"node2 up on 127.0.0.2:$port "* ]] || fail "restart did not report node2 up on its port"
[[ "$(pid_of 2)" != "$old" ]] || fail "restart kept the killed pid $old"
serves_now 2
[[ "$(cmdline_of "$(pid_of 2)")" == "$node2_cmdline" ]] ||
  fail "node2 restarted with other arguments: $(cmdline_of "$(pid_of 2)") (was: $node2_cmdline)"
cmp "$RINGKV_CLUSTER_DIR/topology" "$work/topology.saved" || fail "restart rewrote the topology"
admin=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.2:$((port + 1000))/v1/ring") || true
[[ "$admin" == 200 ]] || fail "node2's admin endpoint on port $((port + 1000)) answered '$admin'"
found=""
for _ in $(seq 1 100); do  # every replica, node2 included, answers the read once gossip settles
  found=$("$kv" --cluster "127.0.0.2:$port" --level all get restart:key 2>/dev/null) && break
  sleep 0.1
done
[[ "$found" == *before-kill* ]] || fail "no read at ALL through the restarted node2 within 10 s (got '$found')"

step "restart a running node: stopped, then started again"
old=$(pid_of 2)
"$cluster_sh" restart 2
remember_pids
[[ "$(pid_of 2)" != "$old" ]] && gone "$old" || fail "restart of a running node2 did not replace pid $old"
serves_now 2

step "kill -9 node3, then up without options: only node3 starts, on its saved port"
kill_node 3
out=$("$cluster_sh" up)
echo "$out"
remember_pids
[[ "$out" == *"node1 already running"* && "$out" == *"node2 already running"* ]] || fail "up restarted running nodes"
[[ "$out" == *"node3 up on 127.0.0.3:$port "* ]] || fail "up did not bring node3 back on its port"
serves_now 3
[[ "$(cmdline_of "$(pid_of 3)")" == "$node3_cmdline" ]] || fail "node3 came back with other arguments"
cmp "$RINGKV_CLUSTER_DIR/topology" "$work/topology.saved" || fail "up rewrote the topology"

step "up with options that change the topology is refused"
if err=$("$cluster_sh" up -n 3 -p $((port + 1)) 2>&1); then fail "up -p $((port + 1)) was accepted: $err"; fi
[[ "$err" == *"started with: -n 3 -p $port"* ]] || fail "unclear refusal: $err"
if err=$("$cluster_sh" up --secure 2>&1); then fail "up --secure was accepted on a plain cluster: $err"; fi
cmp "$RINGKV_CLUSTER_DIR/topology" "$work/topology.saved" || fail "a refused up rewrote the topology"
if err=$("$cluster_sh" restart node4 2>&1); then fail "restart node4 of a 3-node cluster was accepted"; fi
[[ "$err" == *"no node4"* ]] || fail "unclear refusal of node4: $err"
for i in 1 2 3; do serves_now "$i"; done

step "a start that fails is reported, though the log holds earlier 'ready on' lines"
kill_node 2
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.2", int(sys.argv[1]))); s.listen()
print("listening", flush=True); time.sleep(120)' "$port" > "$work/holder.out" &
holder=$!
for _ in $(seq 1 100); do grep -q listening "$work/holder.out" && break; sleep 0.1; done
grep -q listening "$work/holder.out" || fail "could not hold 127.0.0.2:$port"
if err=$("$cluster_sh" restart node2 2>&1); then fail "restart reported node2 ready while its port was taken: $err"; fi
remember_pids
echo "$err"
[[ "$err" == *"node2 exited while starting on 127.0.0.2:$port"* ]] || fail "unclear start failure: $err"
kill -9 "$holder"; wait "$holder" 2>/dev/null || true; holder=""
"$cluster_sh" restart node2
remember_pids
serves_now 2

step "down stops every node"
pids=("$(pid_of 1)" "$(pid_of 2)" "$(pid_of 3)")
"$cluster_sh" down
for p in "${pids[@]}"; do gone "$p" || fail "pid $p still runs after down"; done
[[ "$("$cluster_sh" status | grep -c ': down')" == 3 ]] || fail "status does not show 3 nodes down"
echo "cluster.sh ok"
