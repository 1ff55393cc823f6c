#!/usr/bin/env bash
# make test: every suite, in order; fails if any fails. Each suite prints its own "N passed, N failed" line.
set -u
cd "$(dirname "$0")/.." || exit 2
status=0
bash tests/run-unit.sh $(ls build/tests/test_* 2>/dev/null | grep -v '\.log$') || status=1
[ -f tests/golden/run.sh ] && { bash tests/golden/run.sh || status=1; }
[ -f tests/integration/run.sh ] && { bash tests/integration/run.sh || status=1; }
if [ "$status" -eq 0 ]; then echo "make test: all suites passed"; else echo "make test: FAILED"; fi
exit "$status"
