#!/usr/bin/env bash
# schedule_lib.sh: what the schedule suites (tests/integration/schedule_*_test.sh) share, sourced after admin_lib.sh.

# sch_tick_spec PROJECT [label]: print the head of a schedule suite's spec, up to and including `launch_plans:`:
# task `stamp` (an echo of its inputs) and workflow `tick`, whose datetime input `at` is what a schedule's
# kickoff_input names. With `label`, both also take a string input `label` (a fixed input of the plan). The caller
# appends its launch plans.
sch_tick_spec() {
	local project=$1 ins="{at: datetime}" node="{at: !ref inputs.at}"
	if [ "${2:-}" = label ]; then
		ins="{at: datetime, label: string}"
		node="{at: !ref inputs.at, label: !ref inputs.label}"
	fi
	cat <<YAML
project: $project
tasks:
  - name: stamp
    type: echo
    inputs: $ins
    outputs: $ins
workflows:
  - name: tick
    inputs: $ins
    outputs: {at: !ref s.at}
    nodes:
      - {id: s, task: stamp, inputs: $node}
launch_plans:
YAML
}
