#!/usr/bin/env bash
# make bench: every component's benchmark that exists. Each prints ratios against a baseline from the same run,
# and records the product's targets with bench_target (bench/lib.sh); the table of them all ends the output.
set -u
cd "$(dirname "$0")/.." || exit 2
status=0
export FLYTEC_BENCH_TARGETS
FLYTEC_BENCH_TARGETS=$(mktemp "${TMPDIR:-/tmp}/flytec-bench-targets.XXXXXX")
trap 'rm -f "$FLYTEC_BENCH_TARGETS"' EXIT
for b in bench/*/run.sh; do
  echo "== $b"
  bash "$b" || status=1
done
echo "== targets measured in this run (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
awk -F'\t' '{ printf "%-58s %10s  %-2s %-8s %-12s %s\n", $1, $2, $3, $4, $5, $6 }' "$FLYTEC_BENCH_TARGETS"
exit "$status"
