#!/usr/bin/env bash
# flytec run on every workflow of examples/workflows (with the inputs it needs; outputs checked), then the ways a
# run can fail: a task that exits non-zero, missing and bad inputs, unknown inputs and workflows, a broken spec.
# A workflow added to examples/workflows without a line in `cases` below is run with no inputs and must succeed.
set -u
cd "$(dirname "$0")/../.." || exit 2
flytec=${FLYTEC:-bin/flytec}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 checks=0
check() { # check NAME COMMAND...: the command must succeed
  checks=$((checks + 1))
  if ( eval "${@:2}" ) > "$tmp/check.out" 2>&1; then echo "ok   $1"; else
    echo "FAIL $1"; sed 's/^/     /' "$tmp/check.out" | head -n 20; fails=$((fails + 1)); fi
}
# run NAME ARGS...: flytec run with a fresh data directory; stdout in $tmp/NAME.out, stderr in $tmp/NAME.err, the
# exit status in $tmp/NAME.rc.
run() {
  local name=$1
  shift
  "$flytec" run "$@" --data-dir "$tmp/data-$name" > "$tmp/$name.out" 2> "$tmp/$name.err"
  echo $? > "$tmp/$name.rc"
}
rc() { cat "$tmp/$1.rc"; }

# --- every example workflow -----------------------------------------------------------------------------------
# name | inputs | expected output lines (each must appear in stdout)
cases='hello|--input name=flytec|greeting: "Hello, flytec!"
orders_etl|--input day=2024-05-01T02:30:00+02:00 --input source=shop-eu|revenue: 47416.28;top_region: "south";loaded_rows: 4
train_and_publish||best_accuracy: 0.92;status: "published (accuracy 0.92)"'

names=$("$flytec" compile examples/workflows 2>/dev/null | sed -n 's|^workflow [^/]*/[^/]*/\([^@]*\)@.*|\1|p')
check "examples/workflows has workflows" 'test -n "$names"'
for wf in $names; do
  line=$(printf '%s\n' "$cases" | grep "^$wf|" || true)
  inputs=$(cut -d'|' -f2 <<< "$line")
  expect=$(cut -d'|' -f3 <<< "$line")
  # shellcheck disable=SC2086 # inputs are words
  run "$wf" "examples/workflows:$wf" $inputs
  check "run $wf: exit 0, succeeded" 'test "$(rc '"$wf"')" = 0 && grep -q "^execution .* succeeded$" "$tmp/'"$wf"'.out"'
  if [ -n "$expect" ]; then
    IFS=';' read -r -a lines <<< "$expect"
    for l in "${lines[@]}"; do
      check "run $wf: prints $l" 'grep -qF -- "  $l" "$tmp/'"$wf"'.out"'
    done
  fi
  check "run $wf: progress on stderr" 'grep -q "workflow SUCCEEDED" "$tmp/'"$wf"'.err"'
done

# Inputs change the outcome: a failing quality check (branch else_fail), a model held back (branch else).
run etl_fail examples/workflows:orders_etl --input day=2024-05-01T02:30:00+02:00 --input source=shop-eu \
  --input min_rows=10000
check "orders_etl with min_rows=10000: exit 1 with the branch's message" \
  'test "$(rc etl_fail)" = 1 && grep -q "FAILED: node check: too few orders for the day" "$tmp/etl_fail.out"'
run held examples/workflows/ml_training.yaml --input target_accuracy=0.95
check "train_and_publish with target 0.95: held" \
  'test "$(rc held)" = 0 && grep -qF "status: \"held: no candidate reached the target accuracy\"" "$tmp/held.out"'
run hello_default examples/workflows/hello.yaml
check "hello without inputs: the default" 'test "$(rc hello_default)" = 0 && grep -qF "greeting: \"Hello, world!\"" "$tmp/hello_default.out"'
run hello_quoted examples/workflows/hello.yaml --input 'name=$(touch '"$tmp"'/pwned); ;"x'
check "inputs are argv, never shell text" \
  'test "$(rc hello_quoted)" = 0 && test ! -e "$tmp/pwned" && grep -qF "Hello, \$(touch" "$tmp/hello_quoted.out"'

# --- failures ---------------------------------------------------------------------------------------------------
cat > "$tmp/fail.yaml" << 'EOF'
tasks:
  - name: crash
    type: raw-container
    inputs: {code: integer}
    container:
      image: debian:12-slim
      command: [sh, -c, 'echo "disk on fire" >&2; exit "$1"', crash, "{{.inputs.code}}"]
  - name: missing_binary
    type: raw-container
    container: {image: debian:12-slim, command: [/nonexistent/tool, --flag]}
  - name: no_output
    type: raw-container
    outputs: {n: integer}
    container: {image: debian:12-slim, command: ["true"]}
  - name: bad_output
    type: raw-container
    outputs: {n: integer}
    container: {image: debian:12-slim, command: [sh, -c, 'echo twelve > "$FLYTE_OUTPUT_DIR/n"']}
  - name: slow
    type: raw-container
    timeout: 1s
    container: {image: debian:12-slim, command: [sleep, "30"]}
