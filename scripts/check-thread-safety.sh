#!/usr/bin/env bash
# Clang's thread-safety analysis over ringkv's own sources: every GUARDED_BY field touched
# without its lock, every REQUIRES function called without it, is an error. Uses the compile
# commands of a configured build (default build-test) and clang's -fsyntax-only, so it costs
# a parse of each file, no code generation. A file with test-only code (#ifdef
# RINGKV_TEST_CLOCK / RINGKV_FAULT_INJECTION) is parsed a second time without those macros,
# so a production build that does not compile fails here too.
#   scripts/check-thread-safety.sh [build-dir]     (RINGKV_THREAD_SAFETY_ONLY=REGEX: those files only)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-test}
[[ -f "$build/compile_commands.json" ]] || { echo "check-thread-safety: configure $build first (cmake -B $build)" >&2; exit 2; }
command -v clang++-14 >/dev/null || { echo "check-thread-safety: clang++-14 missing (scripts/install-deps.sh installs it)" >&2; exit 2; }
# The generated capnp headers must exist: they come with the build.
python3 - "$build" "${RINGKV_THREAD_SAFETY_ONLY:-}" <<'PY' | xargs -0 -n 1 -P "$(nproc)" bash -c 'eval "$0"' || { echo "check-thread-safety: FAILED" >&2; exit 1; }
import json, os, re, shlex, sys
build = sys.argv[1]
only = re.compile(sys.argv[2]) if sys.argv[2] else None
TEST_ONLY = ("RINGKV_TEST_CLOCK", "RINGKV_FAULT_INJECTION")  # defined by test builds only
root = os.getcwd()
for entry in json.load(open(os.path.join(build, "compile_commands.json"))):
    src = os.path.relpath(entry["file"], root)
    if not src.startswith(("common/", "node/", "sdk/", "capnp/", "cli/")) or (only and not only.search(src)):
        continue
    args = shlex.split(entry["command"])
    keep = []
    skip = False
    for a in args[1:]:
        if skip:
            skip = False
            continue
        if a in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if a in ("-MD", "-MMD", "-c") or a.startswith("-fsanitize") or a == "ccache" or a.endswith("c++"):
            continue
        keep.append(a)
    # Other warnings are gcc's business (its build has -Werror); here only thread safety fails.
    cmd = ["clang++-14", "-fsyntax-only"] + [a for a in keep if a != "-Werror"] + [
        "-Wno-unknown-warning-option", "-Wthread-safety", "-Werror=thread-safety"]
    sys.stdout.write("cd " + shlex.quote(entry["directory"]) + " && " + " ".join(shlex.quote(c) for c in cmd) + "\0")
    # A source with test-only code is parsed once more as a production build (no tests, no
    # fault seam) compiles it: that configuration is built by packages and benches, not here.
    if any(m in open(os.path.join(root, src), errors="replace").read() for m in TEST_ONLY):
        prod = [a for a in cmd if not any(a == "-D" + m or a.startswith("-D" + m + "=") for m in TEST_ONLY)]
        prod += ["-U" + m for m in TEST_ONLY]
        sys.stdout.write("cd " + shlex.quote(entry["directory"]) + " && " + " ".join(shlex.quote(c) for c in prod) + "\0")
PY
echo "check-thread-safety: clean"
