#!/usr/bin/env bash
# Rebuild examples/my-flyte-project.tgz: the specs in examples/workflows written as the archive `pyflyte package`
# makes (TaskSpec/WorkflowSpec/LaunchPlan protobufs with {{ registration.* }} placeholders), so that every README
# command can be tried without a Python Flyte project at hand. `flytec package` output is deterministic: the same
# specs and compiler give the same bytes, so the committed archive changes only when they do.
#   bash examples/make-package.sh [path/to/flytec]
set -eu
cd "$(dirname "$0")/.."
flytec=${1:-bin/flytec}
"$flytec" package --placeholders -q examples/workflows -o examples/my-flyte-project.tgz 2>/dev/null
echo "examples/my-flyte-project.tgz: $(tar tzf examples/my-flyte-project.tgz | wc -l) entries, $(stat -c %s examples/my-flyte-project.tgz) bytes"