workflows:
  - name: crashes
    inputs: {code: {type: integer, default: 3}}
    nodes:
      - {id: c, task: crash, inputs: {code: !ref inputs.code}}
  - name: missing
    nodes:
      - {id: m, task: missing_binary}
  - name: nooutput
    nodes:
      - {id: o, task: no_output}
  - name: badoutput
    nodes:
      - {id: o, task: bad_output}
  - name: timesout
    nodes:
      - {id: s, task: slow}
  - name: typed
    inputs: {n: integer, when: datetime, ratio: float, flag: boolean, names: "list<string>"}
    nodes:
      - id: e
        task: crash
        inputs: {code: 0}
EOF
run crash "$tmp/fail.yaml:crashes"
check "a task that exits 3: exit 1, FAILED" 'test "$(rc crash)" = 1 && grep -q "^execution .* FAILED" "$tmp/crash.out"'
check "a task that exits 3: the message names the node, the status and stderr" \
  'grep -q "node c: exit status 3; stderr: disk on fire" "$tmp/crash.out"'
check "a task that exits 3: progress shows the node failed" 'grep -q "node c FAILED" "$tmp/crash.err"'
run crash0 "$tmp/fail.yaml:crashes" --input code=0
check "the same task exiting 0 succeeds" 'test "$(rc crash0)" = 0'
run missing_bin "$tmp/fail.yaml:missing"
check "a command that does not exist: exit 1, says so" \
  'test "$(rc missing_bin)" = 1 && grep -q "cannot run the command: No such file or directory" "$tmp/missing_bin.out"'
run noout "$tmp/fail.yaml:nooutput"
check "a declared output never written: exit 1, names it" \
  'test "$(rc noout)" = 1 && grep -q "wrote no output .n." "$tmp/noout.out"'
run badout "$tmp/fail.yaml:badoutput"
check "an output that does not parse as its type: exit 1, says why" \
  'test "$(rc badout)" = 1 && grep -q "output .n.: .*twelve" "$tmp/badout.out"'
run timeout "$tmp/fail.yaml:timesout"
check "a task past its timeout: exit 1, TIMED_OUT" \
  'test "$(rc timeout)" = 1 && grep -qi "timed.out\|timeout" "$tmp/timeout.out"'

# Inputs: usage errors exit 2 with a clear message, before anything runs.
run no_inputs "$tmp/fail.yaml:typed"
check "missing inputs: exit 2, every one named with its type" \
  'test "$(rc no_inputs)" = 2 && grep -q "missing input .n. of type integer" "$tmp/no_inputs.err" &&
   grep -q "missing input .when. of type datetime" "$tmp/no_inputs.err" && grep -q "missing input .names." "$tmp/no_inputs.err"'
check "missing inputs: nothing ran" 'test ! -e "$tmp/data-no_inputs/propeller.db" || ! grep -q "workflow" "$tmp/no_inputs.err"'
good='--input n=1 --input when=2024-01-01T00:00:00Z --input ratio=0.5 --input flag=true --input names=[a,b]'
# shellcheck disable=SC2086
run typed_ok "$tmp/fail.yaml:typed" $good
check "typed inputs given as text are converted (exit 0)" 'test "$(rc typed_ok)" = 0'
for bad in "n=twelve|integer" "when=yesterday|datetime" "ratio=half|float" "flag=maybe|boolean"; do
  kv=${bad%|*}
  # shellcheck disable=SC2086
  run "bad_${kv%%=*}" "$tmp/fail.yaml:typed" $good --input "$kv"
  check "bad value $kv: exit 2, names the input and the expected type" \
    'test "$(rc bad_'"${kv%%=*}"')" = 2 && grep -q "input .'"${kv%%=*}"'.: .*'"${kv#*=}"'" "$tmp/bad_'"${kv%%=*}"'.err" &&
     grep -qi "'"${bad#*|}"'" "$tmp/bad_'"${kv%%=*}"'.err"'
done
run unknown_input examples/workflows/hello.yaml --input nme=x
check "an input the workflow does not have: exit 2" \
  'test "$(rc unknown_input)" = 2 && grep -q "has no input .nme." "$tmp/unknown_input.err"'
run no_eq examples/workflows/hello.yaml --input name
check "--input without =: exit 2" 'test "$(rc no_eq)" = 2 && grep -q "NAME=VALUE" "$tmp/no_eq.err"'
run unknown_wf examples/workflows:nope
check "an unknown workflow: exit 2" 'test "$(rc unknown_wf)" = 2 && grep -q "no workflow .nope." "$tmp/unknown_wf.err"'
run ambiguous "$tmp/fail.yaml"
check "a file with several workflows and none named: exit 2, says how" \
  'test "$(rc ambiguous)" = 2 && grep -q "name one as FILE:WORKFLOW" "$tmp/ambiguous.err"'
run broken examples/broken
check "a broken spec: exit 1 with compiler diagnostics" \
  'test "$(rc broken)" = 1 && grep -q "error\[" "$tmp/broken.err"'
run nofile "$tmp/does-not-exist.yaml"
check "a missing file: non-zero exit, names it" \
  'test "$(rc nofile)" != 0 && grep -q "does-not-exist.yaml" "$tmp/nofile.err"'
"$flytec" run > /dev/null 2>&1
check "no arguments: exit 2" "test $? -eq 2"

echo "run_examples: $((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
