#!/usr/bin/env bash
# store_scope_test.sh: requests naming what does not exist get a clear error, never an empty success (issue 19,
# smaller; issue 11, newcomer): a launch into a project that does not exist is 400 with the projects listed (it
# used to create the project silently); GETs with an unknown domain or an invalid name are 400 with a JSON error;
# child listings of an unknown execution are 404; `flytec get` without -p uses the only project there is, or
# names the projects when the default one does not exist.
. "$(dirname "$0")/../integration/admin_lib.sh"

R=$T/repo
mkdir -p "$R"
cat >"$R/flow.yaml" <<'EOF2'
project: demo
tasks:
  - name: t
    container: {image: alpine}
workflows:
  - name: w
    nodes:
      - {id: n, task: t}
launch_plans:
  - {name: lp, workflow: w, active: true}
EOF2
adm_start --repo "$R" --no-executor --no-scheduler || exit 1
check "registered" wait_for /api/v1/task_ids/demo/development "len(d.get('entities',[]))" 1

LAUNCH='{"project":"%s","domain":"development","name":"%s","spec":{"launchPlan":{"project":"demo","domain":"development","name":"lp"}}}'
post /api/v1/executions "$(printf "$LAUNCH" nope x1)"
check "launch into an unknown project is 400" eq "$CODE" 400
check "... with a JSON error code" eq "$(jget 'd["code"]')" invalid
check "... listing the projects" contains "$(jget 'd["message"]')" "projects: demo"
get /api/v1/projects
check "... and no project was created" eq "$(jget "sorted(p['id'] for p in d['projects'])")" '["demo"]'
post /api/v1/executions "$(printf "$LAUNCH" demo x2)"
check "launch into an existing project works" eq "$CODE" 200

get /api/v1/tasks/demo/nodomain
check "unknown domain is 400" eq "$CODE" 400
check "... naming the domains" contains "$(jget 'd["message"]')" "domains: development"
get /api/v1/task_ids/demo/nodomain;          check "ids with an unknown domain: 400" eq "$CODE" 400
get /api/v1/executions/demo/nodomain;        check "executions with an unknown domain: 400" eq "$CODE" 400
get "/api/v1/tasks/demo/development/bad%20name"
check "invalid name is 400" eq "$CODE" 400
check "... with a JSON error" eq "$(jget 'd["code"]')" invalid
get /api/v1/node_executions/demo/development/nosuchexec
check "nodes of an unknown execution: 404" eq "$CODE" 404
check "... with a JSON error" eq "$(jget 'd["code"]')" not_found
get /api/v1/node_executions/demo/development/x2
check "nodes of a known execution: 200" eq "$CODE" 200

export FLYTEC_ADMIN=$URL HOME=$T
out=$("$FLYTEC" get workflows 2>"$T/err")
check "get without -p uses the only project" contains "$out" "w"
check "... and says so" contains "$(cat "$T/err")" "project 'flytesnacks' does not exist; showing 'demo'"
post /api/v1/projects '{"project":{"id":"other","name":"other"}}'
"$FLYTEC" get workflows >"$T/out2" 2>"$T/err"
rc=$?
check "with several projects get without -p fails" test "$rc" -ne 0
check "... naming them" contains "$(cat "$T/err")" "the projects are: demo, other"
out=$("$FLYTEC" get workflows -p demo 2>&1)
check "-p still works" contains "$out" "w"
adm_done
