#!/usr/bin/env bash
# Run every tests/integration/*_test.sh (each starts and stops what it needs); print "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 2
passed=0 failed=0
for t in tests/integration/*_test.sh; do
  [ -e "$t" ] || continue
  name=$(basename "$t" .sh)
  if timeout 600 bash "$t" > "build/$name.log" 2>&1; then
    passed=$((passed + 1))
    echo "ok   $name ($(tail -n 1 "build/$name.log"))"
  else
    failed=$((failed + 1))
    echo "FAIL $name (log: build/$name.log)"
    tail -n 30 "build/$name.log" | sed 's/^/     /'
  fi
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
