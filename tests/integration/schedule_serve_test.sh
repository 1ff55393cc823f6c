#!/usr/bin/env bash
# The whole loop under `flytec serve`: a spec in the watched repository declares an active launch plan with a
# schedule; the watcher compiles and registers it, the scheduler fires its slots, the executor runs them, and
# `flytec get executions` shows the scheduled runs with their scheduled time and the kickoff input.
source "$(dirname "$0")/admin_lib.sh"
source "$(dirname "$0")/schedule_lib.sh"

mkdir -p "$T/repo"
{ sch_tick_spec sched label; cat <<'YAML'
  - name: every_two_seconds
    workflow: tick
    fixed_inputs: {label: tick}
    schedule: {cron: "@every 2s", kickoff_input: at, catch_up: none}
    active: true
YAML
} > "$T/repo/tick.yaml"
adm_start --repo "$T/repo" --data-dir "$T/data"
export FLYTEC_ADMIN=$URL
count_scheduled() { "$FLYTEC" get executions -p sched -o json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(1 for e in d.get("executions", []) if e["spec"]["metadata"].get("mode") == "SCHEDULED" and e["closure"].get("phase") == "SUCCEEDED"))' 2>/dev/null || echo 0; }
for _ in $(seq 1 200); do [ "$(count_scheduled)" -ge 2 ] && break; sleep 0.1; done
check "the schedule fired at least twice and the runs succeeded" [ "$(count_scheduled)" -ge 2 ]
"$FLYTEC" get executions -p sched > "$T/table"
check "the table shows scheduled runs with their scheduled time" \
  grep -qE "every_two_seconds +SCHEDULED +20[0-9-]+ [0-9:]+ +SUCCEEDED" "$T/table"
get "/api/v1/executions/sched/development?limit=50"
first=$(jget '[e["id"]["name"] for e in d["executions"] if e["spec"]["metadata"].get("mode") == "SCHEDULED"][0]')
scheduled=$(jget '[e["spec"]["metadata"]["scheduledAt"] for e in d["executions"] if e["id"]["name"] == "'"$first"'"][0]')
get "/api/v1/data/executions/sched/development/$first"
check "the kickoff input is the scheduled time, not the launch time" eq "$(jget 'd["fullInputs"]["literals"]["at"]["scalar"]["primitive"]["datetime"][:19]')" "${scheduled:0:19}"
get "/api/v1/executions/sched/development?limit=50"
check "every slot fired once" eq "$(jget '
len([e["spec"]["metadata"]["scheduledAt"] for e in d["executions"]]) == len(set(e["spec"]["metadata"]["scheduledAt"] for e in d["executions"]))')" "True"
"$FLYTEC" get schedules -p sched > "$T/schedules"
check "flytec get schedules shows the schedule, its next fire and its state" \
  grep -qE "every_two_seconds +@every 2s +20[0-9-]+ [0-9:]+ +20[0-9-]+ [0-9:]+ +[0-9]+ +[FSMBCKPR*]+ +ok" "$T/schedules"
get /api/v1/schedules
check "GET /api/v1/schedules lists it, not failing" eq "$(jget '[(x["name"], x["failing"]) for x in d["schedules"]]')" '[["every_two_seconds", false]]'
adm_done
