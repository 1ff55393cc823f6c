#!/usr/bin/env bash
# cluster_limits_test.sh (issue 10): sizes past what one Kubernetes object holds, through `flytec serve --cluster`
# and `flytec propeller` (its default --state status) on a real API server:
#   - a 4000-node chain whose FlyteWorkflow is over the 1 MiB inline limit: the admin offloads its closure to the
#     data volume (--cluster-data-dir; workflowClosureReference relative to the volume), the operator reads it back
#     and runs the workflow: SUCCEEDED with its output;
#   - a workflow whose status would make the object pass the operator's limit (--max-object-bytes, small here; by
#     default FC_K8S_OBJECT_MAX_BYTES): it fails, with the reason in the resource's status and in the admin's
#     execution error, its running pod deleted, its final status with node counts instead of the node map, its
#     finalizer removed; the operator goes on with the next workflow;
#   - finished executions leave no outbox on the volume, and a restarted operator neither reloads them nor sends
#     any of their events again;
#   - killed after a final status write while the admin was away (its events in the outbox, none acknowledged), a
#     restarted operator sends them: the admin shows the execution SUCCEEDED, and the outbox goes.
SUITE=cluster_limits
# shellcheck source=tests/k8s/k8s_lib.sh
. "$(dirname "$0")/k8s_lib.sh"
K8S_FAIL_LOGS="op.log serve.log"
k8s_test_begin
proj=clt$$
ns=$proj-development
k8s_up node
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }
data=$tmp/data repo=$tmp/repo
mkdir -p "$data" "$repo"
chmod 755 "$tmp" "$data"
k8s_install_crd

# big: 4000 chained echo nodes (its resource inline is over 1 MiB); wide: a pod that runs until deleted next to 40
# echo nodes whose statuses make the object pass the small limit; hello: one echo node, well under it.
python3 - "$repo/flow.yaml" "$proj" <<'EOF'
import sys
n = 4000
lines = ["project: %s" % sys.argv[2], "tasks:",
         "  - name: step", "    type: echo", "    inputs: {x: integer}", "    outputs: {x: integer}",
         "  - name: hold", "    type: raw-container", "    container:", "      image: localhost/flytec/busybox:1.35",
         "      command: [sh, -c, 'echo holding; sleep 300']", "      env: {FAKE_KUBELET_HOLD: \"1\"}",
         "workflows:",
         "  - name: big", "    inputs:", "      x: {type: integer, default: 1}", "    nodes:"]
for i in range(n):
    src = "inputs.x" if i == 0 else "n%d.x" % (i - 1)
    lines.append("      - {id: n%d, task: step, inputs: {x: !ref %s}}" % (i, src))
lines += ["    outputs:", "      x: !ref n%d.x" % (n - 1)]
lines += ["  - name: wide", "    inputs:", "      x: {type: integer, default: 7}", "    nodes:",
          "      - {id: slow, task: hold}"]
for i in range(40):
    lines.append("      - {id: e%d, task: step, inputs: {x: !ref inputs.x}}" % i)
lines += ["  - name: hello", "    inputs:", "      x: {type: integer, default: 5}", "    nodes:",
          "      - {id: e, task: step, inputs: {x: !ref inputs.x}}", "    outputs:", "      x: !ref e.x"]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF

k8s_pods_runner "$ns"

rm -f "$tmp/port"
FLYTEC_LOG=debug "$flytec" serve --repo "$repo" --db "$tmp/admin.db" --listen 127.0.0.1:0 --port-file "$tmp/port" \
	--cluster "$KUBECONFIG" --cluster-data-dir "$data" >> "$tmp/serve.log" 2>&1 &
