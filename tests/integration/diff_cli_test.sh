#!/usr/bin/env bash
# flytec diff between two compiled forms: spec directories, -o output directories, pyflyte-style packages, and a
# version registered on a running admin (started here on loopback).
set -u
cd "$(dirname "$0")/../.." || exit 2
flytec=$(realpath "${FLYTEC:-bin/flytec}")
tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid"; wait "$server_pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
admin_start() { # a real admin on a free loopback port, its database in the temp dir; sets ADMIN
  "$flytec" serve --db "$tmp/admin.db" --listen 127.0.0.1:0 --port-file "$tmp/port" > "$tmp/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do
    [ -s "$tmp/port" ] && break
    kill -0 "$server_pid" 2>/dev/null || return 1
    sleep 0.05
  done
  [ -s "$tmp/port" ] || return 1
  ADMIN="http://127.0.0.1:$(cat "$tmp/port")"
}
fails=0 checks=0
check() { # check NAME COMMAND...: the command must succeed
  checks=$((checks + 1))
  if ( eval "${@:2}" ) > "$tmp/check.out" 2>&1; then echo "ok   $1"; else
    echo "FAIL $1"; sed 's/^/     /' "$tmp/check.out" | head -n 15; fails=$((fails + 1)); fi
}
mkdir -p "$tmp/old" "$tmp/new"
cat > "$tmp/old/s.yaml" <<'YAML'
tasks:
  - name: fetch
    type: echo
    inputs: {day: string}
    outputs: {rows: integer}
  - name: load
    type: echo
    inputs: {rows: integer}
    outputs: {rows: integer}
workflows:
  - name: etl
    inputs: {day: string}
    nodes:
      - {id: f, task: fetch, inputs: {day: !ref inputs.day}}
      - {id: l, task: load, inputs: {rows: !ref f.rows}}
    outputs: {rows: !ref l.rows}
launch_plans:
  - name: etl_eu
    workflow: etl
    fixed_inputs: {day: monday}
YAML
python3 - "$tmp" <<'PY'
import sys
s = open(sys.argv[1] + '/old/s.yaml').read()
s = s.replace("inputs: {day: string}\n    outputs: {rows: integer}", "inputs: {day: string, limit: {type: integer, default: 10}}\n    outputs: {rows: integer}", 1)
s = s.replace("- {id: l, task: load, inputs: {rows: !ref f.rows}}", "- {id: l, task: load, retries: 2, inputs: {rows: !ref f.rows}}")
s = s.replace("fixed_inputs: {day: monday}", "fixed_inputs: {day: tuesday}")
open(sys.argv[1] + '/new/s.yaml', 'w').write(s)
PY

check "identical trees: exit 0 and no output" '"$flytec" diff "$tmp/old" "$tmp/old" > "$tmp/o" && test ! -s "$tmp/o"'
"$flytec" diff "$tmp/old" "$tmp/new" > "$tmp/d" 2> "$tmp/e"; rc=$?
check "different trees: exit 1" "test $rc -eq 1"
check "interface change: input added to a task" 'grep -q "^task flytesnacks/development/fetch: changed" "$tmp/d" && grep -q "+ input .limit. added (integer)" "$tmp/d"'
check "node change named by node" 'grep -q "+ node l: retries added (2)" "$tmp/d" && grep -q "+ node f: input .limit. binding added (10)" "$tmp/d"'
check "launch plan fixed input change" 'grep -q "fixed input .day. changed from \"monday\" to \"tuesday\"" "$tmp/d"'
check "unchanged entities are silent" '! grep -q "^task flytesnacks/development/load" "$tmp/d"'
check "--error-format json gives data" \
  '"$flytec" diff --error-format json "$tmp/old" "$tmp/new" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"entities_changed\"] >= 3; assert all(set(c) >= {\"kind\",\"entity\",\"op\",\"where\",\"subject\"} for c in d[\"changes\"])"'
check "two -o output directories diff like their specs" \
  '"$flytec" compile -q -o "$tmp/out-old" "$tmp/old" && "$flytec" compile -q -o "$tmp/out-new" "$tmp/new" &&
   "$flytec" diff "$tmp/out-old" "$tmp/out-new" > "$tmp/d2"; test $? -eq 1 && grep -q "fixed input .day. changed" "$tmp/d2" && grep -q "input .limit. added" "$tmp/d2"'
check "an -o directory and its own specs do not differ" '"$flytec" diff "$tmp/out-old" "$tmp/old"'
check "two packages (.tgz of -o output) diff" \
  '"$flytec" package -o "$tmp/old.tgz" "$tmp/old" > /dev/null 2>&1 && "$flytec" package -o "$tmp/new.tgz" "$tmp/new" > /dev/null 2>&1 &&
   "$flytec" diff "$tmp/old.tgz" "$tmp/new.tgz" > "$tmp/d3"; test $? -eq 1 && grep -q "fixed input .day. changed" "$tmp/d3"'
check "a renamed entity with identical content is a rename" \
  'mkdir -p "$tmp/ren" && sed "s/name: load$/name: load2/; s/task: load,/task: load2,/" "$tmp/old/s.yaml" > "$tmp/ren/s.yaml" &&
   "$flytec" diff "$tmp/old" "$tmp/ren" > "$tmp/d4"; grep -q "task flytesnacks/development/load: renamed to flytesnacks/development/load2" "$tmp/d4"'
check "a side that does not compile: exit 2 with its diagnostics" \
  'mkdir -p "$tmp/bad" && printf "tasks:\n  - {name: t, typ: echo}\n" > "$tmp/bad/b.yaml" && "$flytec" diff "$tmp/old" "$tmp/bad" > /dev/null 2> "$tmp/e5"; test $? -eq 2 && grep -q "UnknownKey" "$tmp/e5"'
check "usage errors exit 2" '"$flytec" diff "$tmp/old" 2>/dev/null; test $? -eq 2'

# against a registered version on a running admin
if admin_start; then
  check "register the old tree" '"$flytec" register --admin "$ADMIN" "$tmp/old" > /dev/null'
  # versions are content hashes: the same as a local compile prints
  version_of() { "$flytec" compile "$tmp/old" 2>/dev/null | sed -n "s|^$1 flytesnacks/development/$2@\([^ ]*\).*|\1|p"; }
  wv=$(version_of workflow etl) tv=$(version_of task fetch) lv=$(version_of launch_plan etl_eu)
  check "--admin: the registered workflow against the same specs: no difference" \
    '"$flytec" diff --admin "$ADMIN" workflow/etl "$wv" "$tmp/old"'
  check "--admin: the registered task against changed specs" \
    '"$flytec" diff --admin "$ADMIN" task/fetch "$tv" "$tmp/new" > "$tmp/d6"; test $? -eq 1 && grep -q "input .limit. added" "$tmp/d6"'
  check "--admin: the registered launch plan against changed specs" \
    '"$flytec" diff --admin "$ADMIN" launch_plan/etl_eu "$lv" "$tmp/new" > "$tmp/d7"; test $? -eq 1 && grep -q "fixed input .day. changed" "$tmp/d7"'
  check "--admin: an unknown version exits non-zero with the admin's answer" \
    '"$flytec" diff --admin "$ADMIN" workflow/etl nope "$tmp/old" > /dev/null 2> "$tmp/e8"; test $? -ne 0 && test -s "$tmp/e8"'
  kill "$server_pid" && wait "$server_pid" 2>/dev/null; server_pid=""
else
  echo "FAIL the admin did not start"; fails=$((fails + 1)); checks=$((checks + 1))
fi

echo "diff_cli: $((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
