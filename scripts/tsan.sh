#!/usr/bin/env bash
# ThreadSanitizer run: the unit tests and the quorum, failure, membership and resurrection
# cluster tests with every thread hand-off checked, KJ's included. Exits non-zero on any
# report, from a test process or from a kvnode/kv it started.
#   scripts/tsan.sh                 # build what is missing, run everything
#   scripts/tsan.sh --capnp-only    # only build (or find cached) the instrumented Cap'n Proto
#   scripts/tsan.sh --unit-only     # skip the cluster tests
#
# Why Cap'n Proto is rebuilt: Debian's libkj/libcapnp are not instrumented, so TSan does not
# see the atomics that order KJ's cross-thread hand-offs (kj::Mutex is a futex plus atomics,
# executor queues, Own<> refcounts) and reports races that are not there. This script fetches
# Debian's own `capnproto` source package (the version of the installed libcapnp-dev), builds
# its C++ tree with clang-14 -fsanitize=thread and installs it into a cache prefix:
#   ${RINGKV_TSAN_CACHE:-$HOME/.cache/ringkv-tsan}/capnp-<version>-<flags hash>/
# Built once per version and flags (~20 min on 2 shared cores), then reused. ringkv is built
# against it in build-tsan/ (RINGKV_TSAN=ON, the same compiler and flags).
#
# Suppressions: tests/tsan.supp, each with its reason. TSan reports of a child process go to
# build-tsan/tsan-reports/<name>.<pid> (TSAN_OPTIONS log_path), which must stay empty.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

mode=all
while (($#)); do
  case "$1" in
    --capnp-only) mode=capnp; shift ;;
    --unit-only) mode=unit; shift ;;
    *) echo "tsan.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
jobs=${RINGKV_TSAN_JOBS:-2}
export CC=clang-14 CXX=clang++-14
# One set of flags for Cap'n Proto and ringkv: -O1 keeps TSan's slowdown moderate, -g1 gives
# the line tables that reports need. Changing them changes the cache key below.
TSAN_FLAGS="-fsanitize=thread -O1 -g1 -fno-omit-frame-pointer"
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
start=$(date +%s)

# apt-get source needs deb-src entries; Debian's deb822 file lists only `Types: deb`.
enable_deb_src() {
  local f=/etc/apt/sources.list.d/debian.sources
  [[ -f "$f" ]] || { echo "tsan.sh: $f not found; add a deb-src line for bookworm yourself" >&2; exit 1; }
  if grep -q '^Types:.*\bdeb-src\b' "$f"; then return 0; fi
  echo "tsan.sh: adding deb-src to Types: in $f"
  $SUDO sed -i -E 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb deb-src/' "$f"
  $SUDO apt-get update -qq
}

# TSan (clang 14) does not model a standalone __atomic_thread_fence. KJ's refcounts drop with
# a release decrement and then an acquire fence before `delete this` (the Boost/libc++ idiom),
# so TSan misses the edge from the other threads' last use to the deletion and reports a race
# on the vptr or the fields (seen: ~Client's executeSync drops an Executor ref on the caller
# thread, ~EventLoop frees it on the loop thread). An acquire-release decrement orders the same
# accesses (it is stronger, not weaker) and TSan understands it: rewritten in the copy we build
# instead of a suppression that would also hide real races on those objects. PATCHES is part
# of the cache key.
PATCHES="refcount-acq-rel"
patch_capnp() {  # source dir
  local f
  for f in "$1/src/kj/refcount.c++" "$1/src/kj/thread.c++"; do
    sed -i -E 's/__atomic_sub_fetch\(&refcount, 1, __ATOMIC_RELEASE\)/__atomic_sub_fetch(\&refcount, 1, __ATOMIC_ACQ_REL)/' "$f"
    grep -q '__atomic_sub_fetch(&refcount, 1, __ATOMIC_ACQ_REL)' "$f" ||
      { echo "tsan.sh: could not patch $f (another Cap'n Proto version?)" >&2; exit 1; }
  done
}

# Prints the prefix of an instrumented Cap'n Proto, building it first if it is not cached.
build_capnp() {
  local version upstream key cache prefix src build
  version=$(dpkg-query -W -f='${Version}' libcapnp-dev)  # e.g. 0.9.2-2
  upstream=${version%-*}
  key=$(printf '%s|%s|%s|%s' "$version" "$($CXX --version | head -1)" "$TSAN_FLAGS" "$PATCHES" | sha256sum | cut -c1-12)
  cache=${RINGKV_TSAN_CACHE:-$HOME/.cache/ringkv-tsan}
  prefix=$cache/capnp-$upstream-$key
  if [[ -f "$prefix/.built" ]]; then
    echo "tsan.sh: instrumented Cap'n Proto $version cached in $prefix" >&2
    echo "$prefix"
    return
  fi
  enable_deb_src
  mkdir -p "$cache/src"
  src=$cache/src/capnproto-$upstream
  if [[ ! -f "$src/CMakeLists.txt" ]]; then
    echo "tsan.sh: fetching Debian source capnproto=$version" >&2
    (cd "$cache/src" && apt-get source -qq --only-source "capnproto=$version" >&2)
  fi
  # Debian's orig tarball is upstream's C++ release tarball: the c++/ tree at its top.
  [[ -f "$src/CMakeLists.txt" ]] || { echo "tsan.sh: no $src/CMakeLists.txt" >&2; exit 1; }
  patch_capnp "$src"
  build=$cache/build-$upstream  # one per version, so that ccache (keyed on the directory) hits on a rebuild
  echo "tsan.sh: building Cap'n Proto $version with $TSAN_FLAGS into $prefix" >&2
  local t0
  t0=$(date +%s)
  # Shared libraries with the same sonames as Debian's; everything linked against them gets
  # a RUNPATH to $prefix/lib, so it loads these and not the uninstrumented ones.
  cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="$TSAN_FLAGS" \
    -DCMAKE_C_FLAGS="$TSAN_FLAGS" -DBUILD_SHARED_LIBS=ON -DBUILD_TESTING=OFF -DWITH_OPENSSL=ON \
    -DWITH_ZLIB=ON -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
    -DCMAKE_INSTALL_RPATH="$prefix/lib" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >&2
  nice ninja -C "$build" -j "$jobs" >&2
  cmake --install "$build" >&2
  touch "$prefix/.built"
  echo "tsan.sh: Cap'n Proto built in $(( $(date +%s) - t0 ))s" >&2
  echo "$prefix"
}

