#!/usr/bin/env bash
# Fuzzes every target under tests/fuzz/ with libFuzzer (clang, ASan + UBSan), each for
# --seconds (default 60), starting from the committed corpus. Prints each target's
# executions and corpus size; exits non-zero on the first crash, leak or timeout (the
# reproducer is left in build-fuzz/crashes/).
#   scripts/fuzz.sh [--seconds 60] [--target wal_fuzz] [--merge] [--reseed]
#     --merge    add the inputs that found new coverage to tests/fuzz/corpus/ (commit them)
#     --reseed   rewrite the seed inputs (tests/fuzz/make_seeds) before fuzzing
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
only=""
merge=0
reseed=0
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --target) only=$2; shift 2 ;;
    --merge) merge=1; shift ;;
    --reseed) reseed=1; shift ;;
    *) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
targets=()
for f in tests/fuzz/*_fuzz.cc; do
  name=$(basename "$f" .cc)
  [[ -z "$only" || "$only" == "$name" ]] && targets+=("$name")
done
((${#targets[@]})) || { echo "fuzz.sh: no target named $only" >&2; exit 2; }

CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRINGKV_FUZZ=ON \
  -DRINGKV_BUILD_BENCH=OFF >/dev/null
ninja -C build-fuzz "${targets[@]}" make_seeds
if ((reseed)); then build-fuzz/tests/fuzz/make_seeds tests/fuzz/corpus; fi

mkdir -p build-fuzz/crashes
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "${targets[@]}"; do
  work=$(mktemp -d /tmp/ringkv-fuzz-corpus.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  cp -r "tests/fuzz/corpus/$t/." "$work/" 2>/dev/null || true
  echo "=== $t: ${seconds}s"
  "build-fuzz/tests/fuzz/$t" "$work" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$t-" 2>"build-fuzz/$t.log" ||
    { tail -40 "build-fuzz/$t.log"; echo "fuzz.sh: $t FAILED (reproducer in build-fuzz/crashes/)"; exit 1; }
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/$t.log" | grep -o '[0-9]*$' || echo "?")
  echo "$t: clean, $execs executions, corpus $(ls "$work" | wc -l) inputs"
  if ((merge)); then
    "build-fuzz/tests/fuzz/$t" -merge=1 "tests/fuzz/corpus/$t" "$work" 2>/dev/null
  fi
  rm -rf "$work"
done
echo "fuzz.sh: all ${#targets[@]} targets clean for ${seconds}s each"
