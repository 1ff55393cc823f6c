#!/usr/bin/env bash
# operator_test.sh: `flytec propeller` against a real API server (k8s_lib.sh: kube-up.sh with controllers, or
# node-up.sh's real kubelet running busybox pods on a hostPath data volume; without a node, tests/k8s/fake_kubelet.py
# runs each pod's command as a local process and writes its status, as a kubelet would).
#   - every node kind on the cluster (tasks, branch, subworkflow, gate, map, a task retried after a failure):
#     Succeeded, outputs right, finalizer removed, node statuses in the status;
#   - a failing task fails the workflow; a timeout fails it with the timeout's message;
#   - an invalid resource is marked Failed with the reader's message; the operator carries on;
#   - deleting a running workflow deletes its pod before the finalizer lets the resource go;
#   - status writes under concurrent changes of the resource (409s): re-read and re-applied, the workflow finishes;
#   - events reach the admin over HTTP in order, across 503s and a kill -9, none lost or changed;
#   - two replicas with one Lease: one leads, the other takes over when the leader is killed.
SUITE=operator
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

# --- one operator, no election ---------------------------------------------------------------------------------
operator "$tmp/op1.log" --no-leader-election
emit kinds kinds-1
check "every node kind runs on the cluster and the workflow Succeeds (phase 3)" 'wait_phase kinds-1 3 120'
check "its outputs: fanned [11 12 13], total 412" 'test "$(outputs kinds-1)" = "11 12 13 412 "'
check "the finalizer is removed at the end" \
	'test -z "$(k -n "$ns" get fly kinds-1 -o jsonpath="{.metadata.finalizers}")"'
check "node statuses in Flyte shape: the map child, the branch case, the subworkflow child (nested under subNodeStatus with --state status), 2 attempts of the retried node" \
	'k -n "$ns" get fly kinds-1 -o json | python3 -c "
