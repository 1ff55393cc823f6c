#!/usr/bin/env bash
# admin_cli_test.sh: the CLI as an API client: register, get, launch, activate, terminate, status.
. "$(dirname "$0")/admin_lib.sh"

mkdir -p "$T/repo" "$T/specs"
cat >"$T/specs/flow.yaml" <<'EOF'
project: demo
tasks:
  - name: add
    inputs: {a: integer, b: integer}
    outputs: {c: integer}
    container: {image: alpine}
workflows:
  - name: adder
    inputs: {a: integer, b: {type: integer, default: 2}}
    outputs: {c: !ref n.c}
    nodes:
      - id: n
        task: add
        inputs: {a: !ref inputs.a, b: !ref inputs.b}
launch_plans:
  - name: adder_daily
    workflow: adder
    inputs: {a: 1}
    schedule: {cron: "0 6 * * *"}
    active: true
EOF
echo "token-123" >"$T/token"
adm_start --repo "$T/repo" --token-file "$T/token" --public-reads --no-executor --no-scheduler
export FLYTEC_ADMIN=$URL
cli() {
	"$FLYTEC" "$@" -p demo >"$T/cli.out" 2>"$T/cli.err"
	echo $? >"$T/cli.rc"
	if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T/cli.err"; then
		FAIL=$((FAIL + 1))
		echo "  FAIL: flytec $1 reported a sanitizer error:"
		head -30 "$T/cli.err"
	fi
}
rc() { cat "$T/cli.rc"; }
out() { cat "$T/cli.out" "$T/cli.err"; }

cli register "$T/specs";                         check register-needs-token eq "$(rc)" 1
check register-401-message contains "$(out)" "401"
cli register "$T/specs" --token-file "$T/token"; check register eq "$(rc)" 0
check register-table contains "$(out)" "launch_plan  adder_daily"
check register-activated contains "$(out)" "created, active"
cli register "$T/specs" --token-file "$T/token"; check register-again-exists contains "$(out)" "exists"
printf 'tasks:\n  - name: broken\n    inputs: {a: nosuchtype}\n' >"$T/specs/bad.yaml"
cli register "$T/specs" --token-file "$T/token"; check register-spec-error eq "$(rc)" 1
check register-diagnostics contains "$(out)" "bad.yaml:3:"
rm "$T/specs/bad.yaml"

cli get tasks;                                   check get-task-names contains "$(out)" "add"
cli get workflows adder;                         check get-wf-versions contains "$(out)" "adder"
cli get launch-plans adder_daily;                check get-lp-table contains "$(out)" "ACTIVE"
check get-lp-schedule contains "$(out)" "0 6 * * *"
cli get launch-plans adder_daily -o json
check get-json eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["launchPlans"][0]["id"]["name"])' "$T/cli.out")" adder_daily
cli get launch-plans adder_daily -o yaml;        check get-yaml contains "$(out)" "name: adder_daily"
VERSION=$(python3 - "$FLYTEC_ADMIN" <<'EOF'
import json, sys, urllib.request
d = json.load(urllib.request.urlopen(sys.argv[1] + "/api/v1/launch_plans/demo/development/adder_daily"))
print(d["launchPlans"][0]["id"]["version"])
EOF
)

cli launch adder_daily --input a=5 --name run-1 --token-file "$T/token"; check launch eq "$(out)" run-1
cli launch adder_daily --input a=five --token-file "$T/token"; check launch-bad-value eq "$(rc)" 2
check launch-bad-value-msg contains "$(out)" "--input a"
cli launch adder_daily --input zz=1 --token-file "$T/token"; check launch-unknown-input contains "$(out)" "no input 'zz'"
cli get executions;                              check get-executions contains "$(out)" "run-1"
cli get executions run-1 -o json
check launch-input-typed eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["closure"]["phase"])' "$T/cli.out")" QUEUED
get /api/v1/data/executions/demo/development/run-1
check launch-inputs eq "$(jget '[d["fullInputs"]["literals"][k]["scalar"]["primitive"]["integer"] for k in ("a", "b")]')" '["5", "2"]'
cli get nodes run-1;                             check get-nodes eq "$(rc)" 0
cli terminate run-1 --cause "test" --token-file "$T/token"; check terminate eq "$(rc)" 0
cli get executions run-1;                        check terminated contains "$(out)" "ABORTED"
cli activate adder_daily "$VERSION" --deactivate --token-file "$T/token"; check deactivate eq "$(rc)" 0
get /api/v1/active_launch_plans/demo/development/adder_daily; check deactivated eq "$CODE" 404
cli activate adder_daily "$VERSION" --token-file "$T/token"; check activate eq "$(rc)" 0
cli activate adder_daily nope --token-file "$T/token"; check activate-missing eq "$(rc)" 1

cli status;                                      check status-clean eq "$(rc)" 0
printf 'workflows: [ {name: x, nodes: [ {id: a, task: missing} ]} ]\n' >"$T/repo/broken.yaml"
for _ in $(seq 1 100); do cli status; [ "$(rc)" = 1 ] && break; sleep 0.05; done
check status-errors eq "$(rc)" 1
check status-diagnostics contains "$(out)" "broken.yaml:1:"

printf 'admin = %s\nproject = demo\ntoken_file = %s\n' "$URL" "$T/token" >"$T/config"
FLYTEC_ADMIN=http://127.0.0.1:1 "$FLYTEC" get tasks --config "$T/config" >"$T/cli.out" 2>&1
check config-file contains "$(cat "$T/cli.out")" "add"
FLYTEC_ADMIN=http://127.0.0.1:1 "$FLYTEC" get tasks >"$T/cli.out" 2>&1
check unreachable-exit-2 eq "$?" 2

adm_done
