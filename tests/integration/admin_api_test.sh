#!/usr/bin/env bash
# admin_api_test.sh: the admin REST API over a real `flytec serve`: registration, listing, launch plans,
# executions, events, signals, bad input, auth and limits, restart.
. "$(dirname "$0")/admin_lib.sh"

echo "secret-token" >"$T/token"
adm_start --token-file "$T/token" --public-reads --max-body 65536 --no-executor --no-scheduler
AUTH=(-H "Authorization: Bearer secret-token")
PD=flytesnacks/development

TASK='{"id":{"resourceType":"TASK","project":"flytesnacks","domain":"development","name":"square","version":"v1"},
 "spec":{"template":{"id":{"resourceType":"TASK","project":"flytesnacks","domain":"development","name":"square","version":"v1"},
  "type":"container","interface":{"inputs":{"variables":{"x":{"type":{"simple":"INTEGER"}}}},
  "outputs":{"variables":{"y":{"type":{"simple":"INTEGER"}}}}},"container":{"image":"alpine","args":["sh","-c","echo"]}}}}'
TASK2=${TASK//alpine/busybox}
WF='{"id":{"resourceType":"WORKFLOW","project":"flytesnacks","domain":"development","name":"wf","version":"v1"},
 "spec":{"template":{"id":{"resourceType":"WORKFLOW","project":"flytesnacks","domain":"development","name":"wf","version":"v1"},
  "interface":{"inputs":{"variables":{"x":{"type":{"simple":"INTEGER"}}}},"outputs":{"variables":{"y":{"type":{"simple":"INTEGER"}}}}},
  "nodes":[{"id":"n0","inputs":[{"var":"x","binding":{"promise":{"nodeId":"start-node","var":"x"}}}],
   "taskNode":{"referenceId":{"resourceType":"TASK","project":"flytesnacks","domain":"development","name":"square","version":"v1"}}}],
  "outputs":[{"var":"y","binding":{"promise":{"nodeId":"n0","var":"y"}}}]}}}'
lp() { # name version default-x
	echo '{"id":{"resourceType":"LAUNCH_PLAN","project":"flytesnacks","domain":"development","name":"'"$1"'","version":"'"$2"'"},
 "spec":{"workflowId":{"resourceType":"WORKFLOW","project":"flytesnacks","domain":"development","name":"wf","version":"v1"},
  "defaultInputs":{"parameters":{"x":{"var":{"type":{"simple":"INTEGER"}},"default":{"scalar":{"primitive":{"integer":"'"$3"'"}}}}}}}}'
}

# --- service basics ---
get /healthz;                         check healthz eq "$CODE" 200
get /api/v1/version;                  check version eq "$(jget 'd["controlPlaneVersion"]["Build"]')" "flytec admin-lite"
get /api/v1/domains;                  check domains eq "$(jget '[x["id"] for x in d["domains"]]')" '["development", "staging", "production"]'
get /api/v1/nope;                     check unknown-route eq "$CODE" 404
check unknown-route-json eq "$(jget 'd["code"]')" not_found
del /api/v1/tasks "${AUTH[@]}";       check method-not-allowed eq "$CODE" 405

# --- auth ---
post /api/v1/tasks "$TASK";           check no-token-401 eq "$CODE" 401
post /api/v1/tasks "$TASK" -H "Authorization: Bearer wrong"; check wrong-token-401 eq "$CODE" 401
get /api/v1/task_ids/$PD;             check reads-need-no-token eq "$CODE" 200
check store-unchanged-after-401 eq "$(jget 'len(d.get("entities", []))')" 0

