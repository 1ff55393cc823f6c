# k8s_lib.sh: start (or reuse) a real control plane for the tests/k8s suite (sourced, not run).
#
# k8s_test_begin  the common start of a suite ($flytec, $tmp, $pids, check, summary, cleanup at exit; below).
# k8s_up [node]   finds ../shared/k8s (or $FLYTEC_K8S_DIR); without it prints a skip summary for $SUITE and exits 0.
#                 Starts kube-up.sh (controllers on), or node-up.sh when "node" is asked, the kubelet is in the build
#                 cache and we are root (falls back to kube-up.sh if the node does not come up), in
#                 $FLYTEC_K8S_RUN (default ${TMPDIR:-/tmp}/flytec-k8s-tests-UID-HASH, HASH from the checkout's
#                 path: never another checkout's run dir),
#                 then loads its env file. Whatever this script started is stopped by the EXIT trap (kube-down.sh,
#                 which stops the node first); a control plane that was already running is left running.
#                 K8S_KEEP=1 keeps what was started (faster reruns).
# k8s_install_crd [NS], k8s_pods_runner NS: the CRD (and a namespace), and who runs the pods (below).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
K8S_DIR=${FLYTEC_K8S_DIR:-$PWD/../shared/k8s}
# one run dir per checkout, so that test runs in two worktrees never share (or tear down) one control plane
export FLYTEC_K8S_RUN=${FLYTEC_K8S_RUN:-${TMPDIR:-/tmp}/flytec-k8s-tests-$(id -u)-$(pwd | sha256sum | cut -c1-8)}
K8S_STARTED=0

k8s_cleanup() {
	if [ "$K8S_STARTED" = 1 ] && [ "${K8S_KEEP:-0}" != 1 ]; then
		"$K8S_DIR/kube-down.sh" --purge >/dev/null 2>&1 || true
	fi
}
trap k8s_cleanup EXIT

