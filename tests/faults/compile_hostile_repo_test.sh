#!/usr/bin/env bash
# Hostile repositories (issue 19, items 5-7): symbolic-link loops, links out of the repository, and a small file
# whose nested YAML aliases would expand to tens of megabytes. `flytec compile` and `flytec serve --repo` must
# finish in bounded time and memory, warn naming the link, never read a file outside the root, and refuse the
# alias expansion with exit 1 and its code.
set -u
cd "$(dirname "$0")/../.." || exit 2
flytec=${FLYTEC:-$PWD/bin/flytec}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flytec-hostile-repo.XXXXXX")
. tests/integration/bg_server_lib.sh
cleanup() {
  bg_server_stop
  rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -f "$tmp/out" ] && head -n 8 "$tmp/out" | sed 's/^/     /'; }

# run NAME MAX_SECONDS MAX_MB ARGS...: flytec under timeout and /usr/bin/time; sets $status and $peak_mb
run() {
  local name=$1 secs=$2 max_mb=$3
  shift 3
  /usr/bin/time -o "$tmp/time" -f '%M' timeout "$secs" "$flytec" "$@" > "$tmp/out" 2>&1
  status=$?
  peak_mb=$(( $(tail -n 1 "$tmp/time" 2>/dev/null | grep -E '^[0-9]+$' || echo 0) / 1024 ))
  if [ "$status" -eq 124 ]; then bad "$name: did not finish in $secs s"; return 1; fi
  if [ "$peak_mb" -gt "$max_mb" ]; then bad "$name: peak memory $peak_mb MB over $max_mb MB"; return 1; fi
  return 0
}

# --- a repository with loops: loop -> . and sub/up -> .. --------------------------------------------------------
repo=$tmp/repo
mkdir -p "$repo/sub/deeper"
cp examples/workflows/hello.yaml "$repo/"
cat > "$repo/sub/deeper/other.yaml" <<'YAML'
tasks:
  - {name: other, type: echo, inputs: {x: string}, outputs: {x: string}}
YAML
ln -s . "$repo/loop"
ln -s .. "$repo/sub/up"
ln -s ../.. "$repo/sub/deeper/top"
if run loops 20 300 compile --color never "$repo"; then
  if [ "$status" -eq 0 ]; then ok "loops: compile exits 0 in bounded time (peak $peak_mb MB)"; else bad "loops: exit $status"; fi
  for link in loop sub/up sub/deeper/top; do
    if grep -q "$repo/$link: symbolic link to a directory already walked" "$tmp/out"; then
      ok "loops: warning names $link"
    else
      bad "loops: no warning naming $link"
    fi
  done
  # each file compiled once: one 'other' task, one 'hello' workflow
  n=$("$flytec" compile --color never --emit text "$repo" 2>/dev/null | grep -c '^task .*/other@')
  if [ "$n" = 1 ]; then ok "loops: each file read once"; else bad "loops: task 'other' appears $n times"; fi
fi

# --- links out of the repository: a file and a directory, never read ----------------------------------------
outside=$tmp/outside
mkdir -p "$outside/dir" "$tmp/esc"
printf 'SECRET_FIRST_LINE: do-not-show\n' > "$outside/secret.yaml"
cp "$outside/secret.yaml" "$outside/dir/also.yaml"
cp examples/workflows/hello.yaml "$tmp/esc/"
ln -s "$outside/secret.yaml" "$tmp/esc/pw.yaml"
ln -s ../outside/dir "$tmp/esc/outdir"
ln -s /etc/passwd "$tmp/esc/passwd.yaml"
if run escape 20 300 compile --color never "$tmp/esc"; then
  if [ "$status" -eq 0 ]; then ok "escape: compile exits 0"; else bad "escape: exit $status"; fi
  for link in pw.yaml outdir passwd.yaml; do
    if grep -q "$tmp/esc/$link: symbolic link leading outside the root; skipped, not read" "$tmp/out"; then
      ok "escape: warning names $link"
    else
      bad "escape: no warning naming $link"
    fi
  done
  if grep -q -e SECRET_FIRST_LINE -e 'root:' "$tmp/out"; then bad "escape: content of an outside file shown"; else ok "escape: no outside content shown"; fi
fi
# --follow-outside-links reads them (the loop guard still holds)
if run escape-follow 20 300 compile --color never --follow-outside-links --emit text "$tmp/esc"; then
  if grep -q "SECRET_FIRST_LINE" "$tmp/out" && ! grep -q "outdir: symbolic link leading outside" "$tmp/out"; then
    ok "escape: --follow-outside-links reads the linked files"
  else
    bad "escape: --follow-outside-links did not read the linked files"
  fi
