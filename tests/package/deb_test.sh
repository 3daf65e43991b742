#!/usr/bin/env bash
# The Debian packages on this machine: builds them from a built tree with scripts/package.sh,
# installs them with dpkg -i, and checks what a host gets: the ringkv system user owning
# /var/lib/ringkv, /etc/ringkv/node.json as a conffile, a unit that `systemd-analyze verify`
# accepts (offline: systemd need not be PID 1), a node started as the ringkv user from the
# unit's own ExecStart line and the installed config (only its address and data directory
# overridden, to a free 127.0.0.10 port and a scratch directory), a put and get with the
# installed kv, an app built against the installed SDK (find_package(ringkv) from /usr), a
# clean stop on SIGTERM, and dpkg -r keeping the conffile that --purge removes.
# systemctl is not used: this machine (a container) does not run systemd; the node is
# started the way the unit would start it, as its User= with its ExecStart.
# On any exit the node is killed, the packages purged, and the user and /var/lib/ringkv
# removed if this test created them.
#   deb_test.sh BUILD_DIR [extra CMake args for the app, e.g. sanitizer flags]
set -euo pipefail
build=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
packages=(ringkv-node ringkv-cli libringkv-dev)

if [[ $(id -u) -ne 0 ]] || ! command -v dpkg >/dev/null; then
  echo "deb_test: needs root and dpkg (installs packages on this machine): skipped"
  exit 77
fi
# One run at a time on this machine (the packages, the user and /var/lib/ringkv are global).
exec 9>/tmp/ringkv-deb-test.lock
flock -w 600 9 || { echo "deb_test: another run holds /tmp/ringkv-deb-test.lock"; exit 1; }
for p in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "installed"; then
    echo "deb_test: $p is installed on this machine already; not touching it (dpkg --purge it to run this test)"
    exit 1
  fi
done
command -v systemd-analyze >/dev/null || "$repo/scripts/install-deps.sh"

work=$(mktemp -d /tmp/ringkv-deb.XXXXXX)
chmod 755 "$work"
user_existed=0
getent passwd ringkv >/dev/null && user_existed=1
group_existed=0
getent group ringkv >/dev/null && group_existed=1
state_existed=0
[[ -e /var/lib/ringkv ]] && state_existed=1
data=/var/lib/ringkv/deb-test-$$
node_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$node_pid" ]]; then kill -9 "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; fi
  dpkg --purge "${packages[@]}" >/dev/null 2>&1 || true
  rm -rf "$data"
  ((state_existed)) || rm -rf /var/lib/ringkv
  ((user_existed)) || userdel ringkv 2>/dev/null || true
  ((group_existed)) || groupdel ringkv 2>/dev/null || true
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
fail() {
  echo "deb_test: $*"
  exit 1
}

"$repo/scripts/package.sh" --build-dir "$build" --out "$work/debs" >"$work/package.log" 2>&1 \
  || { tail -30 "$work/package.log"; fail "scripts/package.sh failed"; }
