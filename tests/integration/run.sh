#!/usr/bin/env bash
# Run every *_test.sh in a suite directory (default tests/integration; each starts and stops what it needs) and
# print "SUITE: N passed, N failed". Logs go to build/<name>.log.
set -u
cd "$(dirname "$0")/../.." || exit 2
dir=${1:-tests/integration}
label=$(basename "$dir")
limit=${SUITE_TIMEOUT:-600}
passed=0 failed=0
mkdir -p build
for t in "$dir"/*_test.sh; do
  [ -e "$t" ] || continue
  name=$(basename "$t" .sh)
  if timeout "$limit" bash "$t" > "build/$name.log" 2>&1; then
    passed=$((passed + 1))
    echo "ok   $name ($(tail -n 1 "build/$name.log"))"
  else
    failed=$((failed + 1))
    echo "FAIL $name (log: build/$name.log)"
    tail -n 30 "build/$name.log" | sed 's/^/     /'
  fi
done
echo "$label: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
