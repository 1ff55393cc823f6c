#!/usr/bin/env bash
# exec_idle_cpu_test.sh: an idle `flytec serve` sleeps (issue 19.1). It once burned 85-100% of a core with nothing
# to run (the executor's loop only waited when executions existed). Measures the CPU time (utime+stime from
# /proc/PID/stat) of an idle serve with a watched repository and the executor over 10 s: under 1% of a core, right
# after start and again after executions have run and finished. Launches must still start at once (the executor
# is woken by the request, not by a poll).
. "$(dirname "$0")/../integration/admin_lib.sh"

R=$T/repo
PD=demo/development
WINDOW=10
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
adm_start --repo "$R" --data-dir "$T/data"
TCK=$(getconf CLK_TCK)

# CPU ticks (user + system) of the server so far
ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

# Percent of one core used over WINDOW seconds, with one decimal.
idle_cpu() {
	local t0 t1
	t0=$(ticks)
	sleep "$WINDOW"
	t1=$(ticks)
	echo "$t0 $t1 $TCK $WINDOW" | awk '{printf "%.1f", ($2 - $1) * 100 / $3 / $4}'
}
under() { awk -v v="$1" -v max="$2" 'BEGIN { exit !(v < max) }' || { echo "    $1% is not under $2%"; return 1; }; }

sleep 1 # let the first scan settle
pct=$(idle_cpu)
echo "  idle after start: $pct% of a core over ${WINDOW}s"
check idle-after-start under "$pct" 1

# executions start at once (a request wakes the executor) and finish
start=$(date +%s%N)
for i in 1 2 3 4 5; do
	post /api/v1/executions "{\"project\":\"demo\",\"domain\":\"development\",\"name\":\"e$i\",
		\"spec\":{\"launchPlan\":{\"project\":\"demo\",\"domain\":\"development\",\"name\":\"tiny\"}}}"
	check "launch-e$i" eq "$CODE" 200
done
for i in 1 2 3 4 5; do
	check "e$i-succeeded" wait_for /api/v1/executions/$PD/e$i 'd["closure"]["phase"]' SUCCEEDED
done
ms=$((($(date +%s%N) - start) / 1000000))
echo "  5 executions launched and finished in ${ms} ms"
check finished-promptly test "$ms" -lt 10000

pct=$(idle_cpu)
echo "  idle after executions: $pct% of a core over ${WINDOW}s"
check idle-after-executions under "$pct" 1

adm_done
