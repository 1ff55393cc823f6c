#!/usr/bin/env bash
# Pause and unpause under `flytec serve`, through the CLI and the API: nothing fires while paused, the pause and its
# note show in `flytec get schedules` and GET /api/v1/schedules, unpausing resumes without firing the slots of the
# pause, bad requests get JSON errors, and /metrics carries the scheduler's counters.
source "$(dirname "$0")/admin_lib.sh"
source "$(dirname "$0")/schedule_lib.sh"

mkdir -p "$T/repo"
{ sch_tick_spec sched; cat <<'YAML'
  - name: every_second
    workflow: tick
    schedule: {cron: "@every 1s", kickoff_input: at, catch_up: all, jitter: 0s}
    active: true
YAML
} > "$T/repo/tick.yaml"
adm_start --repo "$T/repo" --data-dir "$T/data" --no-executor
export FLYTEC_ADMIN=$URL
count() { get "/api/v1/executions/sched/development?limit=1000"; jget 'len(d.get("executions", []))'; }
for _ in $(seq 1 100); do [ "$(count)" -ge 2 ] && break; sleep 0.1; done
check "the schedule fires before the pause" [ "$(count)" -ge 2 ]

"$FLYTEC" schedule pause every_second -p sched --note "warehouse maintenance" > "$T/pause.out" 2>&1
check "flytec schedule pause answers" grep -q "every_second paused" "$T/pause.out"
wait_for /api/v1/schedules '[x["paused"] for x in d["schedules"]]' '[true]'
check "the API shows the pause and its note" eq "$(jget '[(x["paused"], x["pauseNote"], x["nextFire"]) for x in d["schedules"]]')" '[[true, "warehouse maintenance", null]]'
"$FLYTEC" get schedules -p sched > "$T/schedules"
check "flytec get schedules shows PAUSED with the note" grep -q "PAUSED: warehouse maintenance" "$T/schedules"
before=$(count)
sleep 3
check "nothing fires while paused" eq "$(count)" "$before"

"$FLYTEC" schedule unpause every_second -p sched > "$T/unpause.out" 2>&1
check "flytec schedule unpause answers" grep -q "every_second unpaused" "$T/unpause.out"
wait_for /api/v1/schedules '[x["paused"] for x in d["schedules"]]' '[false]'
for _ in $(seq 1 100); do [ "$(count)" -ge $((before + 2)) ] && break; sleep 0.1; done
after=$(count)
check "it fires again after the unpause" [ "$after" -ge $((before + 2)) ]
check "the 3 s of the pause were not fired on unpause (catch_up: all notwithstanding)" [ "$after" -le $((before + 4)) ]

post /api/v1/schedules/sched/development/nope/pause '{"note":"x"}'
check "pausing an unknown launch plan is a JSON 404" eq "$CODE $(jget 'd["code"]')" "404 not_found"
post /api/v1/schedules/sched/development/every_second/pause '{"note":5}'
check "a note that is not a string is a JSON 400" eq "$CODE" 400
post /api/v1/schedules/sched/development/every_second/pause '{"catchUp":true}'
check "catchUp on a pause is refused" eq "$CODE" 400
post /api/v1/schedules/sched/development/every_second/pause 'not json'
check "a body that is not JSON is a 400" eq "$CODE" 400
"$FLYTEC" schedule pause -p sched > "$T/usage.out" 2>&1
check "flytec schedule pause without a name is a usage error" eq "$?" 2

get /metrics
check "/metrics has the scheduler's slot counters" contains "$(cat "$T/out")" 'flytec_scheduler_slots_total{outcome="fired"}'
adm_done
