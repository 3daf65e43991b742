#!/usr/bin/env bash
# Builds the Debian packages ringkv-node, ringkv-cli and libringkv-dev (cmake/Packaging.cmake)
# and prints their paths, one a line.
#   scripts/package.sh                      # Release build in build-package/, packages in dist/
#   scripts/package.sh --build-dir DIR      # package an already configured and built tree
#   scripts/package.sh --out DIR            # where the .deb files go
#   scripts/package.sh --revision N         # Debian revision (0.1.0-N): a rebuild to upgrade to
# Install: apt-get install ./dist/ringkv-node_*.deb ./dist/ringkv-cli_*.deb (docs/deployment.md).
set -euo pipefail
cd "$(dirname "$0")/.."

build=""
out=dist
revision=""
while (($#)); do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --revision) revision=$2; shift 2 ;;
    *) echo "package.sh: unknown option '$1' (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done

if [[ -z "$build" ]]; then
  scripts/install-deps.sh >&2
  build="build-package"
  launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  fi
  # /usr prefix at configure time: the libraries go to the multiarch directory (/usr/lib/x86_64-linux-gnu).
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF \
    -DRINGKV_BUILD_BENCH=OFF ${revision:+-DRINGKV_PACKAGE_REVISION=$revision} "${launcher[@]}" >&2
  ninja -C "$build" >&2
elif [[ ! -f "$build/CPackConfig.cmake" ]]; then
  echo "package.sh: $build is not a configured ringkv build tree (no CPackConfig.cmake)" >&2
  exit 2
elif [[ -n "$revision" ]]; then
  cmake "$build" -DRINGKV_PACKAGE_REVISION="$revision" >&2
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
# cpack builds the tree first (its preinstall step), stages each component and runs
# dpkg-shlibdeps on the binaries for the runtime dependencies.
(cd "$build" && cpack -G DEB -B "$out" >&2)
rm -rf "$out/_CPack_Packages"
ls "$out"/ringkv-node_*.deb "$out"/ringkv-cli_*.deb "$out"/libringkv-dev_*.deb
