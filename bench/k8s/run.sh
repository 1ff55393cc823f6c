#!/usr/bin/env bash
# bench/k8s/run.sh: a fan-out of N independent tasks (default 1000) run by the operator on a real kube-apiserver
# (../shared/k8s/kube-up.sh: etcd + apiserver + controllers on loopback, no kubelet: bench/k8s/patch_kubelet.py
# plays it by patching each pod to Succeeded the moment it appears, so the figures are the control plane's, not
# container start-up). Prints: the time from the resource's creation to the last pod created and to the workflow
# Succeeded, the operator's API requests per task (its stats line: kube/client.c counts them by verb), its CPU
# seconds per task (/proc/PID/stat utime+stime), and the same workflow run locally by `flytec run` (tasks as local
# processes) beside it. Skips (exit 0) without ../shared/k8s. Use the plain build: `make -j2 && bash bench/k8s/run.sh`.
# STATE=volume runs the operator with --state volume (default: its own default, status).
set -u
SUITE=bench-k8s
# a control plane of its own, without a kubelet (a test's node would run the pods for real and load the machine)
export FLYTEC_K8S_RUN=${FLYTEC_K8S_BENCH_RUN:-${TMPDIR:-/tmp}/flytec-k8s-bench-$(id -u)-$(cd "$(dirname "$0")/../.." && pwd | sha256sum | cut -c1-8)}
# shellcheck source=tests/k8s/k8s_lib.sh
. "$(dirname "$0")/../../tests/k8s/k8s_lib.sh"
. "$(dirname "$0")/../lib.sh"
flytec=${FLYTEC:-bin/flytec}
N=${N:-1000}
tmp=$(mktemp -d)
pids=()
ns=bench-$$
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KUBECTL:-}" ] && "$KUBECTL" --kubeconfig "$KUBECONFIG" delete ns "$ns" --wait=false > /dev/null 2>&1
	rm -rf "$tmp"
	k8s_cleanup
}
trap cleanup EXIT
[ -x "$flytec" ] || { echo "bench/k8s: $flytec is not built"; exit 1; }
k8s_up
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }
k apply -f deploy/kubernetes/01-crd.yaml > /dev/null && k create ns "$ns" > /dev/null || {
	echo "bench/k8s: cannot install the CRD or create $ns"; exit 1; }
chmod 755 "$tmp"
python3 - "$tmp/fan.yaml" "$N" <<'EOF'
import sys
n = int(sys.argv[2])
lines = ["project: bench", "tasks:", "  - name: noop", "    type: raw-container", "    container:",
         "      image: localhost/flytec/busybox:1.35", "      command: [sh, -c, 'true']",
         "workflows:", "  - name: fan", "    nodes:"]
lines += ["      - {id: t%d, task: noop}" % i for i in range(n)]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
# the closure offloaded to the data volume (as Flyte's admin does for large workflows): a 1000-node resource inline
# is 440 KB, which this API server decodes in seconds per request on a loaded machine
mkdir -p "$tmp/data"
"$flytec" compile -q "$tmp/fan.yaml" --emit flyteworkflow --workflow fan --execution bench:development:fan-1 \
	--namespace "$ns" --max-resource-bytes 0 --offload-closure "$tmp/data/fan-1.closure.pb" > "$tmp/fan.json" || exit 1
python3 bench/k8s/patch_kubelet.py "$ns" "$tmp/kubelet.log" 2> "$tmp/kubelet.err" &
pids+=($!)
"$flytec" propeller --kubeconfig "$KUBECONFIG" --namespace "$ns" --data-dir "$tmp/data" --data-host-path "$tmp/data" \
	--no-leader-election --max-parallelism "$N" --qps 1000 --burst 1000 ${STATE:+--state "$STATE"} > "$tmp/op.log" 2>&1 &
op=$!
pids+=($op)
for _ in $(seq 1 100); do grep -q 'leading\|watching' "$tmp/op.log" && break; sleep 0.1; done
sleep 1
cpu0=$(awk '{print $14 + $15}' "/proc/$op/stat")
t0=$(date +%s.%N)
k create --validate=false -f "$tmp/fan.json" > /dev/null || exit 1
# the end is read from the operator's stats line (records_freed=1: final status written, finalizer removed), not
# by polling the resource: each GET of it costs the API server as much as the operator's own requests
for _ in $(seq 1 6000); do
	grep -q 'operator: stats: .*records_freed=1 ' "$tmp/op.log" && break
	sleep 0.1
done
t1=$(date +%s.%N)
phase=$(k -n "$ns" get fly fan-1 -o 'jsonpath={.status.phase}' 2>/dev/null)
sleep 3 # the finalizer removal and the last status lines
cpu1=$(awk '{print $14 + $15}' "/proc/$op/stat")
kill "$op"; wait "$op" 2>/dev/null
stats=$(grep 'operator: stats:' "$tmp/op.log" | tail -n 1 | sed 's/.*stats: //')
hz=$(getconf CLK_TCK)
echo "bench/k8s: $N-task fan-out, kube-apiserver $(k version --short 2>/dev/null | sed -n 's/Server Version: //p'), $flytec, load average $(cut -d" " -f1-3 /proc/loadavg)"
python3 - "$N" "$t0" "$t1" "$tmp/kubelet.log" "$phase" "$cpu0" "$cpu1" "$hz" "$stats" <<'EOF'
import sys
n, t0, t1 = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
log, phase, cpu0, cpu1, hz, stats = sys.argv[4], sys.argv[5], float(sys.argv[6]), float(sys.argv[7]), float(sys.argv[8]), sys.argv[9]
lines = [l.split() for l in open(log) if l.strip()]
st = dict(kv.split("=") for kv in stats.split())
req = int(st.get("requests", 0))
print("  workflow phase %s (3: Succeeded), final status written and finalizer removed %.1f s after kubectl create"
      % (phase, t1 - t0))
if lines:
    print("  pods created: %s, the last %.1f s after kubectl create (as the kubelet's watch saw it)"
          % (lines[-1][1], float(lines[-1][0]) - t0))
print("  API requests by the operator: %d = %.2f per task (%s)" % (req, req / n, " ".join(
    "%s=%s" % (v, st.get(v, "?")) for v in ("get", "list", "watch", "create", "update", "patch", "delete"))))
print("  status writes %s (%s of them merge patches), %s bytes of write bodies, conflicts %s" % (
    st.get("status_writes"), st.get("status_patches"), st.get("status_bytes"), st.get("conflicts")))
print("  operator CPU: %.2f s = %.2f ms per task" % ((cpu1 - cpu0) / hz, (cpu1 - cpu0) / hz / n * 1000))
EOF
req=$(tr ' ' '\n' <<< "$stats" | sed -n 's/^requests=//p')
bench_target "k8s $N-task fan-out: API requests per task" "$(echo "scale=2; ${req:-0} / $N" | bc)" "<=" 3 \
  "phase $phase (3: Succeeded) after $(printf %.1f "$(echo "$t1 - $t0" | bc)") s"
rm -rf "$tmp/local"
lt0=$(date +%s.%N)
"$flytec" run "$tmp/fan.yaml:fan" --data-dir "$tmp/local" --max-parallelism "$N" > "$tmp/local.log" 2>&1
lrc=$?
lt1=$(date +%s.%N)
printf '  the same workflow locally (flytec run, %d local processes): %.1f s (exit %d)\n' "$N" "$(echo "$lt1 - $lt0" | bc)" "$lrc"
