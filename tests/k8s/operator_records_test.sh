#!/usr/bin/env bash
# operator_records_test.sh (issue 10): in a clean run the operator's own writes never conflict (it keeps the
# object its status PUT or finalizer patch answered and skips the watch's echo of it), so the count of 409s is zero;
# the per-workflow records are freed when a workflow ends (records=0 in the stats line after each batch, however
# many ran); and a watch that expires (410 Gone: etcd compacted past the operator's resourceVersion while the API
# server restarts) makes the operator list again, and the running workflow still completes once.
SUITE=operator_records
# shellcheck source=tests/k8s/k8s_lib.sh
. "$(dirname "$0")/k8s_lib.sh"
K8S_FAIL_LOGS="op.log"
k8s_test_begin
ns=rectest-$$
k8s_up node
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }
data=$tmp/data
mkdir -p "$data"
chmod 755 "$tmp" "$data"
k8s_install_crd "$ns"
k8s_pods_runner "$ns"
cat > "$tmp/wf.yaml" <<'EOF'
project: rectest
tasks:
  - name: mark
    type: raw-container
    inputs: {log: string, s: integer, id: string}
    outputs: {n: integer}
    container:
      image: localhost/flytec/busybox:1.35
      command: [sh, -c, 'echo "$3 $FLYTE_ATTEMPT_NUMBER" >> "$1"; sleep "$2"; echo 1 > "$FLYTE_OUTPUT_DIR/n"', mark, "{{.inputs.log}}", "{{.inputs.s}}", "{{.inputs.id}}"]
workflows:
  - name: one
    inputs: {log: string, id: string, s: {type: integer, default: 0}}
    nodes:
      - {id: t, task: mark, inputs: {log: !ref inputs.log, s: !ref inputs.s, id: !ref inputs.id}}
    outputs: {n: !ref t.n}
EOF
: > "$data/marks"
chmod 666 "$data/marks"
"$flytec" propeller --kubeconfig "$KUBECONFIG" --namespace "$ns" --data-dir "$data" --data-host-path "$data" ${FLYTEC_OPERATOR_STATE:+--state "$FLYTEC_OPERATOR_STATE"} \
	--resync 5 --no-leader-election > "$tmp/op.log" 2>&1 &
