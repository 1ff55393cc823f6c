#!/usr/bin/env bash
# flytec compile as CI uses it: exit statuses, output forms, determinism, and the written protobufs.
set -u
cd "$(dirname "$0")/../.." || exit 2
flytec=${FLYTEC:-bin/flytec}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 checks=0
check() { # check NAME COMMAND...: the command must succeed
  checks=$((checks + 1))
  if ( eval "${@:2}" ) > "$tmp/check.out" 2>&1; then echo "ok   $1"; else
    echo "FAIL $1"; sed 's/^/     /' "$tmp/check.out" | head -n 10; fails=$((fails + 1)); fi
}

check "examples compile cleanly (exit 0)" '"$flytec" compile -q examples/workflows > /dev/null'
check "broken example exits 1 with several errors" \
  '"$flytec" compile --color never examples/broken > /dev/null 2> "$tmp/err"; test $? -eq 1 && test $(grep -c "error\[" "$tmp/err") -ge 3'
check "usage error exits 2" '"$flytec" compile --emit nope examples/workflows 2>/dev/null; test $? -eq 2'
check "no arguments exits 2" '"$flytec" compile 2>/dev/null; test $? -eq 2'
check "unknown workflow for --emit exits 2" '"$flytec" compile --emit json --workflow nope examples/workflows 2>/dev/null; test $? -eq 2'
check "-o writes one .pb per entity" \
  '"$flytec" compile -q -o "$tmp/out1" examples/workflows && test $(find "$tmp/out1" -name "*.pb" | wc -l) -ge 10'
check "output is byte-identical across runs" \
  '"$flytec" compile -q -o "$tmp/out2" examples/workflows && diff -r "$tmp/out1" "$tmp/out2"'
check "text output is deterministic" \
  'diff <("$flytec" compile examples/workflows 2>/dev/null) <("$flytec" compile examples/workflows 2>/dev/null)'
check "compiled closures decode with protoc" \
  'for f in "$tmp"/out1/workflows/*.pb; do protoc -Ischemas -I/usr/include --decode=flyteidl.core.CompiledWorkflowClosure flyteidl/core/compiler.proto < "$f" > /dev/null || exit 1; done'
check "launch plans decode with protoc" \
  'for f in "$tmp"/out1/launch_plans/*.pb; do protoc -Ischemas -I/usr/include --decode=flyteidl.admin.LaunchPlan flyteidl/admin/launch_plan.proto < "$f" > /dev/null || exit 1; done'
check "--emit json is valid JSON with every entity" \
  '"$flytec" compile -q --emit json examples/workflows | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"workflows\"] and d[\"tasks\"] and d[\"launchPlans\"]"'
check "--emit yaml parses" \
  '"$flytec" compile -q --emit yaml examples/workflows > "$tmp/all.yaml" && test -s "$tmp/all.yaml" && grep -q "primary:" "$tmp/all.yaml"'
check "--emit pb of one workflow equals the file written by -o" \
  'w=$(basename "$(ls "$tmp"/out1/workflows/*.pb | head -n1)" .pb); "$flytec" compile -q --emit pb --workflow "$w" examples/workflows | cmp - "$tmp/out1/workflows/$w.pb"'
check "--emit dot is a digraph" '"$flytec" compile -q --emit dot examples/workflows | head -n1 | grep -q "^digraph"'
check "--error-format json is valid JSON with positions" \
  '"$flytec" compile --error-format json examples/broken 2>&1 >/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"errors\"] >= 3 and all(\"line\" in x for x in d[\"diagnostics\"] if x[\"severity\"] == \"error\")"'
check "--version forces every version" \
  '"$flytec" compile --version v9 --emit json examples/workflows 2>/dev/null | grep -q "\"version\": \"v9\""'
check "a changed task changes the versions of the workflows using it" \
  'mkdir -p "$tmp/v" && cp examples/workflows/*.yaml "$tmp/v/" && a=$("$flytec" compile "$tmp/v" | grep "^workflow") &&
   sed -i "0,/image: /s/image: \(.*\)/image: \1-changed/" "$tmp"/v/*.yaml && b=$("$flytec" compile "$tmp/v" | grep "^workflow") && test "$a" != "$b"'
check "reordering a node's input keys keeps every version" \
  'printf "tasks:\n  - {name: t, type: echo, inputs: {a: integer, b: integer}, outputs: {a: integer}}\nworkflows:\n  - name: w\n    nodes:\n      - {id: n, task: t, inputs: {a: 1, b: 2}}\n" > "$tmp/o1.yaml" &&
   sed "s/{a: 1, b: 2}/{b: 2, a: 1}/" "$tmp/o1.yaml" > "$tmp/o2.yaml" && grep -q "{b: 2, a: 1}" "$tmp/o2.yaml" &&
   diff <("$flytec" compile "$tmp/o1.yaml" | grep "@") <("$flytec" compile "$tmp/o2.yaml" | grep "@")'
if [ -d ../shared/flyte-testdata/snacks-core ]; then
  check "pyflyte package archive of the flytesnacks tasks and workflows compiles" \
    'tar -C ../shared/flyte-testdata/snacks-core -czf "$tmp/snacks.tgz" $(cd ../shared/flyte-testdata/snacks-core && ls *_1.pb *_2.pb) && "$flytec" compile -q -o "$tmp/snacks" "$tmp/snacks.tgz"'
else
  echo "skip pyflyte package archive of the flytesnacks tasks: ../shared/flyte-testdata/snacks-core is missing (Flyte's test data, expected next to this tree)"
fi

echo "compile_cli: $((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