fi
# a link inside the repository still works
mkdir -p "$tmp/inside/real"
cp examples/workflows/hello.yaml "$tmp/inside/real/"
ln -s real "$tmp/inside/alias"
if run inside-link 20 300 compile --color never --emit text "$tmp/inside"; then
  if [ "$status" -eq 0 ] && grep -q '^workflow .*/hello@' "$tmp/out"; then ok "inside-link: compiled"; else bad "inside-link: exit $status"; fi
fi

# --- serve --repo on the looping repository starts listening --------------------------------------------------
bg_server_start "$tmp/port" "$tmp/server.log" \
  "$flytec" serve --no-executor --db "$tmp/admin.db" --listen 127.0.0.1:0 --port-file "$tmp/port" --repo "$repo"
if [ -s "$tmp/port" ] && curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(cat "$tmp/port")/api/v1/projects" | grep -q 200; then
  ok "serve: listening within 10 s on a repository with loops"
else
  fail=$((fail + 1)); echo "FAIL serve: not listening within 10 s"; tail -n 5 "$tmp/server.log"
fi
bg_server_stop
if bg_server_sanitizer_report "$tmp/server.log"; then
  bad "serve: sanitizer report"
else
  ok "serve: no sanitizer report"
fi

# --- aliases: a file of a few hundred bytes that would expand to ~37 MB ---------------------------------------
cat > "$tmp/laughs.yaml" <<'YAML'
tasks:
  - name: t
    type: echo
    inputs:
      x:
        type: list<list<list<list<list<list<string>>>>>>
        default: &f [&e [&d [&c [&b [&a [lol-lol-lol-lol-lol-lol-lol-lol]]]]]]
    outputs: {x: list<list<list<list<list<list<string>>>>>>}
x1: &a1 [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
x2: &b2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]
x3: &c3 [*b2, *b2, *b2, *b2, *b2, *b2, *b2, *b2, *b2, *b2]
x4: &d4 [*c3, *c3, *c3, *c3, *c3, *c3, *c3, *c3, *c3, *c3]
x5: &e5 [*d4, *d4, *d4, *d4, *d4, *d4, *d4, *d4, *d4, *d4]
x6: [*e5, *e5, *e5, *e5, *e5, *e5, *e5, *e5, *e5, *e5]
YAML
size=$(stat -c %s "$tmp/laughs.yaml")
if run aliases 10 100 compile --color never "$tmp/laughs.yaml"; then
  if [ "$status" -eq 1 ] && grep -q 'error\[YamlLimit\]: aliases expand this' "$tmp/out"; then
    ok "aliases: $size-byte file refused with YamlLimit, exit 1 (peak $peak_mb MB)"
  else
    bad "aliases: exit $status, want 1 with YamlLimit"
  fi
fi
# the same shape, a little sharing, is fine
cat > "$tmp/shared.yaml" <<'YAML'
tasks:
  - name: t
    type: echo
    inputs: {x: {type: list<string>, default: &names [a, b, c]}, y: {type: list<string>, default: *names}}
    outputs: {x: list<string>}
YAML
if run aliases-ok 10 100 compile --color never "$tmp/shared.yaml"; then
  if [ "$status" -eq 0 ]; then ok "aliases: modest sharing compiles"; else bad "aliases-ok: exit $status"; fi
fi

# --- a compiled entity over the limit: 100 KB of file, a default of 18 MB through aliases within the allowance --
python3 - "$tmp/big.yaml" <<'PY'
import sys
block = ", ".join("x" * 1000 for _ in range(100))
lines = ["tasks:", "  - {name: t, type: echo, inputs: {x: list<list<string>>}, outputs: {x: list<list<string>>}}",
         "workflows:", "  - name: big", "    inputs:", "      x:", "        type: list<list<string>>", "        default:",
         "          - &blk [" + block + "]"] + ["          - *blk"] * 179 + \
        ["    nodes:", "      - {id: n, task: t, inputs: {x: !ref inputs.x}}"]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
if run entity-size 30 400 compile --color never "$tmp/big.yaml"; then
  if [ "$status" -eq 1 ] && grep -q "error\[EntityTooLarge\]: launch plan 'big' compiles to" "$tmp/out"; then
    ok "entity size: an 18 MB launch plan is EntityTooLarge, exit 1 (peak $peak_mb MB)"
  else
    bad "entity-size: exit $status, want 1 with EntityTooLarge"
  fi
fi

echo "compile_hostile_repo_test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
