#!/usr/bin/env bash
# serve_cluster_test.sh: `flytec serve --cluster` against a real API server (k8s_lib.sh: node-up.sh's real kubelet
# running busybox pods when it can come up, else kube-up.sh with tests/k8s/fake_kubelet.py playing the kubelet):
#   - an execution launched through the admin becomes a FlyteWorkflow in namespace <project>-<domain> (created by
#     the admin) with Flyte's labels, the finalizer and the admin's event URL; `flytec propeller` runs its pod; the
#     execution is SUCCEEDED in `flytec get executions`, with its outputs;
#   - `flytec logs` prints the pod's output through the pod log API (real kubelet only);
#   - terminating a running execution deletes its resource and pod, and the execution ends ABORTED;
#   - a restarted admin adopts what it had created (no duplicate, no failure);
#   - an API server that cannot be reached at launch: retried, then FAILED with the reason, the admin alive;
#     a resource the API server refuses (an invalid namespace name): FAILED at once with the API's message.
SUITE=serve_cluster
# shellcheck source=tests/k8s/k8s_lib.sh
. "$(dirname "$0")/k8s_lib.sh"
K8S_FAIL_LOGS="op.log serve.log"
k8s_test_begin
proj=sct$$
ns=$proj-development
k8s_up node
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }
data=$tmp/data repo=$tmp/repo
mkdir -p "$data" "$repo"
chmod 755 "$tmp" "$data"
k8s_install_crd

cat > "$repo/flow.yaml" <<EOF
project: $proj
tasks:
  - name: greet
    type: raw-container
    inputs: {who: string}
    outputs: {n: integer}
    container:
      image: localhost/flytec/busybox:1.35
      command: [sh, -c, 'echo "hello from the pod, \$1"; echo 42 > "\$FLYTE_OUTPUT_DIR/n"', greet, "{{.inputs.who}}"]
  - name: nap
    type: raw-container
    container:
      image: localhost/flytec/busybox:1.35
      command: [sh, -c, 'echo napping; sleep 300']
      env: {FAKE_KUBELET_HOLD: "1"}
workflows:
  - name: hello
    inputs: {who: {type: string, default: kubernetes}}
    outputs: {n: !ref g.n}
    nodes:
      - {id: g, task: greet, inputs: {who: !ref inputs.who}}
  - name: sleepy
    nodes:
      - {id: z, task: nap}
EOF

k8s_pods_runner "$ns"

serve() { # serve LOG PORTFILE [options]: an admin handing executions to the cluster; pid in $srv
	rm -f "$2"
	FLYTEC_LOG=debug "$flytec" serve --repo "$repo" --db "$tmp/admin.db" --listen 127.0.0.1:0 --port-file "$2" \
		"${@:3}" >> "$1" 2>&1 &
	srv=$!
	pids+=($srv)
	for _ in $(seq 1 200); do [ -s "$2" ] && break; sleep 0.05; done
	url=http://127.0.0.1:$(cat "$2")
}
# the admin wants a token for every change (reads stay open): the operator's events must carry it
echo "cluster-test-token-$$" > "$tmp/token"
serve "$tmp/serve.log" "$tmp/port" --cluster "$KUBECONFIG" --token-file "$tmp/token" --public-reads
operator() { # the operator, pid in $op
	FLYTEC_LOG=debug "$flytec" propeller --kubeconfig "$KUBECONFIG" --namespace "$ns" --data-dir "$data" \
		--data-host-path "$data" --resync 5 --no-leader-election --admin-token-file "$tmp/token" >> "$tmp/op.log" 2>&1 &
	op=$!
	pids+=($op)
}
operator

