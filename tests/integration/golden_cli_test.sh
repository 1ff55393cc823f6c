#!/usr/bin/env bash
# flytec golden check/update/review on a user's repository: exit statuses, one snapshot per entity, the DAG diff
# report, stale snapshots and --prune, review's refusal without a terminal, and flytec explain's table.
set -u
cd "$(dirname "$0")/../.." || exit 2
flytec=${FLYTEC:-bin/flytec}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 checks=0
check() { # check NAME COMMAND...: the command must succeed
  checks=$((checks + 1))
  if ( eval "${@:2}" ) > "$tmp/check.out" 2>&1; then echo "ok   $1"; else
    echo "FAIL $1"; sed 's/^/     /' "$tmp/check.out" | head -n 15; fails=$((fails + 1)); fi
}
mkdir -p "$tmp/repo/specs"
cat > "$tmp/repo/specs/pipe.yaml" <<'YAML'
tasks:
  - name: measure
    type: echo
    inputs: {value: float}
    outputs: {value: float}
  - name: note
    type: echo
    inputs: {msg: string}
    outputs: {msg: string}
workflows:
  - name: check
    inputs: {x: {type: float, default: 0.5}}
    nodes:
      - {id: m, task: measure, inputs: {value: !ref inputs.x}}
      - id: decide
        branch:
          - if: m.value >= 0.5
            then: {task: note, inputs: {msg: high}}
          - else: {task: note, inputs: {msg: low}}
    outputs: {msg: !ref decide.msg}
launch_plans:
  - name: nightly
    workflow: check
    schedule: {cron: '0 3 * * *'}
YAML
cd "$tmp/repo" || exit 2
flytec=$(cd "$OLDPWD" && realpath "$flytec")

check "check without snapshots exits 1 and names every entity as new" \
  '"$flytec" golden check specs > out 2> err; test $? -eq 1 && grep -q "^workflow flytesnacks/development/check: new" out && test $(grep -c ": new$" out) -eq 5'
check "update writes one snapshot per entity and says which" \
  '"$flytec" golden update specs > out 2>&1 && test $(grep -c "^created " out) -eq 5 &&
   test -f tests/dags/tasks/measure.dag && test -f tests/dags/workflows/check.dag && test -f tests/dags/launch_plans/nightly.dag'
check "snapshots are canonical text without versions" \
  'head -n1 tests/dags/workflows/check.dag | grep -qx "workflow flytesnacks/development/check" && ! grep -q "@" tests/dags/workflows/check.dag'
check "check passes when nothing changed (exit 0, no report)" \
  '"$flytec" golden check specs > out 2> err && test ! -s out && grep -q "5 snapshots match" err'
check "comments and key order in the spec do not matter" \
  'cp specs/pipe.yaml pipe.bak && sed -i "1i # a comment" specs/pipe.yaml && "$flytec" golden check specs > /dev/null 2>&1; rc=$?; cp pipe.bak specs/pipe.yaml; test $rc -eq 0'

# a change of the DAG: a renamed node, a new node with retries, a changed condition, a changed default, a new
# schedule, and a changed task interface
python3 - <<'PY'
p = 'specs/pipe.yaml'
s = open(p).read()
s = s.replace("id: m, task: measure, inputs: {value: !ref inputs.x}", "id: m2, task: measure, inputs: {value: !ref inputs.x}")
s = s.replace("m.value >= 0.5", "m2.value >= 0.7").replace("default: 0.5", "default: 0.75").replace("0 3 * * *", "0 4 * * *")
s = s.replace("      - id: decide\n", "      - {id: extra, task: note, retries: 3, inputs: {msg: hello}}\n      - id: decide\n")
open(p, 'w').write(s)
PY
"$flytec" golden check specs > report 2> err; rc=$?
check "check after a change exits 1 and says how to accept" 'test '"$rc"' -eq 1 && grep -q "golden update" err'
check "the report is a DAG diff: node rename" 'grep -q "node m renamed to m2 (same content)" report'
check "the report is a DAG diff: node added with its task" 'grep -q "+ node extra added (task flytesnacks/development/note)" report'
check "the report is a DAG diff: retries of the new node are not reported apart" '! grep -q "retries" report'
check "the report is a DAG diff: branch case changed" 'grep -q "node decide: case 1 changed from if m.value >= 0.5: to if m2.value >= 0.7:" report'
check "the report is a DAG diff: default changed" 'grep -q "input .x. default changed from 0.5 to 0.75" report'
check "the report is a DAG diff: schedule changed" 'grep -q "schedule changed from cron \"0 3 \* \* \*\"" report'
check "the report is a DAG diff: edges added" 'grep -q "+ edge start-node -> extra added" report'
check "unchanged entities print nothing" '! grep -q "^task flytesnacks/development/measure" report'
check "--error-format json gives the report as data" \
  '"$flytec" golden check --error-format json specs 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"format_version\"] == 1; assert any(c[\"op\"] == \"renamed\" and c[\"new\"] == \"m2\" for c in d[\"changes\"]), d"'