op=$!
pids+=($op)
emit() { # emit NAME [SLEEP]
	"$flytec" compile -q "$tmp/wf.yaml" --emit flyteworkflow --workflow one --execution "rectest:development:$1" \
		--namespace "$ns" --prepare --input "log=$data/marks" --input "s=${2:-0}" --input "id=$1" > "$tmp/$1.json" &&
		k create -f "$tmp/$1.json" > /dev/null
}
# all_done PREFIX N SECONDS: N resources named PREFIX-* are Succeeded (3) and have no finalizer left
all_done() {
	local i
	for i in $(seq 1 $(($3 * 2))); do
		[ "$(k -n "$ns" get fly -o json | python3 -c '
import json, sys
items = [i for i in json.load(sys.stdin)["items"] if i["metadata"]["name"].startswith(sys.argv[1] + "-")]
print(sum(1 for i in items if i.get("status", {}).get("phase") == 3 and not i["metadata"].get("finalizers")))
' "$1")" = "$2" ] && return 0
		sleep 0.5
	done
	k -n "$ns" get fly
	return 1
}
# stat NAME: the last value of NAME= in the operator's stats lines
stat() { grep 'operator: stats:' "$tmp/op.log" | tail -n 1 | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
wait_stat() { # wait_stat NAME VALUE SECONDS
	local i
	for i in $(seq 1 $(($3 * 5))); do [ "$(stat "$1")" = "$2" ] && return 0; sleep 0.2; done
	echo "$1 is '$(stat "$1")', expected $2; last stats line:"; grep 'operator: stats:' "$tmp/op.log" | tail -n 1
	return 1
}

# --- records are freed: two batches of workflows, the operator holds none once they end ----------------------
n=12
for i in $(seq 1 $n); do emit "a-$i"; done
check "batch 1: $n workflows Succeed and lose their finalizer" 'all_done a $n 240'
check "batch 1: the operator holds no record afterwards (records=0, records_freed=$n)" \
	'wait_stat records 0 30 && wait_stat records_freed $n 30'
grep 'operator: stats:' "$tmp/op.log" | tail -n 1 | sed 's/.*stats: /  after batch 1: /'
for i in $(seq 1 $n); do emit "b-$i"; done
check "batch 2: $n more Succeed" 'all_done b $n 240'
check "batch 2: still no record held (records=0, records_freed=$((2 * n)))" \
	'wait_stat records 0 30 && wait_stat records_freed $((2 * n)) 30'
grep 'operator: stats:' "$tmp/op.log" | tail -n 1 | sed 's/.*stats: /  after batch 2: /'
check "a clean run: no 409 on any status or finalizer write (conflicts=0)" 'test "$(stat conflicts)" = 0'
check "status writes after each workflow's first are merge patches (status_patches > 0, conflicts=0 above)" \
	'test "$(stat status_patches)" -gt 0 && test "$(stat status_patches)" -lt "$(stat status_writes)"'
check "the watch echoes of the operator's own writes were recognised and skipped (echoes > 0)" \
	'test "$(stat echoes)" -gt 0'
check "every task ran once (one line per workflow in the marks file, attempt 0)" \
	'test "$(wc -l < "$data/marks")" -eq $((2 * n)) &&
	 test "$(cut -d" " -f1 "$data/marks" | sort -u | wc -l)" -eq $((2 * n)) && ! grep -qv " 0$" "$data/marks"'

# --- 410 Gone: the API server restarts while etcd is compacted past the operator's resourceVersion -----------
etcd_rev() {
	curl -sf -X POST "$ETCD_URL/v3/kv/range" -d '{"key":"AA==","range_end":"AA==","count_only":true}' |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["header"]["revision"])'
}
expire_watches() {
	local i rev
	k8s_apiserver_stop || return 1
	# new revisions the operator never saw, then compact everything before them away
	for i in $(seq 1 5); do
		curl -sf -X POST "$ETCD_URL/v3/kv/put" -d "{\"key\":\"$(printf '/flytec-test/%s' "$i" | base64)\",\"value\":\"eA==\"}" > /dev/null ||
			return 1
	done
	rev=$(etcd_rev) || return 1
	curl -sf -X POST "$ETCD_URL/v3/kv/compaction" -d "{\"revision\":\"$rev\",\"physical\":true}" > /dev/null || return 1
	echo "etcd compacted at revision $rev"
	k8s_apiserver_start && date +%s.%N > "$tmp/ready_at"
}
gone_before=$(stat relists_gone)
emit g-1 8
for i in $(seq 1 100); do [ "$(wc -l < "$data/marks")" -gt $((2 * n)) ] && break; sleep 0.2; done
check "the API server restarts with etcd compacted past every watch's resourceVersion while a task runs" \
	'expire_watches'
check "the operator's watches were answered 410 Gone and listed again (relists_gone grew)" \
	'for i in $(seq 1 300); do [ "$(stat relists_gone)" -gt "${gone_before:-0}" ] && date +%s.%N > "$tmp/relisted_at" && exit 0; sleep 0.2; done
	 grep -E "kube informer|operator: stats" "$tmp/op.log" | tail -n 12; exit 1'
if [ -s "$tmp/ready_at" ] && [ -s "$tmp/relisted_at" ]; then
	printf '  the stats line showed the relist %.1f s after the API server was ready\n' \
		"$(echo "$(cat "$tmp/relisted_at") - $(cat "$tmp/ready_at")" | bc)"
fi
grep -E "kube informer.*(410|Gone|list)" "$tmp/op.log" | tail -n 4 | sed 's/^/  /'
check "the workflow still Succeeds, its task ran once, one pod" \
	'all_done g 1 120 && test "$(grep -c "^g-1 " "$data/marks")" -eq 1 &&
	 test "$(k -n "$ns" get pods -l execution-id=g-1 -o name | wc -l)" -eq 1'

kill "$op"; wait "$op" 2>/dev/null
grep 'propeller: stats:' "$tmp/op.log" | tail -n 1 | sed 's/.*stats: /  exit stats: /'
check "no sanitizer report in the operator's log" '! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$tmp/op.log"'
summary
