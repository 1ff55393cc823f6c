#!/usr/bin/env bash
# http_store_full_test.sh: when the store cannot write (the data directory's file system is full), every
# mutation answers 503 with Retry-After and {"code":"storage"} -- the server's fault, to be retried -- instead of
# 400 {"code":"limit"}, which told clients it was theirs (issue 19.3a). Reads keep working, and once space
# returns the same requests succeed. The data directory is a small tmpfs (needs root, as CI has; skipped
# otherwise with a message).
source "$(dirname "$0")/../integration/admin_lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "  skipped: mounting a small tmpfs needs root"
	echo "$(basename "$0"): 0 passed, 0 failed"
	exit 0
fi
mkdir -p "$T/full"
mount -t tmpfs -o size=3m tmpfs "$T/full" || { echo "FAIL: cannot mount a tmpfs"; exit 1; }
unmount() { adm_cleanup_server; umount "$T/full" 2>/dev/null; rm -rf "$T"; }
adm_cleanup_server() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
}
trap unmount EXIT

PD=flytesnacks/development
task() { # name version padding-bytes
	python3 -c '
import json, sys
name, version, pad = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = {"resourceType": "TASK", "project": "flytesnacks", "domain": "development", "name": name, "version": version}
print(json.dumps({"id": t, "spec": {"template": {"id": t, "type": "container",
   "interface": {"inputs": {"variables": {"x": {"type": {"simple": "INTEGER"}}}},
                 "outputs": {"variables": {"y": {"type": {"simple": "INTEGER"}}}}},
   "container": {"image": "alpine", "args": ["sh", "-c", "echo", "p" * pad]}}}}))' "$@"
}
WF='{"id":{"resourceType":"WORKFLOW","project":"flytesnacks","domain":"development","name":"wf","version":"v1"},
 "spec":{"template":{"id":{"resourceType":"WORKFLOW","project":"flytesnacks","domain":"development","name":"wf","version":"v1"},
  "interface":{"inputs":{"variables":{"x":{"type":{"simple":"INTEGER"}}}},"outputs":{"variables":{"y":{"type":{"simple":"INTEGER"}}}}},
  "nodes":[{"id":"n0","inputs":[{"var":"x","binding":{"promise":{"nodeId":"start-node","var":"x"}}}],
   "taskNode":{"referenceId":{"resourceType":"TASK","project":"flytesnacks","domain":"development","name":"square","version":"v1"}}}],
  "outputs":[{"var":"y","binding":{"promise":{"nodeId":"n0","var":"y"}}}]}}}'
LP='{"id":{"resourceType":"LAUNCH_PLAN","project":"flytesnacks","domain":"development","name":"main","version":"v1"},
 "spec":{"workflowId":{"resourceType":"WORKFLOW","project":"flytesnacks","domain":"development","name":"wf","version":"v1"},
  "defaultInputs":{"parameters":{"x":{"var":{"type":{"simple":"INTEGER"}},"default":{"scalar":{"primitive":{"integer":"1"}}}}}}}}'
launch() { echo '{"project":"flytesnacks","domain":"development","name":"'"$1"'","spec":{"launchPlan":{"resourceType":"LAUNCH_PLAN","project":"flytesnacks","domain":"development","name":"main","version":"v1"}},"inputs":{"literals":{"x":{"scalar":{"primitive":{"integer":"'"$2"'"}}}}}}'; }
headers() { # METHOD PATH BODY -> status in $CODE, headers in $T/h, body in $T/out
	printf '%s' "$3" >"$T/body"
	CODE=$(curl -s -D "$T/h" -o "$T/out" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' --data-binary @"$T/body" "$URL$2")
}
is_storage_503() { # what
	local ra
	ra=$(grep -i '^Retry-After:' "$T/h" | tr -d '\r' | cut -d' ' -f2)
	[ "$CODE" = 503 ] && [ "$(jget 'd["code"]')" = storage ] && [ -n "$ra" ] && [ "$ra" -gt 0 ] ||
		{ echo "    $1: got $CODE, Retry-After '$ra', body $(head -c 300 "$T/out")"; return 1; }
}

SERVE_ARGS=(--no-executor --no-scheduler)
"$FLYTEC" serve --db "$T/full/admin.db" --listen 127.0.0.1:0 --port-file "$T/port" "${SERVE_ARGS[@]}" >>"$T/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.05; done
PORT=$(cat "$T/port")
URL="http://127.0.0.1:$PORT"

headers POST /api/v1/projects '{"project":{"id":"flytesnacks","name":"flytesnacks"}}'
headers POST /api/v1/tasks "$(task square v1 10)";  check "task registers while there is space" eq "$CODE" 200
headers POST /api/v1/workflows "$WF";               check "workflow registers" eq "$CODE" 200
headers POST /api/v1/launch_plans "$LP";            check "launch plan registers" eq "$CODE" 200
headers POST /api/v1/executions "$(launch run-1 1)"; check "launch works" eq "$CODE" 200

# fill the file system to the last byte
dd if=/dev/zero of="$T/full/filler" bs=64k 2>/dev/null
sync

headers POST /api/v1/tasks "$(task big v1 400000)"
check "register of a task on a full disk: 503 storage + Retry-After" is_storage_503 task
headers POST /api/v1/repository/register '{"files":[{"path":"a.yaml","content":"project: flytesnacks\ntasks:\n  - name: t\n    type: echo\n    inputs: {x: string}\n    outputs: {x: string}\n    description: '"$(python3 -c 'print("d" * 300000)')"'\n"}]}'
check "repository register on a full disk: 503 storage" is_storage_503 register
for i in 1 2 3; do
	headers POST /api/v1/executions "$(launch "full-$i" 2)"
	[ "$CODE" = 503 ] && break
done
check "launch on a full disk: 503 storage + Retry-After" is_storage_503 launch
headers POST /api/v1/projects '{"project":{"id":"p'"$(python3 -c 'print("x" * 60)')"'","name":"'"$(python3 -c 'print("n" * 300000)')"'"}}'
check "project register on a full disk: 503 storage" is_storage_503 project
get /api/v1/tasks/$PD/square/v1
check "reads still work on a full disk" eq "$CODE" 200
get /healthz
check "healthz still answers" eq "$CODE" 200

# space returns: the same requests succeed
rm -f "$T/full/filler"
headers POST /api/v1/tasks "$(task big v1 400000)"
check "once space returns, the task registers" eq "$CODE" 200
headers POST /api/v1/executions "$(launch after-1 3)"
check "once space returns, launch works" eq "$CODE" 200
check "no sanitizer report" bash -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$T/server.log'"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
echo "$(basename "$0"): $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
