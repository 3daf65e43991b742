#!/usr/bin/env bash
# A local ringkv cluster on 127.0.0.x loopback addresses.
#   scripts/cluster.sh up [-n 3] [-p 7001]   start N nodes: node1 on 127.0.0.1:PORT, node2 on 127.0.0.2:PORT...
#                                            each with its admin HTTP endpoint (dashboard) on 127.0.0.i:PORT+1000
#   scripts/cluster.sh up -n 6 --dcs west,east   split the nodes over DCs in order (node1-3 west,
#                                            node4-6 east), up to 3 replicas per DC (--dc-replication)
#   scripts/cluster.sh up --secure           mutual TLS (a CA and certificates made in $dir/certs),
#                                            a cluster secret and a client token ($dir/*.secret|token);
#                                            prints the environment kv needs to connect
#   scripts/cluster.sh restart NODE          stop NODE (node2 or 2) if it runs, start it again with its
#                                            address, port, data and flags, and wait until it serves
#   scripts/cluster.sh status                which nodes run, and the ring as a client sees it
#   scripts/cluster.sh down                  stop every node (SIGTERM: clean shutdown); data stays
# The first `up` saves the cluster's topology (node count, port, DCs, --secure) in $dir/topology.
# Later `up`s and `restart`s start nodes from it: `up` without options starts the nodes that
# are not running (e.g. after kill -9), and options that differ from the saved ones are refused.
# For another topology: `down`, then remove $dir or use another $RINGKV_CLUSTER_DIR.
# `up` and `restart` return once each node they started printed "ready on" in this start
# (RPC and admin ports listening), or fail within 30 s with the node's log.
# Data and logs live in $RINGKV_CLUSTER_DIR (default /tmp/ringkv-cluster). Binaries come from
# $RINGKV_BUILD_DIR (default build-release; `scripts/demo.sh` builds it).
set -euo pipefail
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
# One spelling of the directory (it is matched in the nodes' command lines), relative to where
# the script was called from.
dir=$(realpath -m -- "${RINGKV_CLUSTER_DIR:-/tmp/ringkv-cluster}")
cd "$(dirname "$0")/.."

build=${RINGKV_BUILD_DIR:-build-release}
ready_seconds=30
usage="usage: cluster.sh up [-n N] [-p PORT] [--dcs A,B] [--secure] | restart NODE | status | down"

