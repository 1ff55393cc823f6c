#!/usr/bin/env bash
# operator_kill_test.sh: kill -9 of `flytec propeller` at 10 random points of a 100-node workflow (4 chains of 25
# tasks, each appending its node id and attempt to a file on the shared data volume): the workflow Succeeds, every
# task ran exactly once, one pod per node. Same setup as operator_test.sh: a real API server and node-up.sh's
# kubelet, or tests/k8s/fake_kubelet.py where no node runs.
SUITE=operator_kill
# shellcheck source=tests/k8s/k8s_lib.sh
. "$(dirname "$0")/k8s_lib.sh"
k8s_test_begin
wf=tests/k8s/data/operator_wf.yaml
k8s_up node
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }
ns=optest-$$
data=$tmp/data
mkdir -p "$data"
chmod 755 "$tmp" "$data"
k8s_install_crd "$ns"
k8s_pods_runner "$ns"

operator() { # operator LOG [extra options]: start one in the background, pid in $op
	FLYTEC_LOG=debug "$flytec" propeller --kubeconfig "$KUBECONFIG" --namespace "$ns" --data-dir "$data" \
		--data-host-path "$data" --resync 5 ${FLYTEC_OPERATOR_STATE:+--state "$FLYTEC_OPERATOR_STATE"} "${@:2}" >> "$1" 2>&1 &
	op=$!
	pids+=($op)
}
emit() { # emit WORKFLOW NAME [yaml]: create the resource
	"$flytec" compile -q "${3:-$wf}" --emit flyteworkflow --workflow "$1" --execution "optest:development:$2" \
		--namespace "$ns" --prepare > "$tmp/$2.json" && k create -f "$tmp/$2.json" > /dev/null
}
phase() { k -n "$ns" get fly "$1" -o 'jsonpath={.status.phase}' 2>/dev/null; }
wait_phase() { # wait_phase NAME PHASE SECONDS
	local i
	for i in $(seq 1 $(($3 * 5))); do
		[ "$(phase "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	echo "phase of $1 is '$(phase "$1")', expected $2"; k -n "$ns" get fly "$1" -o json | python3 -c '
import json, sys; print(json.dumps(json.load(sys.stdin).get("status"), indent=1)[:3000])'
	return 1
}
outputs() { # outputs EXEC: the workflow outputs' integers, space-separated
	protoc -Ischemas -I/usr/include --decode=flyteidl.core.LiteralMap flyteidl/core/literals.proto \
		< "$data/optest-development-$1/end-node/data/0/outputs.pb" | sed -n 's/.*integer: //p' | tr '\n' ' '
}

# --- kill -9 at random points of a 100-node workflow --------------------------------------------------------
python3 - "$tmp/hundred.yaml" "$data/marks" <<'EOF'
import sys
lines = ["project: optest", "tasks:", "  - name: mark", "    type: raw-container",
         "    inputs: {log: string, prev: integer}", "    outputs: {n: integer}", "    container:",
         "      image: localhost/flytec/busybox:1.35",
         "      command: [sh, -c, 'echo \"$FLYTE_INTERNAL_NODE_ID $FLYTE_ATTEMPT_NUMBER\" >> \"$1\"; echo $(($2 + 1)) > \"$FLYTE_OUTPUT_DIR/n\"', mark, \"{{.inputs.log}}\", \"{{.inputs.prev}}\"]",
         "workflows:", "  - name: hundred", "    nodes:"]
for c in range(4):
    for i in range(25):
        prev = "0" if i == 0 else "!ref c%dn%d.n" % (c, i - 1)
        lines.append("      - {id: c%dn%d, task: mark, inputs: {log: %s, prev: %s}}" % (c, i, sys.argv[2], prev))
lines += ["    outputs:"] + ["      o%d: !ref c%dn24.n" % (c, c) for c in range(4)]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
: > "$data/marks"
chmod 666 "$data/marks"
operator "$tmp/op2.log" --no-leader-election
emit hundred h-1 "$tmp/hundred.yaml"
kills=0
for i in $(seq 1 10); do
	sleep "$(python3 -c 'import random; print(round(random.uniform(0.5, 3.0), 2))')"
	[ "$(phase h-1)" = 3 ] && break
	kill -9 "$op"; wait "$op" 2>/dev/null
	kills=$((kills + 1))
	operator "$tmp/op2.log" --no-leader-election
done
echo "  killed the operator $kills times mid-run ($(wc -l < "$data/marks") of 100 tasks had run at the last kill)"
check "after $kills kills the 100-node workflow Succeeds with outputs 25 25 25 25" \
	'test "$kills" -ge 5 && wait_phase h-1 3 240 && test "$(outputs h-1)" = "25 25 25 25 "'
check "every task ran exactly once (one line per node in the shared marks file, attempt 0)" \
	'test "$(wc -l < "$data/marks")" -eq 100 && test "$(cut -d" " -f1 "$data/marks" | sort -u | wc -l)" -eq 100 &&
	 ! grep -qv " 0$" "$data/marks"'
check "one pod per node (100 pods, none for a second attempt)" \
	'test "$(k -n "$ns" get pods -l execution-id=h-1 -o name | wc -l)" -eq 100 &&
	 ! k -n "$ns" get pods -l execution-id=h-1 -o name | grep -qv -- "-0$"'
kill "$op" 2>/dev/null; wait "$op" 2>/dev/null

# --- the API server restarts mid-run (the apiserver process only: etcd keeps the data) -------------------------
restart_apiserver() { k8s_apiserver_stop && k8s_apiserver_start; }
operator "$tmp/op3.log" --no-leader-election
emit nomap r-1
sleep 3
check "the API server process restarts (same etcd) while the workflow runs" 'restart_apiserver'
check "the workflow still Succeeds after the restart, outputs 412, one pod per attempt" \
	'wait_phase r-1 3 180 && echo "outputs: $(outputs r-1)" && test "$(outputs r-1)" = "412 " &&
	 k -n "$ns" get pods -l execution-id=r-1 -o name && test "$(k -n "$ns" get pods -l execution-id=r-1 -o name | wc -l)" -eq 5'
kill "$op" 2>/dev/null; wait "$op" 2>/dev/null

check "no sanitizer report in any operator's log (ASan, LeakSanitizer, UBSan)" \
	'! grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$tmp"/op*.log'
summary

