#!/usr/bin/env bash
# Fails, listing the files, when a tracked C++ source differs from .clang-format (Google based,
# 120 columns). scripts/test.sh runs it first. To fix: scripts/check-format.sh --fix
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t sources < <(git ls-files '*.cc' '*.h')
if [[ "${1:-}" == "--fix" ]]; then
  clang-format-14 -i "${sources[@]}"
  exit 0
fi
bad=()
for f in "${sources[@]}"; do
  clang-format-14 --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  echo "check-format: ${#bad[@]} file(s) differ from .clang-format (scripts/check-format.sh --fix):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "check-format: ${#sources[@]} files follow .clang-format"
