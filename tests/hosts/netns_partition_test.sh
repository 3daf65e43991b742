#!/usr/bin/env bash
# Three nodes on three "hosts": each kvnode runs in its own network namespace with its own
# address on a bridge (10.77.0.1-3, a veth pair each), started from a JSON config file as a
# host would start it; the client (the kv shell) runs in a fourth namespace (10.77.0.100).
# A partition cuts node 3's link (ip link set down on its veth); writes acknowledged before
# and during it must all survive, and after the link comes back node 3 must catch up: the
# other nodes hand it their hints, one repair run by node 3 pulls what no hint covered, then
# the other nodes are stopped and node 3 alone serves every key.
# Names carry this shell's pid; the bridge has no address on the host and does not pass
# through iptables (nf_call_iptables 0), so 127.0.0.x tests and their iptables rules never
# see this traffic. Every exit path kills the nodes and deletes the namespaces, links and
# the temporary directory.
#   netns_partition_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
kvnode=$build/node/kvnode
kv=$build/cli/kv
id=$$
prefix="rkv$id"  # every namespace and link name starts with it
bridge="${prefix}br"
client_ns="${prefix}-client"
nodes=(1 2 3)
work=$(mktemp -d /tmp/ringkv-hosts.XXXXXX)
declare -A pids=()