# --- registration: created, idempotent, conflict with a diff ---
post /api/v1/tasks "$TASK" "${AUTH[@]}"; check task-created eq "$CODE" 200
post /api/v1/tasks "$TASK" "${AUTH[@]}"; check task-idempotent eq "$CODE" 200
curl -s -D "$T/h" -o /dev/null -X POST "$URL/api/v1/tasks" "${AUTH[@]}" --data-binary "$TASK"
check task-exists-header contains "$(cat "$T/h")" "Flytec-Registration: exists"
post /api/v1/tasks "$TASK2" "${AUTH[@]}"; check task-conflict-409 eq "$CODE" 409
check conflict-diff contains "$(jget 'd["diff"]')" '-      "image": "alpine",
+      "image": "busybox",'
check conflict-diff-hunk contains "$(jget 'd["diff"]')" '@@ line '
get /api/v1/tasks/$PD/square/v1;      check task-unchanged contains "$(jget 'd["closure"]["compiledTask"]["template"]["container"]["image"]')" alpine
post /api/v1/workflows "$WF" "${AUTH[@]}"; check wf-created eq "$CODE" 200
get /api/v1/workflows/$PD/wf/v1
check wf-closure-has-task eq "$(jget 'd["closure"]["compiledWorkflow"]["tasks"][0]["template"]["id"]["name"]')" square
check wf-start-end-nodes eq "$(jget '[n["id"] for n in d["closure"]["compiledWorkflow"]["primary"]["template"]["nodes"]]')" '["start-node", "end-node", "n0"]'
check wf-connections eq "$(jget 'sorted((k, v["ids"]) for k, v in d["closure"]["compiledWorkflow"]["primary"]["connections"]["upstream"].items())')" '[["end-node", ["n0"]], ["n0", ["start-node"]]]'
BADWF=${WF//\"square\"/\"missing\"}
BADWF=${BADWF//\"wf\"/\"wf2\"}
post /api/v1/workflows "$BADWF" "${AUTH[@]}"; check wf-unknown-task-400 eq "$CODE" 400
check wf-unknown-task-msg contains "$(jget 'd["message"]')" "not registered"
for v in v1 v2 v3; do post /api/v1/launch_plans "$(lp main $v ${v#v})" "${AUTH[@]}"; done
check lp-created eq "$CODE" 200
get /api/v1/launch_plans/$PD/main/v2;  check lp-inactive eq "$(jget 'd["closure"].get("state", "INACTIVE")')" INACTIVE
check lp-expected-outputs eq "$(jget 'list(d["closure"]["expectedOutputs"]["variables"])')" '["y"]'

# --- listing: pages, filters, sorting, ids ---
get "/api/v1/launch_plans/$PD/main?limit=2"
check page1-size eq "$(jget 'len(d["launchPlans"])')" 2
check page1-token eq "$(jget 'd["token"]')" 2
check newest-first eq "$(jget 'd["launchPlans"][0]["id"]["version"]')" v3
get "/api/v1/launch_plans/$PD/main?limit=2&token=2"
check page2 eq "$(jget '[x["id"]["version"] for x in d["launchPlans"]]')" '["v1"]'
check page2-no-token eq "$(jget 'd.get("token", "")')" ""
get "/api/v1/launch_plans/$PD/main?sort_by.key=version&sort_by.direction=ASCENDING"
check sort-asc eq "$(jget '[x["id"]["version"] for x in d["launchPlans"]]')" '["v1", "v2", "v3"]'
get "/api/v1/launch_plans/$PD/main?filters=value_in(version,v1;v3)"
check filter-value-in eq "$(jget 'len(d["launchPlans"])')" 2
get "/api/v1/launch_plans/$PD?filters=eq(name,main)%2Bne(version,v2)"
check filter-and eq "$(jget 'len(d["launchPlans"])')" 2
get "/api/v1/launch_plans/$PD?filters=eq(secret,1)"
check filter-bad-field-400 eq "$CODE" 400
check filter-bad-field-msg contains "$(jget 'd["message"]')" "cannot filter on 'secret'"
get "/api/v1/launch_plans/$PD?filters=eq(name,x%27%20OR%201=1--)"
check sql-meta-harmless eq "$(jget 'len(d.get("launchPlans", []))')" 0
get "/api/v1/launch_plans/$PD?limit=0";       check limit-0-400 eq "$CODE" 400
get "/api/v1/launch_plans/$PD?limit=abc";     check limit-abc-400 eq "$CODE" 400
get "/api/v1/launch_plans/$PD?token=-1";      check token-bad-400 eq "$CODE" 400
get "/api/v1/launch_plans/$PD?sort_by.key=1;drop"; check sort-bad-400 eq "$CODE" 400
get /api/v1/launch_plan_ids/$PD;              check lp-ids eq "$(jget '[e["name"] for e in d["entities"]]')" '["main"]'
get /api/v1/task_ids/$PD;                     check task-ids eq "$(jget '[e["name"] for e in d["entities"]]')" '["square"]'

# --- activation ---
put /api/v1/launch_plans/$PD/main/v2 '{"id":{"resourceType":"LAUNCH_PLAN","project":"flytesnacks","domain":"development","name":"main","version":"v2"},"state":"ACTIVE"}' "${AUTH[@]}"
check activate eq "$CODE" 200
get /api/v1/active_launch_plans/$PD/main;     check active-v2 eq "$(jget 'd["id"]["version"]')" v2
put /api/v1/launch_plans/$PD/main/v3 '{"state":"ACTIVE"}' "${AUTH[@]}"
get /api/v1/active_launch_plans/$PD/main;     check active-v3 eq "$(jget 'd["id"]["version"]')" v3
get /api/v1/launch_plans/$PD/main/v2;         check v2-deactivated eq "$(jget 'd["closure"].get("state", "INACTIVE")')" INACTIVE
get /api/v1/active_launch_plans/$PD;          check active-list eq "$(jget '[x["id"]["version"] for x in d["launchPlans"]]')" '["v3"]'
put /api/v1/launch_plans/$PD/main/v9 '{"state":"ACTIVE"}' "${AUTH[@]}"; check activate-missing-404 eq "$CODE" 404

# --- executions ---
EX='{"project":"flytesnacks","domain":"development","name":"run1","spec":{"launchPlan":{"resourceType":"LAUNCH_PLAN","project":"flytesnacks","domain":"development","name":"main"}},"inputs":{"literals":{"x":{"scalar":{"primitive":{"integer":"7"}}}}}}'
post /api/v1/executions "$EX" "${AUTH[@]}";   check exec-created eq "$(jget 'd["id"]["name"]')" run1
post /api/v1/executions "$EX" "${AUTH[@]}";   check exec-name-taken-409 eq "$CODE" 409
get /api/v1/executions/$PD/run1
check exec-queued eq "$(jget 'd["closure"]["phase"]')" QUEUED
check exec-lp-resolved-to-active eq "$(jget 'd["spec"]["launchPlan"]["version"]')" v3
get /api/v1/data/executions/$PD/run1;         check exec-inputs eq "$(jget 'd["fullInputs"]["literals"]["x"]["scalar"]["primitive"]["integer"]')" 7
post /api/v1/executions "${EX//\"x\"/\"z\"}" "${AUTH[@]}"; check exec-unknown-input-400 eq "$CODE" 400
post /api/v1/executions '{"project":"flytesnacks","domain":"development","spec":{"launchPlan":{"project":"flytesnacks","domain":"development","name":"main","version":"v1"}},"inputs":{"literals":{"x":{"scalar":{"primitive":{"stringValue":"7"}}}}}}' "${AUTH[@]}"
check exec-wrong-type-400 eq "$CODE" 400
post /api/v1/executions '{"project":"flytesnacks","domain":"development","spec":{"launchPlan":{"project":"flytesnacks","domain":"development","name":"main","version":"v1"}}}' "${AUTH[@]}"
check exec-default-input eq "$CODE" 200
GEN=$(jget 'd["id"]["name"]')
get /api/v1/data/executions/$PD/$GEN;         check exec-default-used eq "$(jget 'd["fullInputs"]["literals"]["x"]["scalar"]["primitive"]["integer"]')" 1
check exec-generated-name eq "${#GEN}" 20

# events: workflow RUNNING, node, task attempts, repeated phase, terminal
ev() { post /api/v1/events/$1 "{\"requestId\":\"r\",\"event\":$2}" "${AUTH[@]}"; }
XID='{"project":"flytesnacks","domain":"development","name":"run1"}'
ev workflows '{"executionId":'"$XID"',"phase":"RUNNING","occurredAt":"2024-01-01T00:00:00Z"}'; check ev-wf-running eq "$CODE" 200
ev workflows '{"executionId":'"$XID"',"phase":"RUNNING","occurredAt":"2024-01-01T00:00:01Z"}'; check ev-repeat-noop eq "$CODE" 200
ev nodes '{"id":{"nodeId":"n0","executionId":'"$XID"'},"phase":"RUNNING","occurredAt":"2024-01-01T00:00:01Z","inputUri":"file:///in.pb"}'; check ev-node eq "$CODE" 200
TID='{"resourceType":"TASK","project":"flytesnacks","domain":"development","name":"square","version":"v1"}'
ev tasks '{"taskId":'"$TID"',"parentNodeExecutionId":{"nodeId":"n0","executionId":'"$XID"'},"retryAttempt":0,"phase":"FAILED","occurredAt":"2024-01-01T00:00:02Z","logs":[{"uri":"file:///log0","name":"log"}]}'
check ev-task-0 eq "$CODE" 200
ev tasks '{"taskId":'"$TID"',"parentNodeExecutionId":{"nodeId":"n0","executionId":'"$XID"'},"retryAttempt":0,"phase":"RUNNING"}'
check ev-task-out-of-terminal-409 eq "$CODE" 409
ev tasks '{"taskId":'"$TID"',"parentNodeExecutionId":{"nodeId":"n0","executionId":'"$XID"'},"retryAttempt":1,"phase":"SUCCEEDED","occurredAt":"2024-01-01T00:00:03Z"}'
check ev-task-1 eq "$CODE" 200
ev nodes '{"id":{"nodeId":"n0","executionId":'"$XID"'},"phase":"SUCCEEDED","occurredAt":"2024-01-01T00:00:04Z","outputUri":"file:///out.pb"}'
ev workflows '{"executionId":'"$XID"',"phase":"SUCCEEDED","occurredAt":"2024-01-01T00:00:05Z","outputUri":"file:///wf-out.pb"}'
check ev-wf-succeeded eq "$CODE" 200
ev workflows '{"executionId":'"$XID"',"phase":"RUNNING"}'; check ev-out-of-terminal-409 eq "$CODE" 409
ev workflows '{"executionId":'"$XID"',"phase":"RUNNNG"}';  check ev-bad-enum-400 eq "$CODE" 400
ev workflows '{"executionId":{"project":"flytesnacks","domain":"development","name":"nope"},"phase":"RUNNING"}'; check ev-unknown-exec-404 eq "$CODE" 404
get /api/v1/executions/$PD/run1
check exec-succeeded eq "$(jget 'd["closure"]["phase"]')" SUCCEEDED
check exec-duration eq "$(jget 'd["closure"]["duration"]')" 5s
check exec-outputs-uri eq "$(jget 'd["closure"]["outputs"]["uri"]')" file:///wf-out.pb
get /api/v1/node_executions/$PD/run1;         check node-list eq "$(jget '[(n["id"]["nodeId"], n["closure"]["phase"]) for n in d["nodeExecutions"]]')" '[["n0", "SUCCEEDED"]]'
get /api/v1/task_executions/$PD/run1/n0;      check task-attempts eq "$(jget '[t["closure"]["phase"] for t in d["taskExecutions"]]')" '["FAILED", "SUCCEEDED"]'
check task-logs eq "$(jget 'd["taskExecutions"][0]["closure"]["logs"][0]["uri"]')" file:///log0
get /api/v1/task_executions/$PD/run1/n0/flytesnacks/development/square/v1/1; check task-get eq "$(jget 'd["closure"]["phase"]')" SUCCEEDED
get /api/v1/events/$PD/run1
check history-order eq "$(jget '[(e["kind"], e["phase"]) for e in d["events"]]')" '[["workflow", "RUNNING"], ["node", "RUNNING"], ["task", "FAILED"], ["task", "SUCCEEDED"], ["node", "SUCCEEDED"], ["workflow", "SUCCEEDED"]]'
check history-event-body eq "$(jget 'd["events"][2]["event"]["logs"][0]["uri"]')" file:///log0
get "/api/v1/executions/$PD?filters=eq(phase,SUCCEEDED)"; check exec-filter-phase eq "$(jget '[x["id"]["name"] for x in d["executions"]]')" '["run1"]'
get "/api/v1/executions/$PD?filters=gte(created_at,2000-01-01T00:00:00Z)%2Blt(created_at,2001-01-01T00:00:00Z)"
check exec-filter-time eq "$(jget 'len(d.get("executions", []))')" 0

# terminate, relaunch
post /api/v1/executions/relaunch '{"id":'"$XID"',"name":"run1-again"}' "${AUTH[@]}"; check relaunch eq "$(jget 'd["id"]["name"]')" run1-again
del /api/v1/executions/$PD/run1-again "${AUTH[@]}" --data-binary '{"cause":"changed my mind"}'; check terminate eq "$CODE" 200
get /api/v1/executions/$PD/run1-again
check aborted eq "$(jget 'd["closure"]["phase"]')" ABORTED
check abort-cause eq "$(jget 'd["closure"]["abortMetadata"]["cause"]')" "changed my mind"
check relaunch-mode eq "$(jget 'd["spec"]["metadata"]["mode"]')" RELAUNCH
del /api/v1/executions/$PD/run1-again "${AUTH[@]}"; check terminate-twice-409 eq "$CODE" 409

# signals: setting an unknown signal is a 404
post /api/v1/signals '{"id":{"signalId":"approve","executionId":'"$XID"'},"value":{"scalar":{"primitive":{"boolean":true}}}}' "${AUTH[@]}"
check signal-unknown-404 eq "$CODE" 404
get /api/v1/signals/$PD/run1;                 check signal-list eq "$CODE" 200

# projects
post /api/v1/projects '{"project":{"id":"team-a","name":"Team A","description":"x"}}' "${AUTH[@]}"; check project-create eq "$CODE" 200
post /api/v1/projects '{"project":{"id":"team-a"}}' "${AUTH[@]}"; check project-exists-409 eq "$CODE" 409
post /api/v1/projects '{"project":{"id":"Team_A"}}' "${AUTH[@]}";  check project-bad-name-400 eq "$CODE" 400
get /api/v1/projects;                         check project-list eq "$(jget '[p["id"] for p in d["projects"]]')" '["flytesnacks", "team-a"]'

# --- bad input: a 4xx with a JSON error, the store unchanged ---
get /api/v1/task_ids/$PD; BEFORE=$(cat "$T/out")
post /api/v1/tasks '{"id": ' "${AUTH[@]}";                 check malformed-json-400 eq "$CODE" 400
check malformed-json-code eq "$(jget 'd["code"]')" invalid
post /api/v1/tasks '{"idd": {}}' "${AUTH[@]}";             check unknown-field-400 eq "$CODE" 400
check unknown-field-msg contains "$(jget 'd["message"]')" "idd"
post /api/v1/tasks '{"id": {"name": 5}}' "${AUTH[@]}";    check wrong-type-400 eq "$CODE" 400
post /api/v1/tasks "${TASK//square/..%2Fetc}" "${AUTH[@]}"; check path-trick-400 eq "$CODE" 400
post /api/v1/tasks "${TASK//square/a\/..\/b}" "${AUTH[@]}"; check slash-name-400 eq "$CODE" 400
post /api/v1/tasks "${TASK//square/x\'; DROP TABLE entities;--}" "${AUTH[@]}"; check sql-name-400 eq "$CODE" 400
post /api/v1/tasks "${TASK//flytesnacks/Bad_Project}" "${AUTH[@]}"; check bad-project-400 eq "$CODE" 400
post /api/v1/tasks "${TASK//development/nodomain}" "${AUTH[@]}"; check unknown-domain-400 eq "$CODE" 400
head -c 100000 /dev/zero | tr '\0' ' ' >"$T/big"
CODE=$(curl -s -o "$T/out" -w '%{http_code}' -X POST "$URL/api/v1/tasks" "${AUTH[@]}" --data-binary @"$T/big")
check oversized-body-413 eq "$CODE" 413
CODE=$(curl -s -o "$T/out" -w '%{http_code}' "$URL/api/v1/version" -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)")
check oversized-header-431 eq "$CODE" 431
get /api/v1/tasks/$PD/..%2F..%2Fetc/v1;       check path-trick-get-4xx eq "${CODE:0:1}" 4
get /api/v1/task_ids/$PD;                     check store-unchanged eq "$(cat "$T/out")" "$BEFORE"

# --- metrics ---
get /metrics
check metrics-counter contains "$(cat "$T/out")" 'flytec_http_requests_total{method="POST",route="/api/v1/tasks",code="4xx"}'
check metrics-gauge contains "$(cat "$T/out")" 'flytec_store_entities{kind="launch_plan"} 3'

# --- restart: nothing lost ---
adm_restart
get /api/v1/executions/$PD/run1;              check restart-exec eq "$(jget 'd["closure"]["phase"]')" SUCCEEDED
get /api/v1/active_launch_plans/$PD/main;     check restart-active eq "$(jget 'd["id"]["version"]')" v3
get /api/v1/task_executions/$PD/run1/n0;      check restart-tasks eq "$(jget 'len(d["taskExecutions"])')" 2

adm_done
