#!/usr/bin/env bash
# make bench: every component's benchmark that exists. Each prints ratios against a baseline from the same run.
set -u
cd "$(dirname "$0")/.." || exit 2
status=0
for b in bench/*/run.sh; do
  echo "== $b"
  bash "$b" || status=1
done
exit "$status"
