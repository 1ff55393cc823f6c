#!/usr/bin/env bash
# operator_array_resume_test.sh: array (map) children that were Queued or Running when the engine was killed are
# stepped again after the restart (issue 10; the bug: array_step() only enqueued children that had not started, so
# the restored ones stayed Running for ever). Locally: `flytec run` killed -9 mid-map, then `flytec run --resume`
# finishes it with every element run once. On the cluster: the operator killed -9 mid-map (3 times), restarted,
# the FlyteWorkflow Succeeds with every element run once and one pod per element.
SUITE=operator_array_resume
# shellcheck source=tests/k8s/k8s_lib.sh
. "$(dirname "$0")/k8s_lib.sh"
k8s_test_begin
ns=arrtest-$$
# wait_lines FILE MIN MAX SECONDS: until FILE has between MIN and MAX lines
wait_lines() {
	local i n
	for i in $(seq 1 $(($4 * 20))); do
		n=$(wc -l < "$1")
		[ "$n" -ge "$2" ] && [ "$n" -le "$3" ] && return 0
		sleep 0.05
	done
	return 1
}
once_each() { # once_each FILE N: N lines, N distinct node ids, all attempt 0
	test "$(wc -l < "$1")" -eq "$2" && test "$(cut -d' ' -f1 "$1" | sort -u | wc -l)" -eq "$2" &&
		! grep -qv ' 0$' "$1"
}

chmod 755 "$tmp"
# six elements, three at a time, each appends "node attempt" to a log then sleeps 2 s
cat > "$tmp/map.yaml" <<'EOF'
project: arrtest
tasks:
  - name: mark
    type: raw-container
    inputs: {log: string, i: integer}
    outputs: {o: integer}
    container:
      image: localhost/flytec/busybox:1.35
      command: [sh, -c, 'echo "$FLYTE_INTERNAL_NODE_ID $FLYTE_ATTEMPT_NUMBER" >> "$1"; sleep 2; echo $(($2 * 10)) > "$FLYTE_OUTPUT_DIR/o"', mark, "{{.inputs.log}}", "{{.inputs.i}}"]
workflows:
  - name: fan
    inputs: {log: string}
    nodes:
      - id: m
        map: {task: mark, parallelism: 3, broadcast: [log]}
        inputs: {log: !ref inputs.log, i: [1, 2, 3, 4, 5, 6]}
    outputs: {o: !ref m.o}
EOF

# --- local: flytec run killed mid-map, then --resume -------------------------------------------------------
: > "$tmp/local-marks"
"$flytec" run "$tmp/map.yaml:fan" --input "log=$tmp/local-marks" --data-dir "$tmp/local" > "$tmp/run1.log" 2>&1 &
run=$!
pids+=($run)
check "local: the first three elements start" 'wait_lines "$tmp/local-marks" 3 3 30'
kill -9 "$run"; wait "$run" 2>/dev/null
# bounded: before the fix the resumed run never ended (the restored children were never stepped)
timeout -s KILL 60 "$flytec" run --resume --data-dir "$tmp/local" > "$tmp/run2.log" 2>&1
rc=$?
check "local: flytec run --resume after kill -9 mid-map ends and Succeeds (exit $rc)" \
	'test "$rc" = 0 && grep -q "workflow SUCCEEDED" "$tmp/run2.log"'
check "local: every element ran exactly once" 'once_each "$tmp/local-marks" 6'

# --- on the cluster: the operator killed mid-map ----------------------------------------------------------
if [ ! -x "${FLYTEC_K8S_DIR:-$PWD/../shared/k8s}/kube-up.sh" ]; then
	echo "skipped the cluster part: the shared Kubernetes scripts are not here"
	summary
fi
k8s_up node
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }
data=$tmp/data
mkdir -p "$data"
chmod 755 "$data"
k8s_install_crd "$ns"
k8s_pods_runner "$ns"
operator() { # operator LOG: start one in the background, pid in $op
	FLYTEC_LOG=debug "$flytec" propeller --kubeconfig "$KUBECONFIG" --namespace "$ns" --data-dir "$data" \
		--data-host-path "$data" --resync 5 ${FLYTEC_OPERATOR_STATE:+--state "$FLYTEC_OPERATOR_STATE"} --no-leader-election >> "$1" 2>&1 &
	op=$!
	pids+=($op)
}
phase() { k -n "$ns" get fly "$1" -o 'jsonpath={.status.phase}' 2>/dev/null; }
wait_phase() { # wait_phase NAME PHASE SECONDS
	local i
	for i in $(seq 1 $(($3 * 5))); do
		[ "$(phase "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	echo "phase of $1 is '$(phase "$1")', expected $2"
	k -n "$ns" get fly "$1" -o json | python3 -c '
import json, sys; print(json.dumps(json.load(sys.stdin).get("status"), indent=1)[:3000])'
	return 1
}
: > "$data/marks"
chmod 666 "$data/marks"
"$flytec" compile -q "$tmp/map.yaml" --emit flyteworkflow --workflow fan --execution arrtest:development:a-1 \
	--namespace "$ns" --prepare --input "log=$data/marks" > "$tmp/a-1.json"
operator "$tmp/op.log"
k create -f "$tmp/a-1.json" > /dev/null
kills=0
# kill while the first three run, while the last three run, and once more as they end
for want in 1 4 6; do
	wait_lines "$data/marks" "$want" 6 120 || break
	kill -9 "$op"; wait "$op" 2>/dev/null
	kills=$((kills + 1))
	echo "  killed the operator with $(wc -l < "$data/marks") of 6 elements started"
	operator "$tmp/op.log"
done
check "cluster: after $kills kills mid-map the workflow Succeeds" 'test "$kills" = 3 && wait_phase a-1 3 180'
check "cluster: every element ran exactly once" 'once_each "$data/marks" 6'
check "cluster: one pod per element (6 pods, all attempt 0)" \
	'test "$(k -n "$ns" get pods -l execution-id=a-1 -o name | wc -l)" -eq 6 &&
	 ! k -n "$ns" get pods -l execution-id=a-1 -o name | grep -qv -- "-0$"'
kill "$op" 2>/dev/null; wait "$op" 2>/dev/null
check "no sanitizer report in the operators' log" '! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$tmp/op.log"'
summary
