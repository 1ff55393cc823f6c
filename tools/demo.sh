#!/usr/bin/env bash
# make demo: the main job on the embedded defaults, start to finish, on examples/workflows/.
set -u
cd "$(dirname "$0")/.." || exit 2
flytec=${FLYTEC:-bin/flytec}
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
has_cmd() { "$flytec" help 2>/dev/null | grep -q "^  $1 "; }

out=$(mktemp -d "${TMPDIR:-/tmp}/flytec-demo-out.XXXXXX")
trap 'rm -rf "$out"' EXIT
step "flytec compile -o OUT examples/workflows  (every spec checked, compiled to Flyte IDL protobufs)"
"$flytec" compile -o "$out" examples/workflows || exit 1
(cd "$out" && find . -name '*.pb' | sort | sed 's/^/  /')

step "flytec compile examples/workflows  (the canonical text of one workflow; golden tests diff this form)"
"$flytec" compile examples/workflows | awk '/^workflow .*\/train_and_publish@/ { on = 1 } on && /^$/ { exit } on'

if [ -d examples/broken ]; then
  step "flytec compile examples/broken  (a spec with mistakes: every error at once, with positions)"
  "$flytec" compile --color always examples/broken
  echo "(exit status $? = spec errors, as expected)"
fi

step "flytec compile --emit dot  (the DAGs, for Graphviz)"
"$flytec" compile --emit dot examples/workflows | head -n 12
echo "..."

if has_cmd schedule; then
  step "flytec schedule next  (when would a cron fire?)"
  "$flytec" schedule next "0 3 * * MON-FRI" --tz Europe/Berlin -n 3 --from 2026-03-27T00:00:00Z
fi

if has_cmd run && [ -f examples/workflows/hello.yaml ]; then
  step "flytec run examples/workflows/hello.yaml  (execute locally, no server)"
  "$flytec" run examples/workflows/hello.yaml --input name=flytec
fi

if has_cmd serve && [ -x tools/demo-serve.sh ]; then
  step "flytec serve  (admin API + watched repository + scheduler)"
  bash tools/demo-serve.sh "$flytec"
fi