srv=$!
pids+=($srv)
for _ in $(seq 1 200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
url=http://127.0.0.1:$(cat "$tmp/port")
operator() { # operator [options]: the operator (its default --state status), pid in $op
	FLYTEC_LOG=debug "$flytec" propeller --kubeconfig "$KUBECONFIG" --namespace "$ns" --data-dir "$data" \
		--data-host-path "$data" --resync 5 --no-leader-election "$@" >> "$tmp/op.log" 2>&1 &
	op=$!
	pids+=($op)
}
launch() { # launch LAUNCH-PLAN NAME: prints the HTTP status
	curl -s -o "$tmp/launch.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		"$url/api/v1/executions" --data-binary "{\"project\":\"$proj\",\"domain\":\"development\",\"name\":\"$2\",
		\"spec\":{\"launchPlan\":{\"project\":\"$proj\",\"domain\":\"development\",\"name\":\"$1\"}}}"
}
execution() { curl -s "$url/api/v1/executions/$proj/development/$1"; }
phase() { execution "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("closure", {}).get("phase", ""))' 2>/dev/null; }
wait_phase() { # wait_phase EXEC PHASE SECONDS
	local i
	for i in $(seq 1 $(($3 * 5))); do
		[ "$(phase "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	echo "phase of $1 is '$(phase "$1")', expected $2"; tail -n 20 "$tmp/serve.log"; tail -n 20 "$tmp/op.log"
	return 1
}
fly_json() { k -n "$ns" get fly "$1" -o json; }

for _ in $(seq 1 300); do curl -sf "$url/api/v1/launch_plans/$proj/development/hello" >/dev/null && break; sleep 0.1; done

# --- the admin offloads a closure over the inline limit ---------------------------------------------------------------
operator
check "launch the 4000-node chain through the admin answers 200" 'test "$(launch big b1)" = 200'
check "its FlyteWorkflow is small: spec and tasks null, workflowClosureReference relative to the data volume" \
	'for i in $(seq 1 300); do k -n "$ns" get fly b1 > /dev/null 2>&1 && break; sleep 0.2; done
	 fly_json b1 > "$tmp/b1.json" && test "$(stat -c %s "$tmp/b1.json")" -lt 65536 && python3 -c "
import json, sys; d = json.load(open(sys.argv[1]))
assert d[\"spec\"] is None and d[\"tasks\"] is None, d.keys()
assert d[\"workflowClosureReference\"] == \"closures/$ns/b1.pb\", d.get(\"workflowClosureReference\")" "$tmp/b1.json"'
check "the closure on the data volume is a CompiledWorkflowClosure of 4000 nodes" \
	'protoc -Ischemas -I/usr/include --decode=flyteidl.core.CompiledWorkflowClosure flyteidl/core/compiler.proto \
		< "$data/closures/$ns/b1.pb" | grep -c "^      id: \"n" | grep -qx 4000'
check "the operator runs it: the execution is SUCCEEDED" 'wait_phase b1 SUCCEEDED 400'
check "its output x = 1 went through all 4000 nodes" \
	'u=$(execution b1 | python3 -c "import json, sys; print(json.load(sys.stdin)[\"closure\"][\"outputs\"][\"uri\"])") &&
	 protoc -Ischemas -I/usr/include --decode=flyteidl.core.LiteralMap flyteidl/core/literals.proto < "$u" | grep -qx " *integer: 1"'
# the final status of a finished workflow past FC_K8S_STATUS_MAX_BYTES (400 KB) has node counts by phase
check "the resource: Succeeded (3), its 4000 nodes counted Succeeded (5) in the final status, finalizer removed" \
	'for i in $(seq 1 300); do [ -z "$(k -n "$ns" get fly b1 -o jsonpath={.metadata.finalizers})" ] && break; sleep 0.2; done
	 fly_json b1 | python3 -c "
import json, sys; d = json.load(sys.stdin); s = d[\"status\"]; assert s[\"phase\"] == 3, s[\"phase\"]
assert \"nodeStatus\" not in s and s[\"nodeCountsByPhase\"][\"5\"] >= 4000, s.get(\"nodeCountsByPhase\")
assert not d[\"metadata\"].get(\"finalizers\"), d[\"metadata\"].get(\"finalizers\")"'

# --- a status past the object limit fails the workflow ----------------------------------------------------------------
kill "$op"; wait "$op" 2>/dev/null
# the limit: the wide resource as the API server holds it (with its metadata and managedFields) + 3 KB, so a small
# status fits (the final one, with node counts) but not the statuses of its 41 nodes
check "launch the wide workflow (no operator running) answers 200; its resource is created" \
	'test "$(launch wide w1)" = 200 && for i in $(seq 1 300); do k -n "$ns" get fly w1 > /dev/null 2>&1 && exit 0; sleep 0.2; done; exit 1'
limit=$(( $(fly_json w1 | python3 -c 'import json, sys; print(len(json.dumps(json.load(sys.stdin), separators=(",", ":"))))') + 3072 ))
echo "operator restarted with --max-object-bytes $limit"
operator --max-object-bytes "$limit"
check "the execution ends FAILED in the admin, its error saying why" \
	'wait_phase w1 FAILED 120 && execution w1 | python3 -c "
import json, sys; e = json.load(sys.stdin)[\"closure\"][\"error\"]; print(e)
assert e[\"code\"] == \"StatusTooLarge\" and \"over the limit of $limit bytes\" in e[\"message\"], e"'
check "the resource's status: Failed (5) with the message, node counts instead of the node map" \
	'for i in $(seq 1 150); do test "$(k -n "$ns" get fly w1 -o jsonpath={.status.phase})" = 5 && break; sleep 0.2; done
	 fly_json w1 | python3 -c "
import json, sys; s = json.load(sys.stdin)[\"status\"]; print({k: v for k, v in s.items() if k != \"flytec\"})
assert s[\"phase\"] == 5 and \"over the limit of $limit bytes\" in s[\"message\"], s.get(\"message\")
assert \"nodeStatus\" not in s and sum(s[\"nodeCountsByPhase\"].values()) >= 41, s.get(\"nodeCountsByPhase\")"'
check "its running pod is deleted" \
	'for i in $(seq 1 300); do [ -z "$(k -n "$ns" get pod w1-slow-0 -o name 2>/dev/null)" ] && exit 0;
	   test "$(k -n "$ns" get pod w1-slow-0 -o jsonpath={.metadata.deletionTimestamp} 2>/dev/null)" != "" && exit 0; sleep 0.2; done
	 k -n "$ns" get pod w1-slow-0 -o yaml | tail -n 20; exit 1'
check "its finalizer is removed" \
	'for i in $(seq 1 150); do [ -z "$(k -n "$ns" get fly w1 -o jsonpath={.metadata.finalizers})" ] && exit 0; sleep 0.2; done; exit 1'
check "the operator logged the reason once and goes on: a small workflow SUCCEEDS next" \
	'test "$(grep -c "w1: the FlyteWorkflow with its status would be .* the workflow fails" "$tmp/op.log")" = 1 &&
	 test "$(launch hello h1)" = 200 && wait_phase h1 SUCCEEDED 120'

# --- finished executions: no outbox left, nothing reloaded or resent after a restart ------------------------------
check "every execution's record was freed (records=0) and no outbox file is left on the volume" \
	'for i in $(seq 1 150); do
	   r=$(grep "operator: stats:" "$tmp/op.log" | tail -n 1 | sed -n "s/.* records=\([0-9]*\) .*/\1/p")
	   [ "$r" = 0 ] && [ -z "$(find "$data" -name "outbox*")" ] && exit 0; sleep 0.2; done
	 echo "records=$r"; find "$data" -name "outbox*"; exit 1'
kill "$op"; wait "$op" 2>/dev/null
before=$(wc -l < "$tmp/op.log")
operator
check "a restarted operator loads none of the finished executions and sends none of their events" \
	'for i in $(seq 1 150); do tail -n +$((before + 1)) "$tmp/op.log" | grep -q "operator: stats:" && break; sleep 0.2; done; sleep 3
	 tail -n +$((before + 1)) "$tmp/op.log" > "$tmp/op2.log"
	 grep "operator: stats:" "$tmp/op2.log" | tail -n 1
	 ! grep -E "loaded from its status|event .* sent" "$tmp/op2.log" && grep -q "operator: stats:" "$tmp/op2.log"'

# --- killed after the final status write, before the admin acknowledged the events -----------------------------
# h2 is launched while no operator runs; the admin is stopped once its resource exists, then the operator runs h2 to
# its end with every event refused, and is killed once the final status is written (the events are in the outbox
# on the volume). With the admin back on its port and the operator restarted, the finished execution is loaded to
# send them only.
port=${url##*:}
kill "$op"; wait "$op" 2>/dev/null
check "launch hello h2 with no operator running: its resource is created" \
	'test "$(launch hello h2)" = 200 && for i in $(seq 1 300); do k -n "$ns" get fly h2 > /dev/null 2>&1 && exit 0; sleep 0.2; done; exit 1'
kill "$srv"; wait "$srv" 2>/dev/null
operator
check "h2 runs to the end without the admin: final status Succeeded, its events in the outbox" \
	'for i in $(seq 1 300); do test "$(k -n "$ns" get fly h2 -o jsonpath={.status.phase} 2>/dev/null)" = 3 && break; sleep 0.2; done
	 test "$(k -n "$ns" get fly h2 -o jsonpath={.status.phase})" = 3 && test -s "$(find "$data" -path "*h2*" -name outbox | head -n 1)"'
kill -9 "$op"; wait "$op" 2>/dev/null
FLYTEC_LOG=debug "$flytec" serve --repo "$repo" --db "$tmp/admin.db" --listen "127.0.0.1:$port" \
	--cluster "$KUBECONFIG" --cluster-data-dir "$data" >> "$tmp/serve.log" 2>&1 &
srv=$!
pids+=($srv)
for _ in $(seq 1 200); do curl -sf "$url/api/v1/launch_plans/$proj/development/hello" >/dev/null && break; sleep 0.1; done
before=$(wc -l < "$tmp/op.log")
operator
check "the restarted operator sends h2's events: the admin shows it SUCCEEDED" \
	'wait_phase h2 SUCCEEDED 60 && tail -n +$((before + 1)) "$tmp/op.log" | grep -q "h2 finished with .* event(s) not delivered: sending them"'
check "then its record is freed and its outbox removed" \
	'for i in $(seq 1 150); do
	   r=$(tail -n +$((before + 1)) "$tmp/op.log" | grep "operator: stats:" | tail -n 1 | sed -n "s/.* records=\([0-9]*\) .*/\1/p")
	   [ "$r" = 0 ] && [ -z "$(find "$data" -name "outbox*")" ] && exit 0; sleep 0.2; done
	 echo "records=$r"; find "$data" -name "outbox*"; exit 1'
kill "$op"; wait "$op" 2>/dev/null
kill "$srv"; wait "$srv" 2>/dev/null
check "no sanitizer report in the operator's or the admin's log" \
	'! grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$tmp/op.log" "$tmp/serve.log"'
summary
