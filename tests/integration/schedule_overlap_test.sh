#!/usr/bin/env bash
# Overlap policies, the slot view and backfill under `flytec serve` on the real clock: buffer_all keeps slots waiting
# (durably) while the first run is unfinished and skips those over max_buffered; kill -9 in the middle of the buffer
# fires nothing twice and loses nothing buffered; ending the running run starts the oldest buffered slot; the slot
# view and the decisions show in the API and the CLI; `flytec backfill` lists (dry run) and runs a range with its
# parallelism bound; bad requests are JSON errors.
source "$(dirname "$0")/admin_lib.sh"
source "$(dirname "$0")/schedule_lib.sh"

mkdir -p "$T/repo"
{ sch_tick_spec sched; cat <<'YAML'
  - name: buffered
    workflow: tick
    schedule: {cron: "@every 1s", kickoff_input: at, concurrency: buffer_all, max_buffered: 3, catch_up: all}
    active: true
  - name: minutely
    workflow: tick
    schedule: {cron: "* * * * *", kickoff_input: at}
    active: true
YAML
} > "$T/repo/tick.yaml"
# no executor: executions stay QUEUED (unfinished) until terminated
adm_start --repo "$T/repo" --data-dir "$T/data" --no-executor
export FLYTEC_ADMIN=$URL
PY_EXECS='[(x["id"]["name"], x["spec"]["metadata"].get("scheduledAt"), x["closure"]["phase"], x["spec"].get("annotations", {}).get("values", {}).get("flytec.io/schedule-decision", "")) for x in d.get("executions", [])]'
execs() { get "/api/v1/executions/sched/development?limit=1000&filters=eq(launch_plan.name,$1)"; }
waiting() { get /api/v1/schedules; jget '[x["waiting"] for x in d["schedules"] if x["name"] == "buffered"][0]'; }

# waits are for the condition with a generous bound (a loaded machine can stall the server for seconds)
deadline=$((SECONDS + 60))
until [ "$(waiting)" -ge 3 ] || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.1; done
check "three slots wait behind the first run (max_buffered: 3)" eq "$(waiting)" 3
deadline=$((SECONDS + 60))
until execs buffered; [ "$(jget 'len(d["executions"])')" -ge 2 ] || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.1; done
execs buffered
check "the first run is QUEUED, later slots over the bound are recorded as skipped" eq \
	"$(jget '[x[2] for x in '"$PY_EXECS"'][-1:] + sorted(set(x[2] for x in '"$PY_EXECS"'[:-1]))')" '["QUEUED", "ABORTED"]'
check "a skipped slot's execution says buffer_all and max_buffered" contains \
	"$(jget '[x[3] for x in '"$PY_EXECS"' if x[2] == "ABORTED"][:1]')" "max_buffered 3"
get /api/v1/schedules
check "the slot view lists buffered slots that wait" contains \
	"$(jget '[(s["outcome"], s["waiting"]) for x in d["schedules"] if x["name"] == "buffered" for s in x["slots"]]')" \
	'["buffered", true]'
check "the slot view has at most 10 slots" eq "$(jget 'max(len(x["slots"]) for x in d["schedules"]) <= 10')" True
"$FLYTEC" get schedules -p sched > "$T/schedules"
check "flytec get schedules shows the waiting slots (B*) and the skipped ones (S)" grep -qE "buffered .*B\*.*" "$T/schedules"
"$FLYTEC" get schedules buffered -p sched > "$T/one"
check "flytec get schedules NAME lists the next fire times" grep -qE "^next fires \(UTC\): 20[0-9T:-]+Z, " "$T/one"
check "flytec get schedules NAME lists the slots with outcome, waiting mark and reason" \
	grep -qE "^  20[0-9T:-]+Z  buffered +\* +- +waits for s" "$T/one"
"$FLYTEC" get executions -p sched > "$T/execs"
check "flytec get executions shows the skip decision" grep -q "SCHEDULED (skipped)" "$T/execs"

# kill -9 in the middle of the buffer
get /api/v1/schedules
before_wait=$(jget '[[s["slot"] for s in x["slots"] if s["waiting"]] for x in d["schedules"] if x["name"] == "buffered"][0]')
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=""
sleep 1.5
adm_start
export FLYTEC_ADMIN=$URL
sleep 1
get /api/v1/schedules
after_wait=$(jget '[[s["slot"] for s in x["slots"] if s["waiting"]] for x in d["schedules"] if x["name"] == "buffered"][0]')
check "the buffered slots survive kill -9 (still waiting, in order)" eq "$after_wait" "$before_wait"
execs buffered
check "after the restart no slot has two executions" eq "$(jget 'len(d["executions"]) == len(set(x[1] for x in '"$PY_EXECS"'))')" True
first=$(jget '[x[0] for x in '"$PY_EXECS"' if x[2] == "QUEUED"][0]')
oldest=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])[-1])" "$before_wait")

