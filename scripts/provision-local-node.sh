#!/usr/bin/env bash
# Starts one more kvnode on this host, joining a running cluster: the provisioner that
# `kv autoscale --provision-cmd` runs here (docs/operations.md, Automatic scaling).
#   scripts/provision-local-node.sh --id ID --join HOST:PORT [--dir DIR] [--kvnode PATH]
#                                   [--port PORT] [--first-ip N] [-- KVNODE FLAGS...]
# The node gets the first address 127.0.0.x (x from --first-ip, default 101, up to 254) whose
# PORT (default 7001) and admin port PORT+1000 nobody listens on; its data goes to DIR/ID,
# its log to DIR/ID.log, its pid to DIR/ID.pid (DIR: $RINGKV_CLUSTER_DIR, default
# /tmp/ringkv-cluster; kvnode: $RINGKV_BUILD_DIR/node/kvnode, default build-release). Flags
# after -- go to kvnode as they are (the cluster's --cluster-name, --replication-factor,
# security files...). Prints "ID ADDRESS ADMIN" and exits 0 once the node printed
# "ready on" (it then streams its ranges in; `kv autoscale` waits for it to turn normal);
# a node that exits or is not ready within 60 s is stopped, its log shown, and the exit is 1.
# Bad arguments exit 2 and start nothing.
set -euo pipefail
usage="usage: provision-local-node.sh --id ID --join HOST:PORT [--dir DIR] [--kvnode PATH] [--port PORT] [--first-ip N] [-- KVNODE FLAGS...]"
bad_input() { echo "provision-local-node.sh: $*" >&2; echo "$usage" >&2; exit 2; }
fail() { echo "provision-local-node.sh: $*" >&2; exit 1; }

id="" join="" dir="${RINGKV_CLUSTER_DIR:-/tmp/ringkv-cluster}" port=7001 first_ip=101
kvnode="${RINGKV_BUILD_DIR:-build-release}/node/kvnode"
while (($#)); do
  case "$1" in
    --id) id=${2-}; shift 2 || bad_input "--id needs a value" ;;
    --join) join=${2-}; shift 2 || bad_input "--join needs a value" ;;
    --dir) dir=${2-}; shift 2 || bad_input "--dir needs a value" ;;
    --kvnode) kvnode=${2-}; shift 2 || bad_input "--kvnode needs a value" ;;
    --port) port=${2-}; shift 2 || bad_input "--port needs a value" ;;
    --first-ip) first_ip=${2-}; shift 2 || bad_input "--first-ip needs a value" ;;
    --) shift; break ;;
    *) bad_input "unknown argument '$1'" ;;
  esac
done
[[ "$id" =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || bad_input "--id must be 1-64 letters, digits, _ . or -"
[[ "$join" =~ ^[^:[:space:]]+:[0-9]{1,5}$ ]] || bad_input "--join must be HOST:PORT"
[[ "$port" =~ ^[0-9]{1,5}$ ]] && ((port >= 1 && port + 1000 <= 65535)) || bad_input "--port must be 1..64535"
[[ "$first_ip" =~ ^[0-9]{1,3}$ ]] && ((first_ip >= 2 && first_ip <= 254)) || bad_input "--first-ip must be 2..254"
[[ -x "$kvnode" ]] || bad_input "no kvnode at $kvnode (--kvnode or RINGKV_BUILD_DIR)"
mkdir -p "$dir"
[[ -e "$dir/$id" ]] && bad_input "$dir/$id exists: a node named $id was provisioned here before"

listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }  # HOST PORT: true when something accepts
ip=""
for ((x = first_ip; x <= 254; x++)); do
  if ! listening "127.0.0.$x" "$port" && ! listening "127.0.0.$x" $((port + 1000)); then
    ip="127.0.0.$x"
    break
  fi
done
[[ -n "$ip" ]] || fail "no free 127.0.0.x address from .$first_ip with port $port free"

log="$dir/$id.log"
: >"$log"
nohup "$kvnode" --id "$id" --listen "$ip:$port" --admin "$ip:$((port + 1000))" --data "$dir/$id" \
  --join "$join" "$@" >>"$log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$dir/$id.pid"
for ((i = 0; i < 600; i++)); do  # 60 s
  if grep -q "ready on" "$log"; then
    echo "$id $ip:$port $ip:$((port + 1000))"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$dir/$id.pid"
    cat "$log" >&2
    fail "$id exited while starting"
  fi
  sleep 0.1
done
kill "$pid" 2>/dev/null || true
rm -f "$dir/$id.pid"
cat "$log" >&2
fail "$id was not ready within 60 s; stopped"
