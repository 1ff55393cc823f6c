#!/usr/bin/env bash
# Approve and signal gates: under `flytec serve` they wait on the admin's signals (listed, then set with
# POST /api/v1/signals); under `flytec run` they take --approve / --signal, and fail clearly without them.
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

# flytec run
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
adm_done
