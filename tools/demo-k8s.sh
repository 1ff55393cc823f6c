#!/usr/bin/env bash
# make demo-k8s: examples/workflows/hello.yaml on a local Kubernetes, start to finish:
#   1. a real kube-apiserver + controllers + kubelet on loopback (../shared/k8s/node-up.sh; as root, with the kubelet
#      in the build cache; otherwise kube-up.sh and tests/k8s/fake_kubelet.py playing the kubelet);
#   2. the manifests from `flytec k8s manifests` (namespace, CRD, RBAC; the operator's Deployment is left out: its
#      image is not built here, so the operator runs on this machine instead, as `flytec propeller`);
#   3. `flytec propeller` and `flytec serve --cluster` (the admin hands executions to the cluster);
#   4. `flytec launch hello`, waits for it, prints its outputs and `flytec logs` of its pod;
#   5. stops everything it started (DEMO_KEEP=1 keeps it running and prints how to stop it).
# The example's image debian:12-slim is an alias of the node's busybox image (FLYTEC_K8S_IMAGE_ALIASES): no
# registry is reached.
set -u
cd "$(dirname "$0")/.." || exit 2
flytec=${FLYTEC:-$PWD/bin/flytec}
K8S_DIR=${K8S_DIR:-$PWD/../shared/k8s}
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ ! -x "$K8S_DIR/kube-up.sh" ]; then
	echo "demo-k8s: $K8S_DIR (the scripts that start a local Kubernetes) is not here: nothing to run on; skipping."
	echo "          (set K8S_DIR=... to where kube-up.sh and node-up.sh are)"
	exit 0
fi
export FLYTEC_K8S_RUN=${FLYTEC_K8S_RUN:-${TMPDIR:-/tmp}/flytec-demo-k8s-$(id -u)}
export FLYTEC_K8S_IMAGE_ALIASES="docker.io/library/debian:12-slim ${FLYTEC_K8S_IMAGE_ALIASES:-}"
work=$FLYTEC_K8S_RUN/demo
mkdir -p "$work/data"
chmod 755 "$work" "$work/data"
pids=()
stop_all() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	pids=()
}
finish() {
	if [ "${DEMO_KEEP:-0}" = 1 ]; then
		step "left running (DEMO_KEEP=1)"
		echo "admin:    $url   (flytec get executions -p examples -d development --admin $url)"
		echo "operator: pid ${pids[*]:-}, log $work/propeller.log; admin log $work/serve.log"
		echo "kubectl:  set -a; . $FLYTEC_K8S_RUN/env; set +a; \$KUBECTL get fly -A"
		echo "stop it:  kill ${pids[*]:-}; FLYTEC_K8S_RUN=$FLYTEC_K8S_RUN $K8S_DIR/kube-down.sh"
		return
	fi
	step "stopping what the demo started"
	stop_all
	"$K8S_DIR/kube-down.sh" > /dev/null 2>&1 && echo "stopped the admin, the operator and the local Kubernetes ($FLYTEC_K8S_RUN)"
}
url=
trap finish EXIT
trap 'exit 130' INT TERM