prefix=$(build_capnp)
[[ "$mode" == capnp ]] && exit 0

# ringkv against that prefix: CMAKE_PREFIX_PATH for find_package(CapnProto), PKG_CONFIG_PATH
# for the pkg-config modules (capnp-rpc, kj-tls); both come before /usr.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
echo "=== tsan: configure + build (build-tsan)"
# CMake caches what find_package and pkg_check_modules found: start afresh on another prefix.
if [[ -f build-tsan/CMakeCache.txt && "$(cat build-tsan/capnp-prefix 2>/dev/null)" != "$prefix" ]]; then
  rm -f build-tsan/CMakeCache.txt
fi
mkdir -p build-tsan
echo "$prefix" >build-tsan/capnp-prefix
cmake -S . -B build-tsan -G Ninja -DRINGKV_TSAN=ON -DRINGKV_WERROR=ON -DRINGKV_BUILD_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g1" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_INSTALL_RPATH_USE_LINK_PATH=ON -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
  -DCMAKE_C_COMPILER_LAUNCHER=ccache >/dev/null
t0=$(date +%s)
nice ninja -C build-tsan -j "$jobs"
echo "=== tsan: build took $(( $(date +%s) - t0 ))s"
# Refuse a build that would load the uninstrumented libkj: every report would be suspect.
if ! ldd build-tsan/node/kvnode | grep -q "libkj-async.*=> $prefix/lib/"; then
  echo "tsan.sh: build-tsan/node/kvnode does not load libkj-async from $prefix:" >&2
  ldd build-tsan/node/kvnode >&2
  exit 1
fi

reports=$root/build-tsan/tsan-reports
rm -rf "$reports"
mkdir -p "$reports"
# log_path: each process (test, kvnode, kv, sample) writes its reports to its own file, so a
# report in a node the test kills is still seen. halt_on_error: the first report ends it.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp log_path=$reports/tsan"
export RINGKV_CHAOS_SECONDS=${RINGKV_CHAOS_SECONDS:-10}
failed=0
echo "=== tsan: unit tests"
t0=$(date +%s)
# Left out: the 1000-node gossip simulation, one thread and no I/O, so nothing for TSan to
# check, and past its 300 s timeout when instrumented (over 6 min here).
nice ctest --test-dir build-tsan -E 'cluster:|chaos:|gossip among 1000 simulated nodes' -j "$jobs" \
  --timeout 600 --output-on-failure || failed=1
echo "=== tsan: unit tests took $(( $(date +%s) - t0 ))s"
if [[ "$mode" == all ]]; then
  echo "=== tsan: cluster tests (quorum, failure, membership, resurrection) under the cluster lock"
  t0=$(date +%s)
  for t in quorum_test failure_test membership_test resurrection_test; do
    # One binary at a time, each case in turn (ctest's names do not say which binary);
    # the lock is held for one binary only (a few minutes), never while building.
    t1=$(date +%s)
    flock /tmp/ringkv-cluster-tests.lock bash -c 't=$(date +%s); nice "$1" >"$2.out" 2>&1; rc=$?
      echo $(( $(date +%s) - t )) >"$2.secs"; exit $rc' _ "build-tsan/tests/$t" "build-tsan/$t" ||
      { failed=1; tail -60 "build-tsan/$t.out"; }
    echo "$t: $(grep -E '^(All tests passed|test cases:)' "build-tsan/$t.out" | tail -1)" \
      "($(cat "build-tsan/$t.secs")s, $(( $(date +%s) - t1 ))s with the wait for the lock)"
  done
  echo "=== tsan: cluster tests took $(( $(date +%s) - t0 ))s"
fi

if compgen -G "$reports/tsan.*" >/dev/null; then
  for f in "$reports"/tsan.*; do
    echo "--- $f"
    head -80 "$f"
  done
  echo "tsan.sh: ThreadSanitizer reports above ($(ls "$reports" | wc -l) files in $reports)" >&2
  exit 1
fi
((failed == 0)) || { echo "tsan.sh: tests failed (no TSan report)" >&2; exit 1; }
echo "=== tsan: no reports, all tests passed in $(( $(date +%s) - start ))s"
