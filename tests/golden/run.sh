#!/usr/bin/env bash
# Golden tests: each directory under tests/golden/cases/ holds spec files (*.yaml) and `expected`, the exit
# status, diagnostics and canonical text that `flytec compile` gives for them. `--update` rewrites `expected`
# (review the diff before committing: that is the point of golden files).
set -u
cd "$(dirname "$0")" || exit 2
flytec=${FLYTEC:-../../bin/flytec}
update=0
[ "${1:-}" = "--update" ] && update=1
passed=0 failed=0 updated=0
for dir in cases/*/; do
  case=${dir%/}
  name=${case#cases/}
  args=()
  [ -f "$case/args" ] && read -r -a args < "$case/args"
  out=$(cd cases && "../$flytec" compile --color never -q "${args[@]}" "$name" 2>/tmp/golden.err.$$; echo "# exit $?")
  actual=$(printf '%s\n# stderr\n%s\n# stdout\n%s\n' "$(tail -n1 <<<"$out")" "$(cat /tmp/golden.err.$$)" "$(sed '$d' <<<"$out")")
  if [ "$update" = 1 ]; then
    if [ ! -f "$case/expected" ] || [ "$actual" != "$(cat "$case/expected")" ]; then
      printf '%s\n' "$actual" > "$case/expected"
      updated=$((updated + 1))
    fi
    continue
  fi
  if [ -f "$case/expected" ] && [ "$actual" == "$(cat "$case/expected")" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL golden/$name"
    diff <(printf '%s\n' "$actual") "$case/expected" | head -20 | sed 's/^/     /'
  fi
done
rm -f /tmp/golden.err.$$
if [ "$update" = 1 ]; then
  echo "golden: $updated expected files rewritten"
  exit 0
fi
echo "golden: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