fail() { echo "cluster.sh: $*" >&2; exit 1; }
bad_input() { echo "cluster.sh: $*" >&2; echo "$usage" >&2; exit 2; }
number_in() { [[ "$1" =~ ^[0-9]{1,5}$ ]] && ((10#$1 >= $2 && 10#$1 <= $3)); }  # VALUE MIN MAX

# The topology: defaults, then the options given to `up` (which ones were given is kept apart,
# to compare them with a saved topology).
nodes=3 port=7001 dcs="" secure=0
given=()
parse_up_options() {
  while (($#)); do
    case "$1" in
      -n|-p|--dcs) (($# >= 2)) || bad_input "$1 needs a value" ;;&
      -n) number_in "$2" 1 254 || bad_input "-n $2: a node count from 1 to 254"
          nodes=$((10#$2)); given+=(nodes); shift 2 ;;
      -p) number_in "$2" 1 64535 || bad_input "-p $2: a port from 1 to 64535 (the admin port is PORT+1000)"
          port=$((10#$2)); given+=(port); shift 2 ;;
      --dcs) [[ "$2" =~ ^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$ ]] || bad_input "--dcs $2: DC names separated by commas"
             dcs=$2; given+=(dcs); shift 2 ;;
      --secure) secure=1; given+=(secure); shift ;;
      *) bad_input "unknown option $1" ;;
    esac
  done
}

topology_flags() {  # the saved topology as the options of `up`
  echo "-n $nodes -p $port${dcs:+ --dcs $dcs}$( ((secure)) && echo " --secure")"
}

save_topology() {
  printf '# written by scripts/cluster.sh up; read by up, restart and status\nnodes=%s\nport=%s\ndcs=%s\nsecure=%s\n' \
    "$nodes" "$port" "$dcs" "$secure" > "$dir/topology.tmp"
  mv "$dir/topology.tmp" "$dir/topology"
}

# Reads $dir/topology into nodes, port, dcs, secure; a malformed file is an error, not a default.
load_topology() {
  local file="$dir/topology" line key value seen=""
  [[ -f "$file" ]] || return 1
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ -z "$line" || "$line" == \#* ]] && continue
    [[ "$line" =~ ^[0-9]+\ [0-9]+$ ]] &&
      fail "$file is from an older cluster.sh (no DCs or flags saved): run 'cluster.sh down', remove $dir and start again"
    [[ "$line" == *=* ]] || fail "$file: bad line '$line'"
    key=${line%%=*} value=${line#*=}
    case "$key" in
      nodes) number_in "$value" 1 254 || fail "$file: bad node count '$value'"; nodes=$((10#$value)) ;;
      port) number_in "$value" 1 64535 || fail "$file: bad port '$value'"; port=$((10#$value)) ;;
      dcs) [[ -z "$value" || "$value" =~ ^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$ ]] || fail "$file: bad DC list '$value'"; dcs=$value ;;
      secure) [[ "$value" == [01] ]] || fail "$file: bad secure flag '$value'"; secure=$value ;;
      *) fail "$file: unknown key '$key'" ;;
    esac
    seen+=" $key"
  done < "$file"
  for key in nodes port dcs secure; do
    [[ " $seen " == *" $key "* ]] || fail "$file: no $key"
  done
}

# `up` with a saved topology: options may repeat it but not change it.
check_given_options() {
  local wanted=("$@") key
  for key in "${given[@]}"; do
    case "$key" in
      nodes) [[ "${wanted[0]}" == "$nodes" ]] || mismatch ;;
      port) [[ "${wanted[1]}" == "$port" ]] || mismatch ;;
      dcs) [[ "${wanted[2]}" == "$dcs" ]] || mismatch ;;
      secure) [[ "${wanted[3]}" == "$secure" ]] || mismatch ;;
    esac
  done
}
mismatch() {
  fail "$dir holds a cluster started with: $(topology_flags)." \
       "'cluster.sh up' without options starts its stopped nodes; for another topology run" \
       "'cluster.sh down', then remove $dir or set RINGKV_CLUSTER_DIR to another directory"
}

# The environment a client of a --secure cluster needs (kv reads these variables).
client_env() {
  echo "RINGKV_TOKEN_FILE=$dir/client.token RINGKV_TLS_CA=$dir/certs/ca.pem" \
       "RINGKV_TLS_CERT=$dir/certs/client.pem RINGKV_TLS_KEY=$dir/certs/client-key.pem"
}

# Certificates, a cluster secret and a client token, made once per cluster directory.
make_security() {
  [[ -f "$dir/certs/ca.pem" ]] || scripts/make-certs.sh "$dir/certs" node client >/dev/null
  for f in cluster.secret client.token; do
    [[ -f "$dir/$f" ]] || (umask 077 && openssl rand -hex 24 > "$dir/$f")
  done
}

# kvnode's arguments for node i, all from the topology: `up` and `restart` start a node the same way.
node_args() {
  local i=$1 seeds="" names=() placement=() per_dc="" size=0 d j
  if [[ -n "$dcs" ]]; then
    IFS=, read -r -a names <<< "$dcs"
    size=$(( (nodes + ${#names[@]} - 1) / ${#names[@]} ))
    for j in $(seq 1 "$nodes"); do placement[j]=${names[$(( (j - 1) / size ))]}; done
    for d in "${names[@]}"; do per_dc+="${per_dc:+,}$d:$(( size < 3 ? size : 3 ))"; done
  fi
  for j in $(seq 1 "$nodes"); do seeds+="${seeds:+,}node$j@127.0.0.$j:$port${placement[j]:+/${placement[j]}}"; done
  args=(--id "node$i" --listen "127.0.0.$i:$port" --data "$dir/node$i" --seeds "$seeds" --cluster-name local
        --admin "127.0.0.$i:$((port + 1000))")
  [[ -n "${placement[i]:-}" ]] && args+=(--dc "${placement[i]}" --dc-replication "$per_dc")
  if ((secure)); then
    args+=(--cluster-secret-file "$dir/cluster.secret" --client-token-file "$dir/client.token"
           --tls-ca "$dir/certs/ca.pem" --tls-cert "$dir/certs/node.pem" --tls-key "$dir/certs/node-key.pem")
  fi
}

pid_of() { cat "$dir/node$1.pid" 2>/dev/null || true; }
# Alive and not a zombie (a killed node whose parent is gone may linger as one).
alive() { kill -0 "$1" 2>/dev/null && [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]; }
# Node i's recorded pid is alive and is still node i's kvnode of this directory: after a
# kill -9 the pid file stays, and its pid may belong to another process by now.
running() {
  local p cmdline
  p=$(pid_of "$1")
  [[ -n "$p" ]] && alive "$p" || return 1
  cmdline=$(tr '\0' ' ' 2>/dev/null < "/proc/$p/cmdline") || return 1
  [[ "$cmdline" == *" --data $dir/node$1 "* ]]
}

# Starts node i in the background. Its log is appended to, so the size before this start is
# kept: only what comes after it can say that this start is ready.
log_offset=()
start_node() {
  local i=$1 log="$dir/node$1.log"
  node_args "$i"
  log_offset[i]=$(stat -c %s "$log" 2>/dev/null || echo 0)
  "$build/node/kvnode" "${args[@]}" >>"$log" 2>&1 &
  echo $! > "$dir/node$i.pid"
}

since_start() { tail -c "+$(( log_offset[$1] + 1 ))" "$dir/node$1.log" 2>/dev/null; }

# Waits until node i, started by start_node, prints "ready on" (kvnode does once its RPC and
# admin ports listen), at most $ready_seconds. A node that exits or is not ready by then is an
# error with its log; one that hangs is stopped.
wait_ready() {
  local i=$1 deadline=$((SECONDS + ready_seconds)) log
  while ((SECONDS <= deadline)); do
    log=$(since_start "$i")
    if [[ "$log" == *"kvnode node$i ready on 127.0.0.$i:$port"* ]]; then
      echo "node$i up on 127.0.0.$i:$port (pid $(pid_of "$i"), dashboard $( ((secure)) && echo https || echo http)://127.0.0.$i:$((port + 1000))/, log $dir/node$i.log)"
      return 0
    fi
    if ! running "$i"; then
      echo "cluster.sh: node$i exited while starting on 127.0.0.$i:$port; its log since this start:" >&2
      since_start "$i" | tail -20 >&2
      return 1
    fi
    sleep 0.1
  done
  echo "cluster.sh: node$i (pid $(pid_of "$i")) not ready on 127.0.0.$i:$port after ${ready_seconds}s; stopping it. Its log since this start:" >&2
  since_start "$i" | tail -20 >&2
  stop_node "$i" >/dev/null
  return 1
}

# SIGTERM (clean shutdown), SIGKILL after 10 s. Only a pid that is still this node's kvnode.
stop_node() {
  local i=$1 p
  p=$(pid_of "$i")
  if running "$i"; then
    kill -TERM "$p"
    for _ in $(seq 1 100); do alive "$p" || break; sleep 0.1; done
    alive "$p" && kill -KILL "$p"
    echo "stopped node$i"
  fi
  rm -f "$dir/node$i.pid"
}

require_binary() {
  [[ -x "$build/node/kvnode" ]] || fail "$build/node/kvnode missing: run scripts/demo.sh or build first (or set RINGKV_BUILD_DIR)"
}

up() {
  require_binary
  mkdir -p "$dir"
  local wanted=("$nodes" "$port" "$dcs" "$secure") started=() failed=0 i
  if load_topology; then
    check_given_options "${wanted[@]}"
  else
    save_topology
  fi
  ((secure)) && make_security
  for i in $(seq 1 "$nodes"); do
    if running "$i"; then echo "node$i already running (pid $(pid_of "$i"))"; continue; fi
    start_node "$i"
    started+=("$i")
  done
  for i in "${started[@]}"; do wait_ready "$i" || failed=1; done
  ((failed == 0)) || exit 1
  if ((secure)); then echo "TLS + tokens on; connect with: $(client_env) kv ..."; fi
}

restart() {
  local name=$1 i
  [[ "$name" =~ ^(node)?([0-9]+)$ ]] || bad_input "restart $name: a node name like node2 (or 2)"
  i=$((10#${BASH_REMATCH[2]}))
  load_topology || fail "no cluster in $dir: start one with 'cluster.sh up'"
  ((i >= 1 && i <= nodes)) || fail "no node$i in $dir: the cluster has node1..node$nodes"
  require_binary
  stop_node "$i"
  start_node "$i"
  wait_ready "$i"
}

down() {
  local f
  for f in "$dir"/node*.pid; do
    [[ -e "$f" ]] || continue
    local name; name=$(basename "$f" .pid)
    stop_node "${name#node}"
  done
}

status() {
  load_topology || { echo "no cluster in $dir"; exit 0; }
  local i cluster=""
  echo "cluster in $dir: $(topology_flags)"
  for i in $(seq 1 "$nodes"); do
    if running "$i"; then echo "node$i: up (pid $(pid_of "$i"))"; else echo "node$i: down"; fi
    cluster+="${cluster:+,}127.0.0.$i:$port"
  done
  local env=()
  ((secure)) && read -r -a env <<< "$(client_env)"
  env "${env[@]}" "$build/cli/kv" --cluster "$cluster" ring || true
}

cmd=${1:-status}
shift || true
case "$cmd" in
  up) parse_up_options "$@"; up ;;
  restart) (($# == 1)) || bad_input "restart takes one node name"; restart "$1" ;;
  down) (($# == 0)) || bad_input "down takes no options"; down ;;
  status) (($# == 0)) || bad_input "status takes no options"; status ;;
  -h|--help|help) sed -n '2,/^set -euo/p' "$self" | sed '$d; s/^# \{0,1\}//'; echo "$usage" ;;
  *) bad_input "unknown command $cmd" ;;
esac
