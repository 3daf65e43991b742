#!/usr/bin/env bash
# A long chaos run: the same clients, nemesis and checker as tests/chaos/chaos_test, with
# faults for --minutes (default 10) in all: half for the run with every fault kind
# (register workload), half for the run with pauses and partitions aimed at the keys'
# primary replicas (register and delete workloads). Prints ops, faults injected and
# violations; exits non-zero on any violation.
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
log=build-test/soak.log
: >"$log"
failed=0
# Runs one case of chaos_test with `seconds` of faults in the environment variable it
# reads; a failing case is reported at the end. Catch2 test specs split at commas (hence
# the escapes); --warn NoTests fails a run that matched nothing instead of passing it.
run_case() {
  local seconds_var=$1 seconds=$2 name=$3 rc=0
  env "$seconds_var=$seconds" build-test/tests/chaos/chaos_test --warn NoTests "$name" >>"$log" 2>&1 || rc=$?
  ((rc == 0)) || failed=$rc
}
all_kinds=$((minutes * 30))
run_case RINGKV_CHAOS_SECONDS "$all_kinds" \
  'under kill -9\, pauses\, partitions and wiped restarts no acknowledged write is lost\, and no deleted or expired value comes back'
run_case RINGKV_CHAOS_TARGETED_SECONDS $((minutes * 60 - all_kinds)) \
  "register and delete workloads: no value an acknowledged write replaced comes back while the keys' primary replicas are paused and cut off"
grep -E "^chaos:|^test cases|^assertions|^All tests passed|No tests ran" "$log" || true
if ((failed != 0)); then
  echo "soak: FAILED (exit $failed); the failures, from $log:"
  grep -E -A12 "FAILED|violations \(" "$log" | head -80
  exit "$failed"
fi
echo "soak: ${minutes} min of faults, $(( $(date +%s) - start ))s in all"
