#!/usr/bin/env bash
# kube_api_test.sh: the kube/ client and the pod builder against a real kube-apiserver (+ a real kubelet when
# node-up.sh can bring one up): runs the cmocka binary test_kube_api with the cluster's env loaded. Each cmocka test
# counts as one check; a skipped test is a failure here (the server is supposed to be up).
SUITE=kube_api
# shellcheck source=tests/k8s/k8s_lib.sh
. "$(dirname "$0")/k8s_lib.sh"

bin=$(k8s_bin test_kube_api)
if [ ! -x "$bin" ]; then
	echo "FAIL: $bin is not built (make $bin)"
	echo "$SUITE: 0 passed, 1 failed"
	exit 1
fi
k8s_up node
out=$(mktemp)
trap 'rm -f "$out"; k8s_cleanup' EXIT
t0=$(date +%s.%N)
timeout 300 "$bin" > "$out" 2>&1
rc=$?
t1=$(date +%s.%N)
cat "$out"
passed=$(grep -c '^\[       OK \]' "$out")
failed=$(grep -c '^\[  FAILED  \] test_' "$out")
failed=$((failed / 2)) # cmocka lists each failure twice (when it happens and in the summary)
skipped=$(grep -c '^\[  SKIPPED \] test_' "$out")
skipped=$((skipped / 2))
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1 # a crash, a sanitizer report or the timeout
	echo "FAIL: $bin exited with $rc"
fi
printf 'test_kube_api ran in %.1f s\n' "$(echo "$t1 - $t0" | bc)"
echo "$SUITE: $passed passed, $((failed + skipped)) failed"
[ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ] && [ "$passed" -gt 0 ]
