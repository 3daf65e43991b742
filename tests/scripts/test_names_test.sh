#!/usr/bin/env bash
# catch_discover_tests hands each Catch2 test name to ctest, which splits a name at ';' into a
# filter that matches no test: such a test case "passes" having run nothing. This check
# fails on any TEST_CASE or SCENARIO name holding a ';' and names the lines.
#   test_names_test.sh SOURCE_DIR
set -euo pipefail
cd "$1"
if bad=$(grep -rnE '(TEST_CASE|SCENARIO)\("[^"]*;' tests); then
  echo "test names with ';' never run under ctest; rename them:"
  echo "$bad"
  exit 1
fi
echo "test names ok"