debs=("$work"/debs/*.deb)
((${#debs[@]} == 3)) || fail "expected 3 packages, got: ${debs[*]}"
# Runtime dependencies from dpkg-shlibdeps (the Cap'n Proto the binaries link), the dev
# package's from cmake/Packaging.cmake.
for deb in "$work"/debs/ringkv-node_*.deb "$work"/debs/ringkv-cli_*.deb; do
  dpkg-deb -f "$deb" Depends | grep -q "libcapnp-" || fail "$deb: no Cap'n Proto runtime dependency"
done
dpkg-deb -f "$work"/debs/libringkv-dev_*.deb Depends | grep -q "libcapnp-dev" || fail "libringkv-dev: no libcapnp-dev dependency"
dpkg -i "${debs[@]}" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i failed"; }

# What the maintainer scripts and the package set up.
getent passwd ringkv | grep -q ":/var/lib/ringkv:/usr/sbin/nologin$" || fail "no ringkv system user: $(getent passwd ringkv)"
[[ $(stat -c %U:%G:%a /var/lib/ringkv) == ringkv:ringkv:750 ]] || fail "/var/lib/ringkv is $(stat -c %U:%G:%a /var/lib/ringkv)"
dpkg-query -W -f='${Conffiles}\n' ringkv-node | grep -q "/etc/ringkv/node.json" || fail "node.json is not a conffile"
unit=/usr/lib/systemd/system/ringkv-node.service
[[ -f "$unit" ]] || fail "no $unit"
[[ -x /usr/bin/kvnode && -x /usr/bin/kv && -f /usr/include/ringkv/client.h ]] || fail "files missing"
verify=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $verify"
[[ -z "$verify" ]] || fail "systemd-analyze verify printed warnings: $verify"
# The hardening, as systemd rates it (0 = fully confined, 10 = not at all).
exposure=$(systemd-analyze security --offline=true "$unit" 2>&1 | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security: exposure $exposure"
python3 -c "import sys; sys.exit(0 if float('${exposure:-10}') <= 2.0 else 1)" || fail "exposure ${exposure:-?} > 2.0"

# The node, as the unit starts it: its user, its ExecStart, the installed config.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[[ "$exec_start" == "/usr/bin/kvnode --config /etc/ringkv/node.json" ]] || fail "unexpected ExecStart '$exec_start'"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.10", 0)); print(s.getsockname()[1])')
admin=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.10", 0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086  # ExecStart is a command line
setpriv --reuid ringkv --regid ringkv --init-groups $exec_start --listen "127.0.0.10:$port" \
  --seeds "node1@127.0.0.10:$port" --admin "127.0.0.10:$admin" --data "$data" >"$work/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 1 150); do
  grep -q "ready on" "$work/node.log" && break
  kill -0 "$node_pid" 2>/dev/null || { cat "$work/node.log"; fail "kvnode exited while starting"; }
  sleep 0.1
done
grep -q "ready on" "$work/node.log" || { cat "$work/node.log"; fail "kvnode not ready within 15 s"; }
[[ $(stat -c %U "$data") == ringkv ]] || fail "the data directory belongs to $(stat -c %U "$data"), not ringkv"
[[ $(ps -o user= -p "$node_pid") == ringkv ]] || fail "kvnode runs as $(ps -o user= -p "$node_pid")"

# The installed kv, once with --cluster and once with RINGKV_CLUSTER.
/usr/bin/kv --cluster "127.0.0.10:$port" --n 1 put deb:key "from the package" >"$work/kv.log" 2>&1 \
  || { cat "$work/kv.log"; fail "kv put failed"; }
got=$(RINGKV_CLUSTER="127.0.0.10:$port" /usr/bin/kv --n 1 get deb:key 2>&1) || fail "kv get failed: $got"
[[ "$got" == "from the package" ]] || fail "kv get printed '$got'"

# An application against the installed SDK: /usr is on CMake's default search path.
if ! cmake -S "$here/app" -B "$work/app" -G Ninja "$@" >"$work/app.log" 2>&1 ||
  ! cmake --build "$work/app" >>"$work/app.log" 2>&1; then
  cat "$work/app.log"
  fail "the app did not build against the installed SDK"
fi
"$work/app/app" "127.0.0.10:$port" | grep -q "app ok" || fail "the app failed against the node"

kill -TERM "$node_pid"
status=0
wait "$node_pid" || status=$?
node_pid=""
((status == 0)) || { cat "$work/node.log"; fail "kvnode exited $status on SIGTERM"; }

dpkg -r "${packages[@]}" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -r failed"; }
[[ ! -e /usr/bin/kvnode && -f /etc/ringkv/node.json ]] || fail "dpkg -r: binaries stay or the conffile went"
dpkg --purge "${packages[@]}" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg --purge failed"; }
[[ ! -e /etc/ringkv ]] || fail "dpkg --purge left /etc/ringkv"
echo "deb ok"
