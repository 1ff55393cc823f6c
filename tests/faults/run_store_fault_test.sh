#!/usr/bin/env bash
# run_store_fault_test.sh: `flytec run` when its state store fails mid-run. The write fault shim
# (admin-lite/store_fault.c, FLYTEC_FAULT_WRITE_AFTER=N) fails the propeller's N+1st sqlite write as a full disk
# does, once. `flytec run` used to stop at the first store error (exit 1, the execution left half-done); now it
# waits out the engine's back-off and goes on, as `flytec serve`'s executor does. The loop moves the fault from
# the engine's opening to the last commit (N = 0, 1, 2, ... with a growing stride) until a run meets no fault;
# every run must end with the workflow's output and exit 0, and the runs the fault hit say they retried.
set -u
cd "$(dirname "$0")/../.."
FLYTEC=${FLYTEC:-$PWD/bin/flytec}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
check() { # name command
	if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi
}

n=0
runs=0
hit=0
clean=0
while [ $runs -lt 60 ]; do
	rm -rf "$T/data"
	FLYTEC_FAULT_WRITE_AFTER=$n timeout 120 "$FLYTEC" run examples/workflows/hello.yaml --input name=you \
		--data-dir "$T/data" >"$T/out" 2>"$T/err"
	rc=$?
	runs=$((runs + 1))
	if [ $rc != 0 ] || ! grep -q 'greeting: "Hello, you!"' "$T/out"; then
		echo "FAIL: fault after $n writes: exit $rc"
		sed 's/^/    /' "$T/err" | tail -5
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
	if grep -q '^flytec run: .*(retrying)$' "$T/err"; then
		hit=$((hit + 1))
	else
		clean=1
		break
	fi
	n=$((n + 1 + n / 4))
done
check "the fault was met by the early runs and a late run ran clean" '[ $hit -ge 3 ] && [ $clean = 1 ]'
# a failure that retrying cannot fix still ends the run at once (a bad input: exit 2, no retry line)
FLYTEC_FAULT_WRITE_AFTER=1000000 timeout 60 "$FLYTEC" run examples/workflows/hello.yaml --input nope=1 \
	--data-dir "$T/data2" >"$T/out" 2>"$T/err"
check "a refusal is final" 'test $? = 2 && ! grep -q retrying "$T/err"'
echo "run_store_fault_test.sh: $pass passed, $fail failed ($runs runs, $hit met the fault)"
[ $fail = 0 ]
