#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through ctest:
# once in a normal build, once under AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/test.sh            # both builds
#   scripts/test.sh --quick    # normal build only
# Warnings are errors here (RINGKV_WERROR=ON). Build dirs: build-test/, build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[[ "${1:-}" == "--quick" ]] && quick=1

scripts/install-deps.sh
scripts/check-format.sh  # seconds; before the long builds
jobs=$(nproc)
# ccache keyed on paths relative to the checkout: a fresh clone (CI) reuses what any earlier
# build on this machine compiled.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
# The sanitized build has line tables (-g1), which make ccache hash the build directory
# unless told not to: without this a new clone recompiled all of it.
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)

run_suite() {  # name, build dir, extra cmake args...
  local name=$1 dir=$2
  shift 2
  echo "=== ${name}: configure + build (${dir})"
  cmake -S . -B "$dir" -G Ninja -DRINGKV_WERROR=ON -DRINGKV_BUILD_BENCH=OFF "${launcher[@]}" "$@" >/dev/null
  ninja -C "$dir" -j "$jobs"
  echo "=== ${name}: tests"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600
}

start=$(date +%s)
# No debug info in the first build and only line tables in the sanitized one: compiling
# dominates CI time on 2 cores, and full -g costs a good part of it.
run_suite "release" build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG"
echo "=== clang thread-safety analysis (GUARDED_BY / REQUIRES)"
scripts/check-thread-safety.sh build-test
if ((quick == 0)); then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # The release pass already ran 30 + 20 s of faults; here the chaos runs look for memory errors.
  export RINGKV_CHAOS_SECONDS=${RINGKV_CHAOS_SECONDS:-15}
  export RINGKV_CHAOS_TARGETED_SECONDS=${RINGKV_CHAOS_TARGETED_SECONDS:-10}
  run_suite "asan+ubsan" build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g1" -DRINGKV_SANITIZE=ON
fi
echo "=== all test suites passed in $(( $(date +%s) - start ))s"
