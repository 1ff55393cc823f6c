#!/usr/bin/env bash
# make test: every suite, in order; fails if any fails. Each suite prints its own "N passed, N failed" line.
set -u
cd "$(dirname "$0")/.." || exit 2
status=0
# the unit-test binaries (not their .d dependency files or logs)
bash tests/run-unit.sh $(find "${BUILD:-build}/tests" -maxdepth 1 -type f -name 'test_*' ! -name '*.*' -perm -u+x 2>/dev/null | sort) || status=1
[ -f tests/golden/run.sh ] && { bash tests/golden/run.sh || status=1; }
[ -f tests/integration/run.sh ] && { bash tests/integration/run.sh || status=1; }
if [ "$status" -eq 0 ]; then echo "make test: all suites passed"; else echo "make test: FAILED"; fi
exit "$status"
