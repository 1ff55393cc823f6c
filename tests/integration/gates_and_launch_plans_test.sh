#!/usr/bin/env bash
# Approve and signal gates: under `flytec serve` they wait on the admin's signals (listed, then set with
# POST /api/v1/signals); under `flytec run` they take --approve / --signal, and fail clearly without them.
# Launch-plan nodes: the plan's workflow runs with its defaults under the node's inputs and its fixed inputs on
# top, from the compile session (flytec run) or from the admin's registered versions (flytec serve).
source "$(dirname "$0")/admin_lib.sh"

mkdir -p "$T/repo"
cat > "$T/repo/gate.yaml" <<'YAML'
project: gates
tasks:
  - {name: num, type: echo, inputs: {x: integer}, outputs: {x: integer}}
workflows:
  - name: gated
    inputs: {x: integer}
    outputs: {approved: !ref ok.x, extra: !ref more.value}
    nodes:
      - {id: first, task: num, inputs: {x: !ref inputs.x}}
      - {id: ok, gate: {approve: release}, inputs: {x: !ref first.x}}
      - {id: more, gate: {signal: {id: bonus, type: integer, output: value}}}
YAML
cat > "$T/repo/lp.yaml" <<'YAML'
project: gates
tasks:
  - {name: pair, type: echo, inputs: {a: integer, b: integer}, outputs: {a: integer, b: integer}}
workflows:
  - name: child
    inputs: {a: integer, b: {type: integer, default: 5}}
    outputs: {a: !ref t.a, b: !ref t.b}
    nodes:
      - {id: t, task: pair, inputs: {a: !ref inputs.a, b: !ref inputs.b}}
  - name: parent
    inputs: {x: integer}
    outputs: {a: !ref c.a, b: !ref c.b}
    nodes:
      - {id: c, launch_plan: child_fixed, inputs: {a: !ref inputs.x}}
launch_plans:
  - {name: child_fixed, workflow: child, fixed_inputs: {b: 42}}
YAML

# flytec run
out=$("$FLYTEC" run "$T/repo:parent" --data-dir "$T/run" --input x=3 2>/dev/null)
check "run: a launch-plan node runs the plan's workflow with its fixed inputs" contains "$out" "b: 42"
check "run: ... and the node's inputs" contains "$out" "a: 3"
out=$("$FLYTEC" run "$T/repo/gate.yaml" --data-dir "$T/run" --input x=3 --approve release --signal bonus=7 2>/dev/null)
check "run: approved and signalled" contains "$out" "extra: 7"
check "run: the approved value passes through" contains "$out" "approved: 3"
"$FLYTEC" run "$T/repo/gate.yaml" --data-dir "$T/run" --input x=3 --approve release > "$T/r2" 2>&1
check "run: a missing signal fails and says how to give it" grep -q "give it with --signal bonus=VALUE" "$T/r2"
"$FLYTEC" run "$T/repo/gate.yaml" --data-dir "$T/run" --input x=3 --signal release=false --signal bonus=1 > "$T/r3" 2>&1
check "run: a refused approval fails the node" grep -q "approval 'release' was refused" "$T/r3"

# flytec serve
adm_start --repo "$T/repo" --data-dir "$T/data"
export FLYTEC_ADMIN=$URL
"$FLYTEC" launch gated -p gates --input x=5 --name g1 > /dev/null
for _ in $(seq 1 100); do
  get /api/v1/signals/gates/development/g1
  [ "$(jget 'len(d.get("signals", []))')" = "2" ] && break
  sleep 0.1
done
check "serve: both gates created their signals" eq "$(jget 'sorted(s["id"]["signalId"] for s in d.get("signals", []))')" '["bonus", "release"]'
get /api/v1/executions/gates/development/g1
check "serve: the execution waits" eq "$(jget 'd["closure"]["phase"]')" "RUNNING"
post /api/v1/signals '{"id": {"executionId": {"project": "gates", "domain": "development", "name": "g1"}, "signalId": "release"}, "value": {"scalar": {"primitive": {"boolean": true}}}}'
check "serve: approval accepted" eq "$CODE" "200"
post /api/v1/signals '{"id": {"executionId": {"project": "gates", "domain": "development", "name": "g1"}, "signalId": "bonus"}, "value": {"scalar": {"primitive": {"integer": "11"}}}}'
check "serve: signal accepted" eq "$CODE" "200"
for _ in $(seq 1 100); do
  get /api/v1/executions/gates/development/g1
  [ "$(jget 'd["closure"]["phase"]')" = "SUCCEEDED" ] && break
  sleep 0.1
done
check "serve: the execution finishes once signalled" eq "$(jget 'd["closure"]["phase"]')" "SUCCEEDED"
uri=$(jget 'd["closure"]["outputs"]["uri"]')
protoc -Ischemas -I/usr/include --decode=flyteidl.core.LiteralMap flyteidl/core/literals.proto < "$uri" > "$T/outputs.txt" 2>&1
check "serve: the signal's value is the gate's output" grep -q "integer: 11" "$T/outputs.txt"
"$FLYTEC" launch parent -p gates --input x=9 --name lp1 > /dev/null
for _ in $(seq 1 100); do
  get /api/v1/executions/gates/development/lp1
  [ "$(jget 'd["closure"]["phase"]')" = "SUCCEEDED" ] && break
  sleep 0.1
done
check "serve: a launch-plan node runs the registered plan" eq "$(jget 'd["closure"]["phase"]')" "SUCCEEDED"
uri=$(jget 'd["closure"]["outputs"]["uri"]')
protoc -Ischemas -I/usr/include --decode=flyteidl.core.LiteralMap flyteidl/core/literals.proto < "$uri" > "$T/lp_outputs.txt" 2>&1
check "serve: with the plan's fixed input and the node's input" bash -c "grep -q 'integer: 42' '$T/lp_outputs.txt' && grep -q 'integer: 9' '$T/lp_outputs.txt'"
adm_done
