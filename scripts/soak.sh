#!/usr/bin/env bash
# A long chaos run: the same clients, nemesis and checker as tests/chaos/chaos_test, with
# faults for --minutes (default 10). Prints ops, faults injected and violations; exits
# non-zero on any violation.
#   scripts/soak.sh [--minutes 10]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=10
while (($#)); do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    *) echo "soak.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$minutes" =~ ^[0-9]+$ && "$minutes" -gt 0 ]] || { echo "soak.sh: --minutes must be a positive integer" >&2; exit 2; }

scripts/install-deps.sh
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRINGKV_BUILD_BENCH=OFF >/dev/null
ninja -C build-test chaos_test kvnode
start=$(date +%s)
# Catch2 test specs split at commas (hence the escapes); --warn NoTests fails a run that
# matched nothing instead of passing it.
log=build-test/soak.log
rc=0
RINGKV_CHAOS_SECONDS=$((minutes * 60)) build-test/tests/chaos/chaos_test --warn NoTests \
  'under kill -9\, pauses\, partitions and wiped restarts no acknowledged write is lost' >"$log" 2>&1 || rc=$?
grep -E "^chaos:|passed|failed|No tests ran" "$log" || true
if ((rc != 0)); then
  echo "soak: FAILED (exit $rc); the failure, from $log:"
  grep -E -A12 "FAILED|violation" "$log" | head -60
  exit "$rc"
fi
echo "soak: ${minutes} min of faults, $(( $(date +%s) - start ))s in all"
