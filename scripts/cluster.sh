#!/usr/bin/env bash
# A local ringkv cluster on 127.0.0.x loopback addresses.
#   scripts/cluster.sh up [-n 3] [-p 7001]   start N nodes: node1 on 127.0.0.1:PORT, node2 on 127.0.0.2:PORT...
#                                            each with its admin HTTP endpoint (dashboard) on 127.0.0.i:PORT+1000
#   scripts/cluster.sh up -n 6 --dcs west,east   split the nodes over DCs in order (node1-3 west,
#                                            node4-6 east), up to 3 replicas per DC (--dc-replication)
#   scripts/cluster.sh up --secure           mutual TLS (a CA and certificates made in $dir/certs),
#                                            a cluster secret and a client token ($dir/*.secret|token);
#                                            prints the environment kv needs to connect
#   scripts/cluster.sh status                which nodes run, and the ring as a client sees it
#   scripts/cluster.sh down                  stop every node (SIGTERM: clean shutdown)
# Data and logs live in $RINGKV_CLUSTER_DIR (default /tmp/ringkv-cluster). Binaries come from
# $RINGKV_BUILD_DIR (default build-release; `scripts/demo.sh` builds it).
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${RINGKV_CLUSTER_DIR:-/tmp/ringkv-cluster}
build=${RINGKV_BUILD_DIR:-build-release}
cmd=${1:-status}
shift || true
nodes=3
port=7001
dcs=""
secure=0
while (($#)); do
  case "$1" in
    -n) nodes=$2; shift 2 ;;
    -p) port=$2; shift 2 ;;
    --dcs) dcs=$2; shift 2 ;;
    --secure) secure=1; shift ;;
    *) echo "cluster.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

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
  touch "$dir/secure"
}

pid_of() { cat "$dir/node$1.pid" 2>/dev/null || true; }
# Alive and not a zombie (a killed node whose parent is gone may linger as one).
alive() { kill -0 "$1" 2>/dev/null && [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]; }
running() { local p; p=$(pid_of "$1"); [[ -n "$p" ]] && alive "$p"; }

up() {
  [[ -x "$build/node/kvnode" ]] || { echo "cluster.sh: $build/node/kvnode missing: run scripts/demo.sh or build first" >&2; exit 1; }
  mkdir -p "$dir"
  local seeds="" placement=() per_dc=""
  if [[ -n "$dcs" ]]; then
    IFS=, read -r -a names <<< "$dcs"
    local size=$(( (nodes + ${#names[@]} - 1) / ${#names[@]} ))
    for i in $(seq 1 "$nodes"); do placement[i]=${names[$(( (i - 1) / size ))]}; done
    for d in "${names[@]}"; do per_dc+="${per_dc:+,}$d:$(( size < 3 ? size : 3 ))"; done
  fi
  for i in $(seq 1 "$nodes"); do seeds+="${seeds:+,}node$i@127.0.0.$i:$port${placement[i]:+/${placement[i]}}"; done
  echo "$nodes $port" > "$dir/topology"
  local security=()
  if ((secure)); then
    make_security
    security=(--cluster-secret-file "$dir/cluster.secret" --client-token-file "$dir/client.token"
              --tls-ca "$dir/certs/ca.pem" --tls-cert "$dir/certs/node.pem" --tls-key "$dir/certs/node-key.pem")
  else
    rm -f "$dir/secure"
  fi
  for i in $(seq 1 "$nodes"); do
    if running "$i"; then echo "node$i already running (pid $(pid_of "$i"))"; continue; fi
    local topology=()
    [[ -n "${placement[i]:-}" ]] && topology=(--dc "${placement[i]}" --dc-replication "$per_dc")
    "$build/node/kvnode" --id "node$i" --listen "127.0.0.$i:$port" --data "$dir/node$i" \
      --seeds "$seeds" --cluster-name local --admin "127.0.0.$i:$((port + 1000))" "${topology[@]}" "${security[@]}" \
      >>"$dir/node$i.log" 2>&1 &
    echo $! > "$dir/node$i.pid"
  done
  for i in $(seq 1 "$nodes"); do
    for _ in $(seq 1 100); do
      grep -q "ready on" "$dir/node$i.log" 2>/dev/null && break
      running "$i" || { echo "node$i failed to start:"; tail -5 "$dir/node$i.log"; exit 1; }
      sleep 0.1
    done
    echo "node$i up on 127.0.0.$i:$port (pid $(pid_of "$i"), dashboard http://127.0.0.$i:$((port + 1000))/, log $dir/node$i.log)"
  done
  if ((secure)); then echo "TLS + tokens on; connect with: $(client_env) kv ..."; fi
}

down() {
  for f in "$dir"/node*.pid; do
    [[ -e "$f" ]] || continue
    local p; p=$(cat "$f")
    if alive "$p"; then
      kill -TERM "$p"
      for _ in $(seq 1 100); do alive "$p" || break; sleep 0.1; done
      alive "$p" && kill -KILL "$p"
      echo "stopped $(basename "$f" .pid)"
    fi
    rm -f "$f"
  done
}

status() {
  [[ -f "$dir/topology" ]] || { echo "no cluster in $dir"; exit 0; }
  read -r nodes port < "$dir/topology"
  for i in $(seq 1 "$nodes"); do
    if running "$i"; then echo "node$i: up (pid $(pid_of "$i"))"; else echo "node$i: down"; fi
  done
  local env=()
  [[ -f "$dir/secure" ]] && read -r -a env <<< "$(client_env)"
  env "${env[@]}" "$build/cli/kv" --cluster "127.0.0.1:$port,127.0.0.2:$port,127.0.0.3:$port" ring || true
}

case "$cmd" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: cluster.sh up|down|status [-n N] [-p PORT] [--dcs A,B] [--secure]" >&2; exit 2 ;;
esac
