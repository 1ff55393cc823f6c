#!/usr/bin/env bash
# python_serve_test.sh: Python tasks under `flytec serve`. The ported examples are emitted as YAML specs by
# `python3 -m flytec emit` into the watched repository; the admin compiles them, executions launched through the
# API run the tasks with `python3 -m flytec.execute`, and their outputs come back. Skips (passing) without
# python3-protobuf. (The watcher reads YAML only, so the archive form is not used here; see docs/python.md.)
. "$(dirname "$0")/admin_lib.sh"

PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3)
if ! "$PY" -c 'import google.protobuf' 2>/dev/null; then
	echo "python3-protobuf is missing: skipped"
	adm_done
	exit
fi
export PYTHONDONTWRITEBYTECODE=1
PB=$T/pb
PYTHONPATH=python "$PY" -c 'import sys; from flytec import _pb; _pb.generate(_pb.schemas_dir(), sys.argv[1])' "$PB"
R=$T/repo
PD=demo/development
mkdir -p "$R"
PYTHONPATH=python "$PY" -m flytec emit examples/python -o "$R/python" --local --project demo \
	--env PYTHONDONTWRITEBYTECODE=1 --env "FLYTEC_PB_DIR=$PB" >"$T/emit.log" 2>&1
check specs-written test -s "$R/python/hello_world.yaml"
adm_start --repo "$R" --project demo

launch() { # launch-plan name [inputs-json]
	post /api/v1/executions "{\"project\":\"demo\",\"domain\":\"development\",\"name\":\"$2\",
		\"spec\":{\"launchPlan\":{\"project\":\"demo\",\"domain\":\"development\",\"name\":\"$1\"}}${3:+,\"inputs\":$3}}"
}
wait_done() { # name: wait (up to ~60 s) for a terminal phase
	[ "$CODE" = 200 ] || return 1
	for _ in $(seq 1 240); do
		get "/api/v1/executions/$PD/$1"
		grep -qE '"phase": *"(SUCCEEDED|FAILED|ABORTED|TIMED_OUT)"' "$T/out" && return 0
		sleep 0.25
	done
	echo "    execution $1 did not finish: $(head -c 300 "$T/out")"
	return 1
}

output() { # execution var: the primitive value of an output, read from the outputs.pb the closure points at
	get "/api/v1/executions/$PD/$1"
	FLYTEC_PB_DIR=$PB PYTHONPATH=python "$PY" -c '
import json, sys
from flytec import _pb
m = _pb.load()
d = json.load(open(sys.argv[1]))
lm = m.literals.LiteralMap()
lm.ParseFromString(open(d["closure"]["outputs"]["uri"], "rb").read())
p = lm.literals[sys.argv[2]].scalar.primitive
print(getattr(p, p.WhichOneof("value")))' "$T/out" "$2" 2>&1
}

for _ in $(seq 1 100); do
	get "/api/v1/launch_plans/demo/development/hello_world.hello_world_wf"
	[ "$CODE" = 200 ] && break
	sleep 0.1
done
check specs-registered eq "$CODE" 200

launch hello_world.hello_world_wf h1 '{"literals":{"name":{"scalar":{"primitive":{"stringValue":"serve"}}}}}'
check launch-hello eq "$CODE" 200
wait_done h1
check hello-succeeded eq "$(get /api/v1/executions/$PD/h1; jget 'd["closure"]["phase"]')" SUCCEEDED
check hello-output eq "$(output h1 o0)" "Hello, serve!"

launch conditions.multiplier c1 '{"literals":{"my_input":{"scalar":{"primitive":{"floatValue":3.0}}}}}'
check launch-conditions eq "$CODE" 200
wait_done c1
check branch-output eq "$(output c1 o0)" 9.0

launch map_tasks.squares m1
wait_done m1
check map-output eq "$(output m1 o0)" 34

launch conditions.only_positive f1 '{"literals":{"my_input":{"scalar":{"primitive":{"floatValue":-1.0}}}}}'
wait_done f1
get /api/v1/executions/$PD/f1
check failure-recorded eq "$(jget 'd["closure"]["phase"]')" FAILED
check failure-message contains "$(jget 'd["closure"]["error"]["message"]')" "the input must be positive"

adm_done
