#!/usr/bin/env bash
# make test: every suite, in order; fails if any fails. Each suite prints its own "N passed, N failed" line; the
# last line totals them. (The Kubernetes suite once ran beside the others; the browser test of Flyte's console then
# failed to render a page under the load, so they run one after the other.)
set -u
cd "$(dirname "$0")/.." || exit 2
status=0 total_pass=0 total_fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
suite() { # suite COMMAND...: run it, echo its output, add its summary line to the totals
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]} line
  line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  total_pass=$((total_pass + $(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"${line:-0 passed}")))
  total_fail=$((total_fail + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"${line:-x 0 failed}")))
  [ "$rc" -eq 0 ] || status=1
}
# the unit-test binaries (not their .d dependency files or logs)
suite bash tests/run-unit.sh $(find "${BUILD:-build}/tests" -maxdepth 1 -type f -name 'test_*' ! -name '*.*' -perm -u+x 2>/dev/null | sort)
suite bash tests/golden/run.sh
suite bash tests/integration/run.sh tests/integration
suite bash tests/integration/run.sh tests/faults
suite bash tests/integration/run.sh tests/k8s
if [ "$status" -eq 0 ]; then echo "make test: all suites passed"; else echo "make test: FAILED"; fi
echo "tests: $total_pass passed, $total_fail failed"
exit "$status"