check "review refuses without a terminal (exit 2)" \
  '"$flytec" golden review specs < /dev/null > out 2> err; test $? -eq 2 && grep -q "terminal" err'
check "update rewrites only what changed" \
  '"$flytec" golden update specs > out 2>&1 && grep -q "^updated tests/dags/workflows/check.dag" out && ! grep -q "tasks/measure" out && "$flytec" golden check specs'
check "a stale snapshot is reported and fails the check" \
  'printf "task flytesnacks/development/gone\n  type: echo\n" > tests/dags/tasks/gone.dag && "$flytec" golden check specs > out 2>&1; test $? -eq 1 && grep -q "task flytesnacks/development/gone: removed" out'
check "update without --prune keeps it; with --prune deletes it" \
  '"$flytec" golden update specs > out 2>&1 && grep -q "^stale tests/dags/tasks/gone.dag" out && test -f tests/dags/tasks/gone.dag &&
   "$flytec" golden update --prune specs > out 2>&1 && grep -q "^deleted tests/dags/tasks/gone.dag" out && test ! -e tests/dags/tasks/gone.dag && "$flytec" golden check specs'
check "a snapshot holding another entity is reported, not trusted" \
  'cp tests/dags/tasks/note.dag tests/dags/tasks/measure.dag && "$flytec" golden check specs > out 2>&1; test $? -eq 1 && grep -q "does not hold the snapshot of task .measure." out; "$flytec" golden update specs > /dev/null 2>&1'
check "--dir puts snapshots elsewhere" '"$flytec" golden update --dir snaps specs > /dev/null 2>&1 && test -f snaps/workflows/check.dag'
check "spec errors exit 1 with the diagnostics" \
  'printf "tasks:\n  - {name: t, type: echo, retires: 1}\n" > specs/bad.yaml && "$flytec" golden check specs > out 2> err; rc=$?; rm specs/bad.yaml; test $rc -eq 1 && grep -q "UnknownKey" err'
check "usage errors exit 2" '"$flytec" golden frobnicate specs 2>/dev/null; test $? -eq 2 && { "$flytec" golden check 2>/dev/null; test $? -eq 2; }'
check "a missing spec path exits 2" '"$flytec" golden check no-such-dir > /dev/null 2>&1; test $? -eq 2'

# flytec explain: every code docs/spec.md lists, and every code the compiler reports, has an explanation
cd "$OLDPWD" || exit 2
check "flytec explain prints a wrong and a fixed example" \
  '"$flytec" explain TaskReferenceNotFound > "$tmp/ex" && grep -q "^Wrong:" "$tmp/ex" && grep -q "^Fixed:" "$tmp/ex"'
check "flytec explain of an unknown code exits 2" '"$flytec" explain NoSuchCode 2>/dev/null; test $? -eq 2'
check "every code in docs/spec.md has an explanation" \
  'codes=$(sed -n "/^## Diagnostics and error codes/,/^## How specs map/p" docs/spec.md | grep "^| \`" | cut -d"|" -f2 | grep -o "\`[A-Za-z]*\`" | tr -d "\`" | sort -u);
   test $(echo "$codes" | wc -l) -ge 40 && for c in $codes; do "$flytec" explain "$c" > /dev/null || { echo "no explanation: $c"; exit 1; }; done'
check "every code the compiler reports has an explanation" \
  'n=0; for c in $(grep -ohE "(err_at|werr|cmp_error_at|fc_diag_add|cmp_warn_at|diag)\([^\"]*\"[A-Z][A-Za-z]+\"" compiler/*.c | grep -oE "\"[A-Z][A-Za-z]+\"" | tr -d "\"" | sort -u); do
     n=$((n + 1)); "$flytec" explain "$c" > /dev/null || { echo "no explanation: $c"; exit 1; }; done; test $n -ge 20'

echo "golden_cli: $((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