step "starting a local Kubernetes in $FLYTEC_K8S_RUN (first run: the kubelet build can take minutes)"
kubelet_cached=$(ls "${FLYTEC_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flytec-k8s}"/*/bin/kubelet 2>/dev/null | head -n 1)
node=0
if [ "$(id -u)" = 0 ] && [ -n "$kubelet_cached" ]; then
	if "$K8S_DIR/node-up.sh" > "$work/node-up.log" 2>&1; then
		node=1
	else
		echo "node-up.sh failed (see $work/node-up.log); going on without a kubelet"
	fi
fi
if [ "$node" = 0 ] && ! FLYTEC_K8S_CONTROLLERS=1 "$K8S_DIR/kube-up.sh" > "$work/kube-up.log" 2>&1; then
	echo "kube-up.sh failed:"; tail -n 20 "$work/kube-up.log"; exit 1
fi
set -a
# shellcheck disable=SC1091
. "$FLYTEC_K8S_RUN/env"
set +a
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }
echo "API server $KUBE_API_URL; $([ "$node" = 1 ] && echo "kubelet: node 127.0.0.1 runs the pods" ||
	echo "no kubelet: tests/k8s/fake_kubelet.py runs each pod's command here and writes its status")"

step "flytec k8s manifests | kubectl apply  (namespace, FlyteWorkflow CRD, RBAC)"
mkdir -p "$work/manifests"
"$flytec" k8s manifests --output-dir "$work/manifests" || exit 1
for f in "$work"/manifests/*.yaml; do
	case "$f" in *operator*) echo "  (skipping $(basename "$f"): its image is not built here; the operator runs locally)"; continue ;; esac
	k apply -f "$f" | sed 's/^/  /' || exit 1
done
k wait --for condition=established --timeout=60s crd/flyteworkflows.flyte.lyft.com > /dev/null || exit 1

ns=examples-development
if [ "$node" = 0 ]; then
	k create ns "$ns" > /dev/null 2>&1
	python3 tests/k8s/fake_kubelet.py "$ns" "$work/kubelet.log" 2> "$work/kubelet.err" &
	pids+=($!)
fi

step "flytec propeller  (the operator: FlyteWorkflows -> pods; data volume $work/data as a hostPath)"
"$flytec" propeller --kubeconfig "$KUBECONFIG" --data-dir "$work/data" --data-host-path "$work/data" \
	--no-leader-election --resync 10 > "$work/propeller.log" 2>&1 &
pids+=($!)

step "flytec serve --repo examples/workflows --cluster \$KUBECONFIG  (the admin hands executions to the cluster)"
rm -f "$work/port"
"$flytec" serve --repo examples/workflows --data-dir "$work/admin" --listen 127.0.0.1:0 --port-file "$work/port" \
	--cluster "$KUBECONFIG" > "$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "the admin did not start:"; tail -n 20 "$work/serve.log"; exit 1; }
url=http://127.0.0.1:$(cat "$work/port")
export FLYTEC_ADMIN=$url
echo "admin at $url"

step "flytec launch hello --input name=kubernetes"
name=hello-$(date +%s)
for _ in $(seq 1 50); do "$flytec" get launch_plans -p examples -d development 2>/dev/null | grep -q '^hello ' && break; sleep 0.1; done
"$flytec" launch hello -p examples -d development --name "$name" --input name=kubernetes || exit 1

step "waiting for it: FlyteWorkflow $ns/$name, its pods, its phase"
phase=
for _ in $(seq 1 600); do
	phase=$("$flytec" get executions "$name" -p examples -d development -o json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["closure"]["phase"])' 2>/dev/null)
	case "$phase" in SUCCEEDED|FAILED|ABORTED|TIMED_OUT) break ;; esac
	sleep 0.2
done
k -n "$ns" get flyteworkflows.flyte.lyft.com "$name" 2>&1 | sed 's/^/  /'
k -n "$ns" get pods -l execution-id="$name" 2>/dev/null | sed 's/^/  /'
"$flytec" get executions "$name" -p examples -d development
"$flytec" get nodes "$name" -p examples -d development
[ "$phase" = SUCCEEDED ] || { echo "the execution is $phase; the operator's log:"; tail -n 20 "$work/propeller.log"; exit 1; }

step "its outputs (on the data volume, as the closure's URI says)"
uri=$("$flytec" get executions "$name" -p examples -d development -o json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["closure"]["outputs"]["uri"])')
echo "  $uri"
protoc -Ischemas -I/usr/include --decode=flyteidl.core.LiteralMap flyteidl/core/literals.proto < "$uri" | sed 's/^/  /'

step "flytec logs $name greet  (through the admin; on Kubernetes: the pod log API)"
echo "(greet writes its greeting to its output file, not to stdout: an empty log is its whole log)"
"$flytec" logs "$name" greet -p examples -d development > "$work/greet.log" || exit 1
sed 's/^/  /' "$work/greet.log"
echo "  -- $(wc -c < "$work/greet.log") bytes; the pod: $(k -n "$ns" get pod "$name-greet-0" -o jsonpath='{.status.phase}' 2>&1)"
exit 0
