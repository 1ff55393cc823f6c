#!/usr/bin/env bash
# http_utf8_test.sh: every JSON answer is valid UTF-8 (issue 19.4). Random bytes saved as garbage.yaml in the
# watched repository used to put a raw source line into GET /api/v1/repository/status, which JSON parsers and
# `flytec status` then refused. Invalid bytes now show as U+FFFD; the CLI shows the file as failed and hands no
# control characters to the terminal.
source "$(dirname "$0")/../integration/admin_lib.sh"

mkdir -p "$T/repo"
cp examples/workflows/hello.yaml "$T/repo/"
# reproducible garbage: invalid UTF-8 (lone continuation bytes, 0xff), an escape sequence and a NUL
python3 -c '
import random, sys
random.seed(19)
b = bytes(random.randrange(256) for _ in range(3000))
sys.stdout.buffer.write(b"key: \x80\xff\xfe value \x1b[31mred\x1b[0m \xc3(\n" + b)' >"$T/repo/garbage.yaml"

strict_json() { python3 -c 'import json,sys; json.loads(open(sys.argv[1],"rb").read().decode("utf-8", "strict"))' "$1"; }

adm_start --no-executor --no-scheduler --repo "$T/repo"
wait_for /api/v1/repository/status "len(d['files'])" 2
check "status answers 200" eq "$CODE" 200
check "the status answer is valid UTF-8 JSON" strict_json "$T/out"
check "garbage.yaml is listed as failed" eq "$(jget "[f['ok'] for f in d['files'] if f['path']=='garbage.yaml'][0]")" False
check "its diagnostic shows invalid bytes as U+FFFD" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t=[f["diagnostics"] for f in d["files"] if f["path"]=="garbage.yaml"][0]; sys.exit(0 if "\ufffd" in t else 1)' "$T/out"
get "/api/v1/repository/status?errors_only=true"
check "errors_only answer is valid UTF-8 JSON too" strict_json "$T/out"

# an error answer that quotes the request (a path with invalid UTF-8)
get "/api/v1/nothing/%ff%fe%c3%28"
check "an error quoting invalid bytes from the URL is 404" eq "$CODE" 404
check "that error is valid UTF-8 JSON" strict_json "$T/out"
get "/api/v1/tasks/flytesnacks/development/%ff%fe/v1"
check "a bad name with invalid bytes gives a valid UTF-8 JSON error" strict_json "$T/out"

FLYTEC_ADMIN=$URL "$FLYTEC" status >"$T/status.out" 2>"$T/status.err"
rc=$?
check "flytec status exits 1 (a file has errors), not a failure to read the answer" eq "$rc" 1
check "flytec status shows garbage.yaml as FAILED" grep -qE '^garbage\.yaml +FAILED' "$T/status.out"
check "flytec status shows hello.yaml as ok" grep -qE '^hello\.yaml +ok' "$T/status.out"
check "flytec status hands no escape character to the terminal" \
	python3 -c 'import sys; sys.exit(1 if b"\x1b" in open(sys.argv[1],"rb").read() else 0)' "$T/status.out"
check "flytec status printed no error" eq "$(cat "$T/status.err")" ""
FLYTEC_ADMIN=$URL "$FLYTEC" status -o json >"$T/status.json" 2>/dev/null
check "flytec status -o json is valid UTF-8 JSON" strict_json "$T/status.json"
adm_done