launch() { # launch LAUNCH-PLAN NAME: prints the HTTP status
	curl -s -o "$tmp/launch.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $(cat "$tmp/token")" "$url/api/v1/executions" \
		--data-binary "{\"project\":\"$proj\",\"domain\":\"development\",\"name\":\"$2\",
		\"spec\":{\"launchPlan\":{\"project\":\"$proj\",\"domain\":\"development\",\"name\":\"$1\"}}}"
}
phase() { curl -s "$url/api/v1/executions/$proj/development/$1" | python3 -c '
import json, sys; print(json.load(sys.stdin).get("closure", {}).get("phase", ""))' 2>/dev/null; }
wait_phase() { # wait_phase EXEC PHASE SECONDS
	local i
	for i in $(seq 1 $(($3 * 5))); do
		[ "$(phase "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	echo "phase of $1 is '$(phase "$1")', expected $2"; tail -n 20 "$tmp/serve.log"; tail -n 20 "$tmp/op.log"
	return 1
}
wait_gone() { # wait_gone KUBECTL-GET-ARGS...: until the get finds nothing (60 s)
	for _ in $(seq 1 300); do
		[ -z "$(k get "$@" -o name 2>/dev/null)" ] && return 0
		sleep 0.2
	done
	echo "still there: $(k get "$@" -o name 2>&1)"; return 1
}

for _ in $(seq 1 100); do curl -sf "$url/api/v1/launch_plans/$proj/development/hello" >/dev/null && break; sleep 0.1; done
check "launch through the admin answers 200" 'test "$(launch hello h1)" = 200'
check "the admin created namespace $ns and FlyteWorkflow h1 in it" \
	'for i in $(seq 1 100); do k -n "$ns" get fly h1 > /dev/null 2>&1 && exit 0; sleep 0.1; done; k -n "$ns" get fly h1'
check "Flyte's labels (project, domain, workflow-name, execution-id, shard-key) and the event URL" \
	'k -n "$ns" get fly h1 -o json | python3 -c "
import json, sys; m = json.load(sys.stdin)[\"metadata\"]; l = m[\"labels\"]
assert l[\"project\"] == \"$proj\" and l[\"domain\"] == \"development\" and l[\"execution-id\"] == \"h1\", l
assert l[\"workflow-name\"].endswith(\"hello\") and int(l[\"shard-key\"]) < 32, l
assert m[\"annotations\"][\"flytec.io/admin-url\"] == \"$url\", m[\"annotations\"]"'
check "the operator runs the pod and the execution is SUCCEEDED" 'wait_phase h1 SUCCEEDED 120'
check "flytec get executions shows it SUCCEEDED" \
	'"$flytec" get executions -p "$proj" -d development --admin "$url" | grep -E "^h1 .*SUCCEEDED"'
# outputs are referenced by URI on the data volume, as the local executor's are (docs/kubernetes.md)
check "its outputs: the closure's URI on the data volume holds n = 42" \
	'u=$(curl -s "$url/api/v1/executions/$proj/development/h1" | python3 -c "
import json, sys; print(json.load(sys.stdin)[\"closure\"][\"outputs\"][\"uri\"])") && echo "uri: $u" &&
	 case "$u" in "$data"/*) ;; *) exit 1;; esac &&
	 protoc -Ischemas -I/usr/include --decode=flyteidl.core.LiteralMap flyteidl/core/literals.proto < "$u" | grep -q "integer: 42"'
check "one pod, named per attempt, with the execution's label" \
	'test "$(k -n "$ns" get pods -l execution-id=h1 -o name)" = pod/h1-g-0'
if [ -n "${FLYTEC_K8S_NODE:-}" ]; then
	check "flytec logs prints the pod's output (pod log API)" \
		'"$flytec" logs h1 g -p "$proj" -d development --admin "$url" | grep -qx "hello from the pod, kubernetes"'
	check "the logs endpoint: complete, offsets" \
		'curl -s -D "$tmp/h" -o "$tmp/b" "$url/api/v1/logs/$proj/development/h1/g?offset=6&limit=8" &&
		 grep -qi "^X-Log-Next-Offset: 14" "$tmp/h" && grep -qi "^X-Log-Complete: false" "$tmp/h" && test "$(cat "$tmp/b")" = "from the"'
else
	echo "skip flytec logs through the pod log API: no kubelet serves pod logs here"
fi

check "a relaunch of h1 is handed to the cluster too and SUCCEEDS" \
	'test "$(curl -s -o "$tmp/rl.out" -w "%{http_code}" -X POST -H "Content-Type: application/json" -H "Authorization: Bearer $(cat "$tmp/token")" "$url/api/v1/executions/relaunch" \
		--data-binary "{\"id\":{\"project\":\"$proj\",\"domain\":\"development\",\"name\":\"h1\"},\"name\":\"h1r\"}")" = 200 &&
	 wait_phase h1r SUCCEEDED 120 && k -n "$ns" get fly h1r -o jsonpath="{.metadata.labels.execution-id}" | grep -qx h1r'

# --- terminate a running execution --------------------------------------------------------------------------------
check "launch a sleeping execution" 'test "$(launch sleepy s1)" = 200'
check "its pod runs" \
	'for i in $(seq 1 600); do test "$(k -n "$ns" get pod s1-z-0 -o jsonpath={.status.phase} 2>/dev/null)" = Running && exit 0; sleep 0.2; done; k -n "$ns" get pod s1-z-0 -o yaml | tail -n 30'
# (checked on the running one: the operator removes the finalizer when a workflow ends)
check "the resource carries Flyte's finalizer while it runs" \
	'k -n "$ns" get fly s1 -o jsonpath="{.metadata.finalizers}" | grep -q flyte.org/finalizer'
if [ -n "${FLYTEC_K8S_NODE:-}" ]; then
	check "flytec logs -f of the running pod shows its first line (then stops at Ctrl-C)" \
		'"$flytec" logs -f s1 z -p "$proj" -d development --admin "$url" > "$tmp/f.out" 2>&1 & lp=$!
		 for i in $(seq 1 100); do grep -q napping "$tmp/f.out" && break; sleep 0.1; done; kill -INT $lp; wait $lp; rc=$?
		 grep -qx napping "$tmp/f.out" && test $rc = 130'
fi
check "flytec terminate answers" '"$flytec" terminate s1 -p "$proj" -d development --admin "$url" --token-file "$tmp/token"'
check "the FlyteWorkflow is deleted (after the operator's finalizer)" 'wait_gone -n "$ns" fly s1'
check "its pod is gone" 'wait_gone -n "$ns" pod s1-z-0'
check "the execution ends ABORTED" 'wait_phase s1 ABORTED 60'

# --- a restart adopts -----------------------------------------------------------------------------------------------
# the operator stopped meanwhile, so h2 is still running when the admin restarts (whatever the kubelet's speed)
kill "$op"; wait "$op" 2>/dev/null
check "launch h2; restart the admin once its resource exists" \
	'test "$(launch hello h2)" = 200 && for i in $(seq 1 100); do k -n "$ns" get fly h2 > /dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1'
kill "$srv"; wait "$srv" 2>/dev/null
serve "$tmp/serve.log" "$tmp/port" --cluster "$KUBECONFIG" --listen "127.0.0.1:${url##*:}" --token-file "$tmp/token" \
	--public-reads
operator
check "h2 SUCCEEDED after the restart, one resource, one pod" \
	'wait_phase h2 SUCCEEDED 120 && test "$(k -n "$ns" get pods -l execution-id=h2 -o name | wc -l)" = 1'
check "the restarted admin adopted the existing resource" 'grep -q "h2 already exists: adopted" "$tmp/serve.log"'
kill "$srv"; wait "$srv" 2>/dev/null
check "the admin refused none of the operator's events (they carry --admin-token-file's token)" \
	'! grep -q "the admin refused event" "$tmp/op.log"'
check "the admin's log has no sanitizer report" '! grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$tmp/serve.log"'

# --- the API server unreachable, or refusing -------------------------------------------------------------------------
sed -E "s#https://127\.0\.0\.1:[0-9]+#https://127.0.0.1:1#" "$KUBECONFIG" > "$tmp/down.kubeconfig"
serve "$tmp/down.log" "$tmp/port2" --cluster "$tmp/down.kubeconfig"
check "launch with the API server unreachable answers 200 (the execution is kept)" 'test "$(launch hello d1)" = 200'
check "retried, then FAILED with the reason" \
	'for i in $(seq 1 600); do p=$(phase d1); test "$p" = FAILED && break; sleep 0.2; done; test "$p" = FAILED &&
	 curl -s "$url/api/v1/executions/$proj/development/d1" | python3 -c "
import json, sys; m = json.load(sys.stdin)[\"closure\"][\"error\"][\"message\"]; print(m); assert \"FlyteWorkflow\" in m or \"namespace\" in m, m" &&
	 grep -q "try 1 of" "$tmp/down.log"'
check "the admin still answers" 'curl -sf "$url/healthz" > /dev/null'
kill "$srv"; wait "$srv" 2>/dev/null
sed -E 's#token: *"?[0-9a-zA-Z]+"?#token: "not-the-token"#' "$KUBECONFIG" > "$tmp/badtoken.kubeconfig"
serve "$tmp/bad.log" "$tmp/port3" --cluster "$tmp/badtoken.kubeconfig"
check "credentials the API server refuses: FAILED at once (no retries) with the API's message" \
	'test "$(launch hello b1)" = 200 && wait_phase b1 FAILED 30 &&
	 curl -s "$url/api/v1/executions/$proj/development/b1" | python3 -c "
import json, sys; m = json.load(sys.stdin)[\"closure\"][\"error\"][\"message\"]; print(m); assert \"Unauthorized\" in m, m" &&
	 ! grep -q "try 1 of" "$tmp/bad.log"'
kill "$srv"; wait "$srv" 2>/dev/null
serve "$tmp/bad.log" "$tmp/port4" --cluster "$KUBECONFIG" --namespace-template 'Bad_{{project}}'
check "a namespace template making an invalid name: FAILED with a clear message" \
	'test "$(launch hello b2)" = 200 && wait_phase b2 FAILED 30 &&
	 curl -s "$url/api/v1/executions/$proj/development/b2" | python3 -c "
import json, sys; m = json.load(sys.stdin)[\"closure\"][\"error\"][\"message\"]; print(m); assert \"Bad_\" in m, m"'
kill "$srv"; wait "$srv" 2>/dev/null
check "no sanitizer report in the other admins' logs" '! grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$tmp/down.log" "$tmp/bad.log"'
summary
