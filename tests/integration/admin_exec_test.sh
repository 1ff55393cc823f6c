#!/usr/bin/env bash
# admin_exec_test.sh: executions end to end in `flytec serve`: launched through the API, claimed from the admin's
# queue by the executor, run by the propeller, reported back as events (phases, node and task executions,
# outputs); a failing task, terminate of a running execution, and a restart in the middle of a run.
. "$(dirname "$0")/admin_lib.sh"

R=$T/repo
PD=demo/development
mkdir -p "$R"
cat >"$R/flow.yaml" <<'EOF'
project: demo
tasks:
  - name: greet
    type: raw-container
    inputs: {name: string}
    outputs: {greeting: string}
    container:
      image: debian:12-slim
      command: [sh, -c, 'printf "Hello, %s!" "$1" > "$FLYTE_OUTPUT_DIR/greeting"', greet, "{{.inputs.name}}"]
  - name: fail
    type: raw-container
    container: {image: debian:12-slim, command: [sh, -c, 'echo broken >&2; exit 3']}
  - name: nap
    type: raw-container
    inputs: {s: integer}
    container: {image: debian:12-slim, command: [sh, -c, 'sleep "$1"', nap, "{{.inputs.s}}"]}
workflows:
  - name: hello
    inputs: {name: {type: string, default: world}}
    outputs: {greeting: !ref g.greeting}
    nodes:
      - {id: g, task: greet, inputs: {name: !ref inputs.name}}
  - name: broken
    nodes:
      - {id: f, task: fail}
  - name: slow
    inputs: {s: {type: integer, default: 30}}
    nodes:
      - {id: n, task: nap, inputs: {s: !ref inputs.s}}
EOF
adm_start --repo "$R"

launch() { # launch-plan name [inputs-json]
	post /api/v1/executions "{\"project\":\"demo\",\"domain\":\"development\",\"name\":\"$2\",
		\"spec\":{\"launchPlan\":{\"project\":\"demo\",\"domain\":\"development\",\"name\":\"$1\"}}${3:+,\"inputs\":$3}}"
}

launch hello h1 '{"literals":{"name":{"scalar":{"primitive":{"stringValue":"flytec"}}}}}'
check launch eq "$CODE" 200
check runs-to-success wait_for /api/v1/executions/$PD/h1 'd["closure"]["phase"]' SUCCEEDED
get /api/v1/data/executions/$PD/h1
check outputs-or-uri test -n "$(get /api/v1/executions/$PD/h1; jget 'd["closure"].get("outputs", d["closure"].get("outputData", ""))')"
get /api/v1/node_executions/$PD/h1
check node-succeeded contains "$(jget '[(n["id"]["nodeId"], n["closure"]["phase"]) for n in d["nodeExecutions"]]')" '["g", "SUCCEEDED"]'
get /api/v1/task_executions/$PD/h1/g
check task-succeeded eq "$(jget '[t["closure"]["phase"] for t in d["taskExecutions"]]')" '["SUCCEEDED"]'
get /api/v1/events/$PD/h1
check history-starts-running contains "$(jget '[e["phase"] for e in d["events"] if e["kind"] == "workflow"]')" '"RUNNING"'

launch broken b1
check failure-recorded wait_for /api/v1/executions/$PD/b1 'd["closure"]["phase"]' FAILED
check failure-error test -n "$(get /api/v1/executions/$PD/b1; jget 'd["closure"]["error"]["message"]')"

launch slow s1
check slow-running wait_for /api/v1/executions/$PD/s1 'd["closure"]["phase"]' RUNNING
del /api/v1/executions/$PD/s1 --data-binary '{"cause":"test stop"}'
check terminate-accepted eq "$CODE" 200
check terminate-aborted wait_for /api/v1/executions/$PD/s1 'd["closure"]["phase"]' ABORTED

# a restart while an execution runs: it continues and finishes
launch slow s2 '{"literals":{"s":{"scalar":{"primitive":{"integer":"2"}}}}}'
check s2-running wait_for /api/v1/executions/$PD/s2 'd["closure"]["phase"]' RUNNING
adm_restart
for _ in $(seq 1 3); do wait_for /api/v1/executions/$PD/s2 'd["closure"]["phase"]' SUCCEEDED >/dev/null && break; done
check restart-finishes eq "$(get /api/v1/executions/$PD/s2; jget 'd["closure"]["phase"]')" SUCCEEDED
get /api/v1/task_executions/$PD/s2/n
check restart-no-rerun eq "$(jget 'len(d["taskExecutions"])')" 1

adm_done
