#!/usr/bin/env bash
# Hostile input to `flytec compile`: every case must end with a clear diagnostic and exit status 1 (or 2 for I/O),
# never a crash, a hang or unbounded memory. Each run is bounded by `timeout` and its peak memory is checked.
set -u
cd "$(dirname "$0")/../.." || exit 2
flytec=${FLYTEC:-bin/flytec}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 checks=0

# expect NAME EXIT CODE-IN-OUTPUT MAX-MB FILE [ARGS...]
expect() {
  local name=$1 want_exit=$2 want_text=$3 max_mb=$4 file=$5
  shift 5
  checks=$((checks + 1))
  /usr/bin/time -o "$tmp/time" -f '%M' timeout 60 "$flytec" compile --color never "$@" "$file" > "$tmp/out" 2>&1
  local status=$? peak_kb
  peak_kb=$(tail -n1 "$tmp/time" 2>/dev/null || echo 0)
  if [ "$status" -ne "$want_exit" ]; then
    echo "FAIL $name: exit $status, want $want_exit"; head -n 5 "$tmp/out"; fails=$((fails + 1)); return
  fi
  if [ -n "$want_text" ] && ! grep -q -- "$want_text" "$tmp/out"; then
    echo "FAIL $name: output lacks '$want_text'"; head -n 5 "$tmp/out"; fails=$((fails + 1)); return
  fi
  if [ "$peak_kb" -gt $((max_mb * 1024)) ]; then
    echo "FAIL $name: peak memory ${peak_kb} KB over ${max_mb} MB"; fails=$((fails + 1)); return
  fi
  echo "ok   $name (exit $status, peak $((peak_kb / 1024)) MB): $(grep -m1 -o 'error\[[A-Za-z]*\]: .*' "$tmp/out" | cut -c1-100)"
}

# 200 MB file: refused by size before it is read
truncate -s 200M "$tmp/huge.yaml"
expect huge-file 1 "FileTooLarge" 64 "$tmp/huge.yaml"
# --max-file-size lowers the limit
printf 'tasks: []\n' > "$tmp/small.yaml"
expect max-file-size 1 "FileTooLarge" 64 "$tmp/small.yaml" --max-file-size 4
# 10,000-deep nesting, flow and block style
python3 -c "print('a: ' + '[' * 10000 + ']' * 10000)" > "$tmp/deep-flow.yaml"
expect deep-flow 1 "YamlLimit" 64 "$tmp/deep-flow.yaml"
python3 -c "print(''.join('  ' * i + 'k%d:\n' % i for i in range(2000)))" > "$tmp/deep-block.yaml"
expect deep-block 1 "YamlLimit" 128 "$tmp/deep-block.yaml"
# billion laughs
python3 - "$tmp/bomb.yaml" <<'PY'
import sys
lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]']
for i in range(1, 12):
    lines.append('a%d: &a%d [%s]' % (i, i, ', '.join(['*a%d' % (i - 1)] * 10)))
open(sys.argv[1], 'w').write('\n'.join(lines) + '\n')
PY
expect alias-bomb 1 "YamlLimit" 64 "$tmp/bomb.yaml"
# invalid UTF-8, binary garbage, NUL bytes, tabs, empty and comment-only files
printf 'tasks:\n  - name: t\xff\xfe\n' > "$tmp/utf8.yaml"
expect invalid-utf8 1 "YamlSyntax" 64 "$tmp/utf8.yaml"
head -c 1048576 /dev/urandom > "$tmp/garbage.yaml"
expect garbage 1 "error\[" 64 "$tmp/garbage.yaml"
printf 'tasks:\n\0\0\0\n' > "$tmp/nul.yaml"
expect nul-bytes 1 "YamlSyntax" 64 "$tmp/nul.yaml"
printf 'tasks:\n\t- name: t\n' > "$tmp/tabs.yaml"
expect tabs 1 "YamlSyntax" 64 "$tmp/tabs.yaml"
: > "$tmp/empty.yaml"
expect empty-file 0 "" 64 "$tmp/empty.yaml"
# a huge scalar (20 MB, over the 16 MB scalar limit)
python3 -c "print('tasks:\n  - name: ' + 'x' * (20 * 1024 * 1024))" > "$tmp/scalar.yaml"
expect huge-scalar 1 "YamlLimit" 200 "$tmp/scalar.yaml"
# a mapping with 100,000 duplicate keys: found without quadratic work
python3 -c "print('\n'.join('k: %d' % i for i in range(100000)))" > "$tmp/dups.yaml"
expect duplicate-keys 1 "DuplicateKey" 200 "$tmp/dups.yaml"
# a directory that does not exist: an I/O error, exit 2
expect missing-path 2 "IOError" 64 "$tmp/nope"
# corrupt protobuf named as a TaskSpec, and a truncated archive
head -c 100 /dev/urandom > "$tmp/000_x_1.pb"
expect corrupt-pb 1 "InvalidProtobuf" 64 "$tmp/000_x_1.pb"
printf '\x1f\x8b\x08\x00garbage' > "$tmp/broken.tgz"
expect truncated-tgz 1 "InvalidArchive" 64 "$tmp/broken.tgz"

echo "compile_hostile: $((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