import json, os, sys; s = json.load(sys.stdin)[\"status\"]; n = s[\"nodeStatus\"]
nested = (os.environ.get(\"FLYTEC_OPERATOR_STATE\") or \"status\") == \"status\"  # the default mode
def node(uid):
    if not nested: return n[uid]
    parent, sep, child = uid.partition(\"-0-\")
    return n[parent][\"subNodeStatus\"][child] if sep else n[uid]
for k in (\"first\", \"route\", \"route-0-route-big\", \"sub\", \"sub-0-twice\", \"pause\", \"fan\", \"fan-0-2\", \"retried\"):
    assert node(k)[\"phase\"] == 5, (k, node(k))
tns = \"TaskNodeStatus\" if nested else \"taskNodeStatus\"
assert n[\"retried\"][\"attempts\"] == 2 and n[\"retried\"][tns][\"phase\"] == 3
assert s[\"outputRef\"].endswith(\"/end-node/data/0/outputs.pb\") and \"lastUpdatedAt\" in s"'
check "one pod per attempt: 9 pods, the retried node twice" \
	'test "$(k -n "$ns" get pods -l execution-id=kinds-1 -o name | sort | tr "\n" " ")" = "pod/kinds-1-fan-0-0-0 pod/kinds-1-fan-0-1-0 pod/kinds-1-fan-0-2-0 pod/kinds-1-first-0 pod/kinds-1-retried-0 pod/kinds-1-retried-1 pod/kinds-1-route-0-route-big-0 pod/kinds-1-sub-0-twice-0 "'
check "pods carry an ownerReference to their FlyteWorkflow" \
	'k -n "$ns" get pod kinds-1-first-0 -o jsonpath="{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}" | grep -qx FlyteWorkflow/kinds-1'

emit failing failing-1
emit timeout timeout-1
check "a task exiting 3 fails the workflow (phase 5) with the pod's message" \
	'wait_phase failing-1 5 60 && k -n "$ns" get fly failing-1 -o jsonpath="{.status.message}" | grep -q "exit code (3)"'
# The engine's timer (pod deleted, "ran past its timeout") or the pod's activeDeadlineSeconds (the kubelet stops
# it: DeadlineExceeded), whichever comes first on a loaded machine.
check "a 2 s timeout fails the workflow with the timeout in the message; its pod deleted or stopped by its deadline" \
	'wait_phase timeout-1 5 60 && m=$(k -n "$ns" get fly timeout-1 -o jsonpath="{.status.message}") && echo "message: $m" &&
	 echo "$m" | grep -Eqi "past its timeout|passed its timeout|deadline" &&
	 for i in $(seq 1 50); do d=$(k -n "$ns" get pod timeout-1-late-0 -o jsonpath="{.metadata.deletionTimestamp}/{.status.phase}" 2>&1);
	   case "$d" in *NotFound*|2*|*/Failed) exit 0;; esac; sleep 0.2; done; echo "pod: $d"; exit 1'

python3 - "$tmp/kinds-1.json" > "$tmp/bad.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["metadata"]["name"] = d["executionId"]["name"] = "bad-1"
d["spec"]["nodes"]["first"]["kind"] = "teleport"
print(json.dumps(d))
EOF
k create -f "$tmp/bad.json" > /dev/null
check "an invalid resource is marked Failed with the reader's message and its finalizer removed" \
	'wait_phase bad-1 5 30 && k -n "$ns" get fly bad-1 -o jsonpath="{.status.message}" | grep -q "spec.nodes.first.kind: unknown node kind .teleport." &&
	 test -z "$(k -n "$ns" get fly bad-1 -o jsonpath="{.metadata.finalizers}")"'
check "the operator is still running after the invalid resource" 'kill -0 $op'

emit long long-1
check "a long task's pod starts" \
	'for i in $(seq 1 150); do k -n "$ns" get pod long-1-wait-0 > /dev/null 2>&1 && exit 0; sleep 0.2; done; exit 1'
k -n "$ns" delete fly long-1 --wait=false > /dev/null
check "deleting the resource deletes the pod first, then the finalizer lets the resource go" \
	'for i in $(seq 1 100); do k -n "$ns" get fly long-1 > /dev/null 2>&1 || break; sleep 0.2; done;
	 ! k -n "$ns" get fly long-1 > /dev/null 2>&1 &&
	 d=$(k -n "$ns" get pod long-1-wait-0 -o jsonpath="{.metadata.deletionTimestamp}" 2>&1); case "$d" in *NotFound*|2*) true;; *) false;; esac'

# concurrent writers: a label changes every 50 ms while the operator writes statuses
emit kinds kinds-2
(for i in $(seq 1 400); do k -n "$ns" label fly kinds-2 --overwrite "poke=$i" > /dev/null 2>&1; sleep 0.05; done) &
poker=$!
pids+=($poker)
check "under concurrent changes of the resource the workflow still Succeeds" 'wait_phase kinds-2 3 120'
kill "$poker" 2>/dev/null
kill "$op"; wait "$op" 2>/dev/null
check "status writes met conflicts (409) and re-applied them (operator stats)" \
	'grep "propeller: stats:" "$tmp/op1.log" | tail -n 1 | grep -Eq "conflicts=[1-9]"'
grep "propeller: stats:" "$tmp/op1.log" | tail -n 1 | sed 's/.*stats: /  stats: /'

# --- events to the admin over HTTP, across a kill -9 -------------------------------------------------------------
: > "$tmp/events.log"
FAIL_FIRST=3 python3 tests/k8s/event_recorder.py "$tmp/events.log" > "$tmp/recorder.port" &
pids+=($!)
for i in $(seq 1 50); do [ -s "$tmp/recorder.port" ] && break; sleep 0.1; done
operator "$tmp/op3.log" --no-leader-election --admin-url "http://127.0.0.1:$(cat "$tmp/recorder.port")"
emit nomap kinds-5
sleep 3
kill -9 "$op"; wait "$op" 2>/dev/null
operator "$tmp/op3.log" --no-leader-election --admin-url "http://127.0.0.1:$(cat "$tmp/recorder.port")"
check "events reach the admin: the workflow's last event is SUCCEEDED, every node and task reported" \
	'wait_phase kinds-5 3 120 && sleep 1 && python3 - "$tmp/events.log" <<"EOF"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
mine = [e for e in evs if e["requestId"].startswith("optest-development-kinds-5-")]
wf = [e["event"]["phase"] for e in mine if e["path"].endswith("/workflows")]
assert wf and wf[-1] == "SUCCEEDED", wf
nodes = {e["event"]["id"]["nodeId"] for e in mine if e["path"].endswith("/nodes")}
assert {"first", "route", "sub", "retried"} <= nodes, nodes
tasks = {(e["event"]["parentNodeExecutionId"]["nodeId"], e["event"].get("retryAttempt", 0)) for e in mine if e["path"].endswith("/tasks")}
assert ("retried", 0) in tasks and ("retried", 1) in tasks, tasks
EOF'
check "after 503s and a kill -9, no event is lost or changed: sequence numbers 1..N, a resent id has the same body" \
	'python3 - "$tmp/events.log" <<"EOF"
import json, sys
seen = {}
for l in open(sys.argv[1]):
    e = json.loads(l)
    if not e["requestId"].startswith("optest-development-kinds-5-"):
        continue
    if e["requestId"] in seen:
        assert seen[e["requestId"]] == e, "resent with another body: " + e["requestId"]
    seen[e["requestId"]] = e
seqs = sorted(int(r.rsplit("-", 1)[1]) for r in seen)
assert seqs == list(range(1, len(seqs) + 1)), seqs[:20]
print(len(seqs), "events")
EOF'
kill "$op" 2>/dev/null; wait "$op" 2>/dev/null

# --- two replicas, one Lease ---------------------------------------------------------------------------------
lease=(--lease-name "optest-$$" --lease-namespace "$ns" --lease-duration 3 --renew-deadline 2 --retry-period 0.5)
operator "$tmp/r1.log" "${lease[@]}" --identity r1
r1=$op
sleep 2
operator "$tmp/r2.log" "${lease[@]}" --identity r2
r2=$op
emit kinds kinds-3
check "with two replicas exactly one leads and the workflow Succeeds" \
	'wait_phase kinds-3 3 120 && test "$(cat "$tmp/r1.log" "$tmp/r2.log" | grep -c "operator: leading")" -eq 1 &&
	 grep -q "operator: leading (r1)" "$tmp/r1.log"'
kill -9 "$r1"; wait "$r1" 2>/dev/null
emit kinds kinds-4
check "after kill -9 of the leader the other replica takes the Lease and finishes the next workflow" \
	'wait_phase kinds-4 3 120 && grep -q "operator: leading (r2)" "$tmp/r2.log" &&
	 test "$(k -n "$ns" get lease "optest-$$" -o jsonpath="{.spec.holderIdentity}")" = r2'
kill "$r2" 2>/dev/null; wait "$r2" 2>/dev/null

check "no sanitizer report in any operator's log (ASan, LeakSanitizer, UBSan)" \
	'! grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$tmp"/op*.log "$tmp"/r*.log'
summary
