#!/usr/bin/env bash
# Run each cmocka unit-test binary given on the command line from the project root; print a summary line.
set -u
cd "$(dirname "$0")/.." || exit 2
passed=0 failed=0
for t in "$@"; do
  if "$t" > "build/$(basename "$t").log" 2>&1; then
    passed=$((passed + 1))
    echo "ok   $(basename "$t")"
  else
    failed=$((failed + 1))
    echo "FAIL $(basename "$t") (log: build/$(basename "$t").log)"
    tail -n 30 "build/$(basename "$t").log" | sed 's/^/     /'
  fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
