#!/usr/bin/env bash
# Every command of README.md's "Using it" block runs as written and exits as documented (0, or the "exit N" its
# comment states). The commands run in a scratch directory where bin/ and examples/ point into this tree, so what
# they write (out/, dags.svg, specs/, pkg.tgz, .flytec/) stays there. The `serve ... &` line runs in the background
# on a free port (the documented 8089 may be taken) and FLYTEC_ADMIN points at it; the test stops it at the end.
set -u
cd "$(dirname "$0")/../.." || exit 2
root=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/flytec-readme.XXXXXX")
. tests/integration/bg_server_lib.sh
cleanup() {
  bg_server_stop
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

ln -s "$root/bin" "$work/bin"
ln -s "$root/examples" "$work/examples"
unset FLYTEC_ADMIN

# The first ```sh block after "## Using it".
awk '/^## Using it/ {u = 1} u && /^```sh/ {b = 1; next} b && /^```/ {exit} b' README.md > "$work/commands"
ncommands=$(grep -cvE '^[[:space:]]*(#|$)' "$work/commands")
if [ "$ncommands" -ge 15 ]; then ok "README 'Using it' has $ncommands commands"; else bad "README 'Using it': only $ncommands commands found"; fi

while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  # the comment after a command: "   # text"; "(exit N...)" in it is the documented exit status
  cmd=$(printf '%s\n' "$line" | sed -E 's/[[:space:]]+#[[:space:]].*$//')
  comment=$(printf '%s\n' "$line" | sed -nE 's/^.*[[:space:]]#[[:space:]](.*)$/\1/p')
  want=$(printf '%s\n' "$comment" | sed -nE 's/.*exit ([0-9]+).*/\1/p')
  want=${want:-0}
  case "$cmd" in
    export\ FLYTEC_ADMIN=*)
      if [ -z "$server_pid" ]; then bad "export before serve"; continue; fi
      export FLYTEC_ADMIN="http://127.0.0.1:$(cat "$work/port")"
      ok "$cmd (as $FLYTEC_ADMIN)"
      continue ;;
    *' &')
      cmd=${cmd% &}
      run=$(printf '%s\n' "$cmd" | sed -E "s#--listen 127\.0\.0\.1:[0-9]+#--listen 127.0.0.1:0 --port-file $work/port#")
      bg_server_start "$work/port" "$work/server.log" bash -c "cd '$work' && exec $run"
      if [ -s "$work/port" ]; then ok "$cmd (background, port $(cat "$work/port"))"; else bad "$cmd: not listening"; tail -n 5 "$work/server.log"; fi
      continue ;;
  esac
  (cd "$work" && timeout 120 bash -o pipefail -c "$cmd") > "$work/.cmd-output" 2>&1
  status=$?
  if [ "$status" -eq "$want" ]; then
    ok "$cmd (exit $status)"
  else
    bad "$cmd: exit $status, documented $want"
    head -n 12 "$work/.cmd-output" | sed 's/^/     /'
  fi
  # what some commands leave behind
  case "$cmd" in
    *'-o out/'*) n=$(find "$work/out" -name '*.pb' 2>/dev/null | wc -l)
      if [ "$n" -gt 0 ]; then ok "  out/ holds $n .pb files"; else bad "  out/ holds no .pb file"; fi ;;
    *'dot -Tsvg'*) if grep -q '<svg' "$work/dags.svg" 2>/dev/null; then ok "  dags.svg is SVG"; else bad "  dags.svg is not SVG"; fi ;;
    *'convert '*) if [ -s "$work/specs/my-flyte-project.yaml" ]; then ok "  specs/my-flyte-project.yaml written"; else bad "  specs/my-flyte-project.yaml missing"; ls -la "$work/specs" 2>&1 | head -3; fi ;;
    *'package '*) if tar tzf "$work/pkg.tgz" 2>/dev/null | grep -q '_2\.pb$'; then ok "  pkg.tgz holds workflows"; else bad "  pkg.tgz missing or empty"; fi ;;
    *"launch "*) if [ -s "$work/.cmd-output" ]; then ok "  launch: $(head -n 1 "$work/.cmd-output")"; else bad "  launch printed nothing"; fi ;;
  esac
done < "$work/commands"

if [ -n "$server_pid" ]; then
  bg_server_stop
  if bg_server_sanitizer_report "$work/server.log"; then
    bad "serve: sanitizer report"
  else
    ok "serve: stopped cleanly"
  fi
else
  bad "no background serve command in the README"
fi

# Project Python scripts run with Debian's python3 (/usr/bin/python3, what `make deps` installs), isolated from any
# user site-packages: each compiles and every module it imports exists there.
if [ -x /usr/bin/python3 ]; then
  for f in $(git ls-files '*.py' 2>/dev/null; grep -rlE '^#!.*python' --include='*' bench tests tools examples 2>/dev/null | grep -v '\.py$'); do
    if msg=$(/usr/bin/python3 -I - "$f" 2>&1 <<'PY'
import ast, importlib.util, sys
path = sys.argv[1]
src = open(path, encoding="utf-8").read()
first = src.splitlines()[0] if src else ""
if first.startswith("#!") and first not in ("#!/usr/bin/env python3", "#!/usr/bin/python3"):
    sys.exit("shebang %r: use #!/usr/bin/env python3" % first)
tree = ast.parse(src, path)
if not first.startswith("#!"):
    sys.exit(0)  # a module, not a script: it runs where its package puts it (python/ on PYTHONPATH); syntax checked
# the project's own modules count: the Python package in python/ and modules beside the script
import os
sys.path[:0] = [os.path.dirname(os.path.abspath(path)), os.path.abspath("python")]
missing = set()
for node in ast.walk(tree):
    names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
    for name in names:
        if importlib.util.find_spec(name.split(".")[0]) is None:
            missing.add(name)
if missing:
    sys.exit("needs modules Debian's python3 lacks: " + ", ".join(sorted(missing)))
PY
); then ok "python: $f runs on /usr/bin/python3"; else bad "python: $f: $msg"; fi
  done
else
  bad "python: /usr/bin/python3 missing (make deps installs it)"
fi

echo "readme_commands_test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