k8s_up() {
	local want_node=${1:-} t0 t1 script=kube-up.sh
	if [ ! -x "$K8S_DIR/kube-up.sh" ]; then
		echo "skipped: $K8S_DIR (the shared Kubernetes scripts) not found; nothing to test against"
		echo "$SUITE: 0 passed, 0 failed"
		exit 0
	fi
	if ! { [ -f "$FLYTEC_K8S_RUN/env" ] && grep -q '^KUBE_API_URL=' "$FLYTEC_K8S_RUN/env" &&
		curl -sfk --max-time 2 "$(sed -n 's/^KUBE_API_URL=//p' "$FLYTEC_K8S_RUN/env")/readyz" >/dev/null; }; then
		K8S_STARTED=1
	fi
	if [ "$want_node" = node ] && [ "$(id -u)" = 0 ] && [ "${FLYTEC_K8S_NODE_TESTS:-1}" != 0 ] &&
		ls "${FLYTEC_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flytec-k8s}"/*/bin/kubelet >/dev/null 2>&1; then
		script=node-up.sh
	fi
	mkdir -p build
	t0=$(date +%s.%N)
	if [ "$script" = node-up.sh ]; then
		# node-up.sh is idempotent; a second try gets past a slow image import (seen once here)
		if ! "$K8S_DIR/node-up.sh" > build/k8s-node-up.log 2>&1 &&
			! "$K8S_DIR/node-up.sh" >> build/k8s-node-up.log 2>&1; then
			echo "node-up.sh failed twice (see build/k8s-node-up.log); continuing without a kubelet:"
			grep -i 'error' build/k8s-node-up.log | tail -n 3 | sed 's/^/  /'
			script=kube-up.sh
		fi
	fi
	if [ "$script" = kube-up.sh ] && ! FLYTEC_K8S_CONTROLLERS=1 "$K8S_DIR/kube-up.sh" > build/k8s-kube-up.log 2>&1; then
		echo "kube-up.sh failed:"
		tail -n 20 build/k8s-kube-up.log | sed 's/^/  /'
		echo "$SUITE: 0 passed, 1 failed"
		exit 1
	fi
	t1=$(date +%s.%N)
	set -a
	# shellcheck disable=SC1091
	. "$FLYTEC_K8S_RUN/env"
	set +a
	printf '%s ready in %.1f s (%s, run dir %s)\n' "$script" "$(echo "$t1 - $t0" | bc)" \
		"$([ "$K8S_STARTED" = 1 ] && echo started || echo reused)" "$FLYTEC_K8S_RUN"
}

# k8s_test_begin: the common start of a tests/k8s suite (after SUITE=...): $flytec ($FLYTEC, default bin/flytec; the
# suite fails at once when it is not built), $tmp (a new temp dir), $pids (background processes to stop), fails and
# checks, check and summary, and the EXIT trap k8s_test_end. The suite then calls k8s_up [node] itself. The
# namespace in $ns (if any, when the suite ends) is deleted at exit; files of $tmp named in $K8S_FAIL_LOGS are
# copied to build/$SUITE-NAME when a check failed.
k8s_test_begin() {
	flytec=${FLYTEC:-bin/flytec}
	fails=0 checks=0
	tmp=$(mktemp -d)
	pids=()
	trap k8s_test_end EXIT
	if [ ! -x "$flytec" ]; then
		echo "FAIL: $flytec is not built"; echo "$SUITE: 0 passed, 1 failed"; exit 1
	fi
}

# k8s_test_end (the EXIT trap): stop $pids (TERM, KILL half a second later), delete $ns, keep the logs of a failed
# run, remove $tmp, stop the control plane this run started (k8s_cleanup).
k8s_test_end() {
	local p f alive=0
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && alive=1; done
	[ "$alive" = 1 ] && sleep 0.5
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ -n "${ns:-}" ] && [ -n "${KUBECTL:-}" ]; then
		"$KUBECTL" --kubeconfig "$KUBECONFIG" delete ns "$ns" --wait=false > /dev/null 2>&1
	fi
	if [ "${fails:-0}" -gt 0 ] && [ -d "$tmp" ]; then
		for f in ${K8S_FAIL_LOGS:-}; do
			[ -f "$tmp/$f" ] && cp "$tmp/$f" "build/$SUITE-$f" && echo "  kept build/$SUITE-$f"
		done
	fi
	rm -rf "$tmp"
	k8s_cleanup
}

check() { # check NAME COMMAND...: the command must succeed; its output is shown when it does not
	checks=$((checks + 1))
	if (eval "${@:2}") > "$tmp/check.out" 2>&1; then echo "ok   $1"; else
		echo "FAIL $1"; sed 's/^/     /' "$tmp/check.out" | head -n 20; fails=$((fails + 1)); fi
}
summary() { echo "$SUITE: $((checks - fails)) passed, $fails failed"; [ "$fails" -eq 0 ]; exit $?; }

# k8s_install_crd [NS]: applies deploy/kubernetes/01-crd.yaml (and creates namespace NS when given); the suite
# fails at once (its summary line) when it cannot. Uses $KUBECTL and $KUBECONFIG (k8s_up).
k8s_install_crd() {
	"$KUBECTL" --kubeconfig "$KUBECONFIG" apply -f deploy/kubernetes/01-crd.yaml > /dev/null &&
		{ [ -z "${1:-}" ] || "$KUBECTL" --kubeconfig "$KUBECONFIG" create ns "$1" > /dev/null; } || {
		echo "FAIL: cannot install the CRD${1:+ or create $1}"; fails=$((fails + 1)) checks=$((checks + 1)); summary; }
}

# k8s_pods_runner NS: who runs the pods of namespace NS. With node-up.sh's node, its real kubelet; without one,
# tests/k8s/fake_kubelet.py plays it (added to $pids, log in $tmp/kubelet.log). Says which.
k8s_pods_runner() {
	if [ -z "${FLYTEC_K8S_NODE:-}" ]; then
		python3 tests/k8s/fake_kubelet.py "$1" "$tmp/kubelet.log" 2> "$tmp/kubelet.err" &
		pids+=($!)
		echo "no kubelet: pods are run by tests/k8s/fake_kubelet.py"
	else
		echo "pods run on the real kubelet of node $FLYTEC_K8S_NODE"
	fi
}

# The unit-test binaries of the current build mode (make test sets BUILD; default: the sanitized build if present).
k8s_bin() {
	local b=${BUILD:-}
	if [ -z "$b" ]; then
		if [ -d build/san-address-undefined/tests ]; then b=build/san-address-undefined; else b=build/plain; fi
	fi
	echo "$b/tests/$1"
}

# k8s_apiserver_stop: stop the run dir's API server (TERM; KILL after 15 s: a loaded one has been seen to hang in its
# graceful shutdown), keeping its command line and directory for k8s_apiserver_start. etcd keeps running.
k8s_apiserver_stop() {
	local pidf=$FLYTEC_K8S_RUN/apiserver.pid pid i
	pid=$(cat "$pidf") || return 1
	mapfile -d '' K8S_APISERVER_CMD < "/proc/$pid/cmdline" || { echo "no API server with pid $pid"; return 1; }
	K8S_APISERVER_DIR=$(readlink "/proc/$pid/cwd") || return 1
	echo "apiserver pid $pid"
	kill "$pid" || return 1
	for i in $(seq 1 150); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2> /dev/null && kill -9 "$pid"
	for i in $(seq 1 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2> /dev/null; then echo "the API server $pid did not stop"; return 1; fi
	# the pid file once named a wrapper, not the API server: the real one went on serving, so no watch expired
	# and a 410 check failed (operator_records_test.sh after operator_kill_test.sh). Nothing may answer now.
	if curl -sk --max-time 2 -o /dev/null "$KUBE_API_URL/readyz"; then
		echo "an API server still answers at $KUBE_API_URL after pid $pid stopped"; return 1
	fi
}

# k8s_apiserver_start: start it again as it was, wait until it is ready (60 s). The pid file gets the API server's
# own pid (the subshell execs it), so that the next stop, and kube-down.sh, stop that process and not a wrapper
# (a wrapper's pid once left the old API server serving: no restart happened, and it outlived the run).
k8s_apiserver_start() {
	local pidf=$FLYTEC_K8S_RUN/apiserver.pid pid i
	(cd "$K8S_APISERVER_DIR" && exec nohup "${K8S_APISERVER_CMD[@]}" < /dev/null >> apiserver.log 2>&1) &
	pid=$!
	echo "$pid" > "$pidf"
	for i in $(seq 1 300); do
		if ! kill -0 "$pid" 2> /dev/null; then
			echo "the new API server exited:"
			tail -n 5 "$K8S_APISERVER_DIR/apiserver.log" | sed 's/^/  /'
			return 1
		fi
		curl -sfk --max-time 2 "$KUBE_API_URL/readyz" > /dev/null && echo "new apiserver $pid ready" && return 0
		sleep 0.2
	done
	return 1
}
