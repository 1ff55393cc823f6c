#!/usr/bin/env bash
# --error-format sarif is valid SARIF 2.1.0 according to Microsoft's validator (npm @microsoft/sarif-multitool,
# installed at test time into build/sarif-tools from the lock file in tests/sarif), with rules, ranges, related
# locations and fixes; --error-format json follows schemas/flytec-diagnostics.schema.json.
set -u
cd "$(dirname "$0")/../.." || exit 2
flytec=$(realpath "${FLYTEC:-bin/flytec}")
root=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 checks=0
check() { # check NAME COMMAND...: the command must succeed
  checks=$((checks + 1))
  if ( eval "${@:2}" ) > "$tmp/check.out" 2>&1; then echo "ok   $1"; else
    echo "FAIL $1"; sed 's/^/     /' "$tmp/check.out" | head -n 15; fails=$((fails + 1)); fi
}
mkdir -p "$tmp/specs dir/sub"
cat > "$tmp/specs dir/bad.yaml" <<'YAML'
tasks:
  - name: inc
    type: echo
    inputs: {x: integer}
    outputs: {x: integer}
    retires: 3
workflows:
  - name: w
    nodes:
      - {id: first, task: icn, inputs: {x: 1}}
      - {id: second, task: inc, inputs: {x: !ref frist.x}}
YAML
printf 'tasks:\n  - {name: inc, type: echo}\n  - {name: t2, type: echo, description: "café ü", inputs: {x: integr}}\n' > "$tmp/specs dir/sub/dup.yaml"
cd "$tmp" || exit 2
"$flytec" compile --error-format sarif "specs dir" > /dev/null 2> out.sarif; rc=$?
check "compile with errors exits 1 and prints SARIF on stderr" "test $rc -eq 1 && test -s out.sarif"
check "one rule per code with its help text; results point at their rule" \
  'python3 - <<PY
import json
d = json.load(open("out.sarif"))
assert d["version"] == "2.1.0"
run = d["runs"][0]
rules = run["tool"]["driver"]["rules"]
ids = [r["id"] for r in rules]
assert len(ids) == len(set(ids)), ids
assert {"UnknownKey", "TaskReferenceNotFound", "NodeReferenceNotFound", "DuplicateDefinition", "InvalidType"} <= set(ids), ids
assert all(r["shortDescription"]["text"] and "flytec explain" in r["help"]["text"] for r in rules)
for res in run["results"]:
    assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
PY'
check "regions are ranges (start and end) and fixes replace the misspelt word" \
  'python3 - <<PY
import json
run = json.load(open("out.sarif"))["runs"][0]
by = {r["ruleId"]: r for r in run["results"]}
reg = by["UnknownKey"]["locations"][0]["physicalLocation"]["region"]
assert (reg["startLine"], reg["startColumn"], reg["endLine"], reg["endColumn"]) == (6, 5, 6, 12), reg
fix = by["UnknownKey"]["fixes"][0]["artifactChanges"][0]["replacements"][0]
assert fix["insertedContent"]["text"] == "retries" and fix["deletedRegion"]["startColumn"] == 5 and fix["deletedRegion"]["endColumn"] == 12, fix
fix = by["NodeReferenceNotFound"]["fixes"][0]["artifactChanges"][0]["replacements"][0]
assert fix["insertedContent"]["text"] == "first" and fix["deletedRegion"]["endColumn"] - fix["deletedRegion"]["startColumn"] == 5, fix
assert by["TaskReferenceNotFound"]["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"] == "inc"
PY'
check "related locations point at the first definition" \
  'python3 - <<PY
import json
run = json.load(open("out.sarif"))["runs"][0]
dup = [r for r in run["results"] if r["ruleId"] == "DuplicateDefinition"][0]
rel = dup["relatedLocations"][0]
assert rel["physicalLocation"]["region"]["startLine"] >= 1 and rel["message"]["text"], rel
PY'
check "paths with spaces are URI-encoded, columns count code points" \
  'grep -q "specs%20dir/sub/dup.yaml" out.sarif && python3 - <<PY
import json
run = json.load(open("out.sarif"))["runs"][0]
t = [r for r in run["results"] if r["ruleId"] == "InvalidType"][0]
reg = t["locations"][0]["physicalLocation"]["region"]
line = open("specs dir/sub/dup.yaml", encoding="utf-8").read().split("\n")[reg["startLine"] - 1]
assert line[reg["startColumn"] - 1:reg["endColumn"] - 1] == "integr", (line, reg)
PY'
"$flytec" compile --error-format sarif "$root/examples/workflows" > /dev/null 2> clean.sarif
check "a clean compile is a SARIF log with no results" \
  'python3 -c "import json; d = json.load(open(\"clean.sarif\")); assert d[\"runs\"][0][\"results\"] == []"'
check "--error-format json follows schemas/flytec-diagnostics.schema.json" \
  '"$flytec" compile --error-format json "specs dir" 2> out.json > /dev/null; python3 - "$root/schemas/flytec-diagnostics.schema.json" <<PY
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
d = json.load(open("out.json"))
jsonschema.validate(d, schema)
assert d["format_version"] == 2 and d["errors"] >= 5
assert all("end_line" in x for x in d["diagnostics"] if "line" in x)
PY'

# Microsoft's validator
tools="$root/build/sarif-tools"
if ! command -v npm > /dev/null; then
  echo "skip SARIF validation with @microsoft/sarif-multitool: npm is not installed (tools/deps.sh)"
else
  mkdir -p "$tools" && cp "$root/tests/sarif/package.json" "$root/tests/sarif/package-lock.json" "$tools/"
  if [ -x "$tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool" ] ||
     (cd "$tools" && timeout 300 npm ci --no-audit --no-fund > npm.log 2>&1); then
    chmod u+x "$tools"/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool 2> /dev/null
    validate() { # validate FILE: no errors and no warnings from the validator
      rm -f "$tmp/v.sarif"
      timeout 120 node "$tools/node_modules/@microsoft/sarif-multitool/bin.js" validate "$1" -o "$tmp/v.sarif" > "$tmp/v.log" 2>&1 || { cat "$tmp/v.log"; return 1; }
      python3 -c "import json,sys; r = json.load(open(sys.argv[1]))['runs'][0]['results']; [print(x['ruleId'], x['message']) for x in r]; sys.exit(1 if r else 0)" "$tmp/v.sarif"
    }
    check "Microsoft's SARIF validator accepts the log with errors (no errors, no warnings)" 'validate out.sarif'
    check "Microsoft's SARIF validator accepts a clean log" 'validate clean.sarif'
    check "the validator does fail on a broken log (the check can fail)" \
      'sed "s/\"version\":\"2.1.0\"/\"version\":\"9\"/" out.sarif > broken.sarif; ! validate broken.sarif'
  else
    echo "skip SARIF validation with @microsoft/sarif-multitool: npm could not install it (see $tools/npm.log)"
  fi
fi

echo "sarif: $((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
