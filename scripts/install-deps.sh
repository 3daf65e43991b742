#!/usr/bin/env bash
# Installs every Debian package ringkv's build, tests and benchmarks need.
# Idempotent: packages already present are skipped, and `apt-get update` runs at most once.
set -euo pipefail

PACKAGES=(
  cmake g++ ninja-build pkg-config
  ccache                  # scripts/test.sh reuses objects across builds and clones (CI compiles less)
  libcapnp-dev capnproto
  libboost1.81-dev libboost-json1.81-dev
  catch2 libcli11-dev
  libxxhash-dev liblz4-dev libzstd-dev libspdlog-dev libfmt-dev
  libedit-dev             # line editing and history in the kv shell (BSD licence, readline API)
  iptables                # network partitions between 127.0.0.x nodes in the fault tests
  chromium chromium-driver  # the dashboard test drives a real headless browser (WebDriver)
  curl                    # the demo reads the admin endpoint
  dpkg-dev file           # scripts/package.sh: CPack's DEB generator runs dpkg-shlibdeps (and file)
  adduser                 # ringkv-node's maintainer scripts create the ringkv system user
  systemd                 # systemd-analyze verify on the packaged unit (runs without systemd as PID 1)
  iproute2                # the multi-host test: network namespaces, veth pairs, a bridge
  openssl                 # scripts/make-certs.sh: a test CA and node/client certificates for TLS
  clang-14 libclang-rt-14-dev  # libFuzzer for scripts/fuzz.sh; the thread-safety analysis
  clang-format-14         # scripts/check-format.sh: the code keeps .clang-format (Google, 120 columns)
  redis-server redis-tools  # benchmark baseline only (bench/cluster_bench)
  librocksdb-dev          # benchmark baseline only (bench/storage_bench)
  python3-dev python3-pybind11 python3-setuptools python3-pip  # the Python package (python/, pip install .)
  python3-pytest          # its tests against a local cluster (python/tests, run by ctest)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