# the running run ends: the oldest buffered slot starts (at the next poll, about 1 s on an idle machine; the wait
# is for the condition, up to 90 s, since a loaded machine can stall the server for many seconds)
"$FLYTEC" terminate "$first" -p sched > "$T/terminate" 2>&1
started=""
deadline=$((SECONDS + 90))
while :; do
	execs buffered
	started=$(jget '[x[3] for x in '"$PY_EXECS"' if x[1] == "'"$oldest"'"]')
	[ "$started" != "[]" ] && break
	[ "$SECONDS" -ge "$deadline" ] && break
	sleep 0.2
done
check "the oldest buffered slot starts once the running run ended, marked buffered" contains "$started" \
	"buffered: waited from"
if ! contains "$started" "buffered: waited from" > /dev/null; then
	echo "    after $((SECONDS - deadline + 90)) s: terminate $first said: $(head -c 300 "$T/terminate")"
	echo "    executions (name, slot, phase, decision): $(jget "$PY_EXECS" | head -c 1500)"
	get /api/v1/schedules
	echo "    slot view: $(jget '[x for x in d["schedules"] if x["name"] == "buffered"]' | head -c 1500)"
fi
execs buffered
check "still one execution per slot" eq "$(jget 'len(d["executions"]) == len(set(x[1] for x in '"$PY_EXECS"'))')" True

# backfill: a dry run lists, a run is bounded by --parallel (nothing finishes without an executor)
now=$(date -u +%Y-%m-%dT%H:%M:00Z)
from=$(date -u -d "-5 min" +%Y-%m-%dT%H:%M:00Z)
"$FLYTEC" backfill minutely -p sched --from "$from" --to "$now" --dry-run > "$T/dry" 2>&1
check "backfill --dry-run lists the slots of the range" grep -q "would run" "$T/dry"
execs minutely
n_before=$(jget 'len([x for x in '"$PY_EXECS"' if x[3].startswith("backfill")])')
check "a dry run starts nothing" eq "$n_before" 0
"$FLYTEC" backfill minutely -p sched --from "$from" --to "$now" --parallel 2 -o json > "$T/bf.json" 2>&1
check "backfill queues the slots not run yet" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['queued'] >= 4, d" "$T/bf.json"
for _ in $(seq 1 50); do
	execs minutely
	[ "$(jget 'len([x for x in '"$PY_EXECS"' if x[3].startswith("backfill")])')" -ge 2 ] && break
	sleep 0.1
done
sleep 1.5
execs minutely
cp "$T/out" "$T/minutely.json"
check "at most --parallel 2 backfill runs at once, the oldest slots first" python3 - "$T/minutely.json" "$T/bf.json" <<'PY'
import json, sys
execs = json.load(open(sys.argv[1]))["executions"]
bf = json.load(open(sys.argv[2]))
started = sorted(x["spec"]["metadata"]["scheduledAt"] for x in execs
                 if x["spec"].get("annotations", {}).get("values", {}).get("flytec.io/schedule-decision", "").startswith("backfill"))
queued = sorted(x["slot"] for x in bf["slots"] if x["state"] == "queued")
assert started == queued[:2], (started, queued)
PY
"$FLYTEC" backfill minutely -p sched --from "$from" --to "$now" -o json > "$T/again" 2>&1
again_ok() {
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['queued'] == 0 and d['alreadyRun'] >= 4, d" \
		"$T/again" 2> /dev/null
}
check "a second backfill of the range runs nothing again" again_ok
if ! again_ok; then
	echo "    the first backfill said: $(head -c 1500 "$T/bf.json")"
	echo "    the second said: $(head -c 1500 "$T/again")"
	execs minutely
	echo "    executions (name, slot, phase, decision): $(jget "$PY_EXECS" | head -c 2000)"
fi

post /api/v1/schedules/sched/development/minutely/backfill '{"from":"yesterday","to":"2024-01-01T00:00:00Z"}'
check "a bad time is a JSON 400" eq "$CODE $(jget 'd["code"]')" "400 invalid"
post /api/v1/schedules/sched/development/nope/backfill '{"from":"2024-01-01T00:00:00Z","to":"2024-01-01T01:00:00Z"}'
check "backfilling an unknown plan is a JSON 404" eq "$CODE" 404
post /api/v1/schedules/sched/development/minutely/backfill '{"from":"2000-01-01T00:00:00Z","to":"2024-01-01T00:00:00Z"}'
check "a range of too many slots is refused" eq "$CODE" 400
"$FLYTEC" backfill minutely -p sched --from "$from" > /dev/null 2>&1
check "flytec backfill without --to is a usage error" eq "$?" 2
get /metrics
check "/metrics counts buffered slots" contains "$(cat "$T/out")" 'flytec_scheduler_slots_total{outcome="buffered"}'
adm_done
