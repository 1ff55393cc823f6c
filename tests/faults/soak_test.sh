#!/usr/bin/env bash
# soak_test.sh: `flytec serve` under a minute of mixed load (issue 19, "a fault suite that stays"): launches,
# reads of every kind (with wrk when installed), spec edits in the watched repository and broken specs, all at
# once. Samples the server's RSS and CPU; afterwards every execution has ended, the server is idle again (CPU under
# 1% of a core over 10 s) and its RSS is back within 20% of where it stood after warm-up (the same requests once).
# SOAK_SECONDS (default 60) sets the length of the load.
# Under AddressSanitizer freed memory is held in a quarantine (256 MB by default) that RSS would count: the soak
# runs with the quarantine off, every other check of the sanitizer stays on.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=0"
. "$(dirname "$0")/../integration/admin_lib.sh"

R=$T/repo
PD=demo/development
SOAK=${SOAK_SECONDS:-60}
mkdir -p "$R"
cat >"$R/flow.yaml" <<'YAML'
project: demo
tasks:
  - name: pass
    type: echo
    inputs: {x: integer}
    outputs: {x: integer}
workflows:
  - name: tiny
    inputs: {x: {type: integer, default: 1}}
    outputs: {x: !ref a.x}
    nodes:
      - {id: a, task: pass, inputs: {x: !ref inputs.x}}
      - {id: b, task: pass, inputs: {x: !ref a.x}}
YAML
adm_start --repo "$R" --data-dir "$T/data" || exit 1
TCK=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
check "the launch plan is registered" wait_for "/api/v1/launch_plan_ids/$PD" 'len(d["entities"])' 1

n=0
launch() { # launch NAME
	post /api/v1/executions "{\"project\":\"demo\",\"domain\":\"development\",\"name\":\"$1\",
		\"spec\":{\"launchPlan\":{\"project\":\"demo\",\"domain\":\"development\",\"name\":\"tiny\"}},
		\"inputs\":{\"literals\":{\"x\":{\"scalar\":{\"primitive\":{\"integer\":\"7\"}}}}}}"
}
reads() {
	get "/api/v1/executions/$PD?limit=50"
	get "/api/v1/launch_plans/$PD/tiny"
	get /api/v1/repository/status
	get /metrics
	get /api/v1/schedules
}
edit() { # a new version of the spec, then a broken file, then its fix
	sed -i "s/default: [0-9]*/default: $1/" "$R/flow.yaml"
	printf 'tasks: [unclosed\n' >"$R/broken.yaml"
}

# warm-up: every kind of request once, then the baseline
launch warm1
reads
edit 2
sleep 1
rm -f "$R/broken.yaml"
check "warm-up execution succeeds" wait_for "/api/v1/executions/$PD/warm1" 'd["closure"]["phase"]' SUCCEEDED
sleep 1
rss0=$(rss_kb)
t0=$(ticks)
start=$(date +%s)

# the load: a reader (wrk when installed), a launcher and an editor, all at once
if command -v wrk >/dev/null; then
	wrk -t2 -c16 -d"${SOAK}s" "$URL/api/v1/launch_plans/$PD/tiny" >"$T/wrk.out" 2>&1 &
	wrk_pid=$!
fi
peak=$rss0
i=0
while [ $(($(date +%s) - start)) -lt "$SOAK" ]; do
	i=$((i + 1))
	launch "soak$i"
	[ "$CODE" = 200 ] || echo "    launch soak$i: $CODE $(head -c 200 "$T/out")"
	reads
	[ $((i % 10)) -eq 0 ] && edit $((i + 2))
	[ $((i % 10)) -eq 5 ] && rm -f "$R/broken.yaml"
	r=$(rss_kb)
	[ "$r" -gt "$peak" ] && peak=$r
	sleep 0.2
done
[ -n "${wrk_pid:-}" ] && wait "$wrk_pid"
rm -f "$R/broken.yaml"
t1=$(ticks)
load_cpu=$(echo "$t0 $t1 $TCK $SOAK" | awk '{printf "%.1f", ($2 - $1) * 100 / $3 / $4}')
echo "  load: $i launches, $(grep -o '[0-9]* requests in' "$T/wrk.out" 2>/dev/null | head -1) by wrk; CPU ${load_cpu}% of a core; RSS ${rss0} kB -> peak ${peak} kB"

# every execution ends
check "every execution of the soak succeeded" wait_for "/api/v1/executions/$PD?limit=10000&filters=ne(phase,SUCCEEDED)" \
	'len(d.get("executions", []))' 0
get "/api/v1/executions/$PD?limit=10000"
check "all $((i + 1)) executions are listed" eq "$(jget 'len(d["executions"])')" "$((i + 1))"

# idle again, and the memory given back
sleep 2
t0=$(ticks)
sleep 10
t1=$(ticks)
idle=$(echo "$t0 $t1 $TCK" | awk '{printf "%.1f", ($2 - $1) * 100 / $3 / 10}')
rss1=$(rss_kb)
echo "  after: idle CPU ${idle}% of a core; RSS ${rss1} kB (baseline ${rss0} kB)"
check "idle CPU after the load under 1% (${idle}%)" awk "BEGIN {exit !($idle < 1.0)}"
check "RSS back within 20% of the baseline (${rss1} vs ${rss0} kB)" awk "BEGIN {exit !($rss1 <= $rss0 * 1.2)}"
adm_done