cleanup() {
  local rc=$?
  for n in "${!pids[@]}"; do kill -9 "${pids[$n]}" 2>/dev/null || true; done
  for n in "${!pids[@]}"; do wait "${pids[$n]}" 2>/dev/null || true; done
  for ns in $(ip netns list | awk '{print $1}' | grep "^${prefix}-" || true); do ip netns del "$ns" || true; done
  for link in /sys/class/net/"${prefix}"*; do [[ -e "$link" ]] && { ip link del "${link##*/}" 2>/dev/null || true; }; done
  if ((rc != 0)); then
    for f in "$work"/*.log; do [[ -f "$f" ]] && { echo "--- $f"; tail -20 "$f"; }; done
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
fail() {
  echo "netns_partition_test: $*"
  exit 1
}

if [[ $(id -u) -ne 0 ]] || ! ip netns add "${prefix}-probe" 2>/dev/null; then
  echo "netns_partition_test: needs root and network namespaces: skipped"
  exit 77
fi
ip netns del "${prefix}-probe"

# The "network": a bridge, and per host a namespace whose eth0 is one end of a veth pair.
ip link add "$bridge" type bridge nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0
ip link set "$bridge" up
add_host() {  # name, address
  local ns="${prefix}-$1" host_end="${prefix}$1"
  ip netns add "$ns"
  ip link add "$host_end" type veth peer name "${prefix}p$1"
  ip link set "${prefix}p$1" netns "$ns"
  ip -n "$ns" link set "${prefix}p$1" name eth0
  ip -n "$ns" addr add "$2/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  ip link set "$host_end" master "$bridge"
  ip link set "$host_end" up
}
for n in "${nodes[@]}"; do add_host "n$n" "10.77.0.$n"; done
add_host client 10.77.0.100
link_of() { echo "${prefix}n$1"; }

seeds=$(printf '"n%s@10.77.0.%s:7001",' 1 1 2 2 3 3)
seeds="[${seeds%,}]"
start_node() {  # number
  local n=$1
  cat >"$work/n$n.json" <<JSON
{"id": "n$n", "listen": "10.77.0.$n:7001", "admin": "127.0.0.1:8001", "seeds": $seeds,
 "data": "$work/n$n", "cluster-name": "hosts-test", "replication-factor": 3,
 "gossip-interval-ms": 200, "suspect-after-ms": 1000, "down-after-ms": 3000,
 "handoff-interval-ms": 200, "log-level": "info"}
JSON
  ip netns exec "${prefix}-n$n" "$kvnode" --config "$work/n$n.json" >>"$work/n$n.log" 2>&1 &
  pids[$n]=$!
}
for n in "${nodes[@]}"; do start_node "$n"; done
for n in "${nodes[@]}"; do
  for _ in $(seq 1 200); do
    grep -q "ready on" "$work/n$n.log" && break
    kill -0 "${pids[$n]}" 2>/dev/null || fail "node $n exited while starting"
    sleep 0.1
  done
  grep -q "ready on" "$work/n$n.log" || fail "node $n not ready within 20 s"
done

client() {  # kv arguments...: the kv shell on the client host
  RINGKV_CLUSTER=10.77.0.1:7001,10.77.0.2:7001,10.77.0.3:7001 \
    ip netns exec "$client_ns" "$kv" --cluster-name hosts-test --timeout 2000 "$@"
}
wait_until() {  # what, tries (0.2 s apart), command...
  local what=$1 tries=$2
  shift 2
  for _ in $(seq 1 "$tries"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  fail "not within $((tries / 5)) s: $what"
}
metric() {  # node number, metric: its value in the node's /metrics (served on its host's loopback)
  ip netns exec "${prefix}-n$1" curl -sf "http://127.0.0.1:8001/metrics" | awk -v name="$2" '$1 == name {print $2}'
}

# Every replica answers from the client host: a write at ALL is acknowledged by all three.
wait_until "a write at ALL from the client host" 100 client --level all put probe ready

acked=()
for i in $(seq 1 20); do
  client put "before$i" "v$i" >>"$work/client.log" 2>&1 || fail "put before$i failed with every node reachable"
  acked+=("before$i=v$i")
done

ip link set "$(link_of 3)" down  # node 3's host loses its network
during=0
for i in $(seq 1 20); do
  if client put "during$i" "w$i" >>"$work/client.log" 2>&1; then
    acked+=("during$i=w$i")
    during=$((during + 1))
  fi
done
echo "writes acknowledged while node 3 was cut off: $during of 20"
((during == 20)) || fail "only $during of 20 writes at QUORUM were acknowledged with 2 of 3 replicas reachable"
# Node 3 cannot be reached from the client host meanwhile.
if client --level all get before1 >/dev/null 2>&1; then fail "a read at ALL succeeded with node 3 cut off"; fi

ip link set "$(link_of 3)" up  # heal
# The other nodes hand node 3 the hints they hold: each kv process, on exit, waits for its
# copy to the cut node to fail over to a hint (bounded by its timeout).
holds_no_hints() { [[ $(metric "$1" ringkv_hints_queued_total) == 0 ]]; }
for n in 1 2; do wait_until "node $n handed its hints to node 3" 150 holds_no_hints "$n"; done
delivered=$(($(metric 1 ringkv_hints_delivered_total) + $(metric 2 ringkv_hints_delivered_total)))
echo "hints delivered to node 3 after the heal: $delivered"

# What hints cannot cover, anti-entropy does. The operator's step after a heal: a Merkle
# repair run by node 3. Right after the heal it may fail, naming the peer it could not
# compare with yet; the first one that succeeds compared with both, and node 3 then holds
# every acknowledged write (checked below with the others stopped).
repaired() { client repair n3 >"$work/repair.out" 2>&1; }
wait_until "a repair by node 3 compared with both peers" 100 repaired
echo "after the heal: $(cat "$work/repair.out")"

# Node 3 alone: stop the others (connections to them are refused at once) and read every
# acknowledged write at ONE.
for n in 1 2; do
  kill -TERM "${pids[$n]}"
  wait "${pids[$n]}" || fail "node $n exited $? on SIGTERM"
  unset "pids[$n]"
done
lost=0
for entry in "${acked[@]}"; do
  key=${entry%%=*}
  want=${entry#*=}
  got=$(client --level one get "$key" 2>&1) || got="(exit $?: $got)"
  if [[ "$got" != "$want" ]]; then
    echo "node 3 alone: $key is '$got', acknowledged as '$want'"
    lost=$((lost + 1))
  fi
done
((lost == 0)) || fail "$lost of ${#acked[@]} acknowledged writes missing on node 3 after the heal"
echo "hosts ok: ${#acked[@]} acknowledged writes, all on node 3 after the heal"
