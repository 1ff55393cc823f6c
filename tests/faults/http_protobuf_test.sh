#!/usr/bin/env bash
# http_protobuf_test.sh: the admin's protobuf encoding under bad input (issue 20). Bodies with
# Content-Type: application/octet-stream are unpacked as the route's request message within the JSON side's limits
# (nesting, size); errors are google.rpc.Status messages with the JSON side's HTTP codes; answers cached per
# encoding; events and flytec's own JSON endpoints keep JSON; CORS only for the exact --cors-origin.
source "$(dirname "$0")/../integration/admin_lib.sh"

PB=(-H "Accept: application/octet-stream" -H "Content-Type: application/octet-stream")
MSGS=(-Ischemas -I/usr/include)
status_of() { # the google.rpc.Status in $T/out, as "code|message"
	protoc "${MSGS[@]}" --decode=google.rpc.Status schemas/google/rpc/status.proto <"$T/out" 2>/dev/null |
		/usr/bin/python3 -c 'import sys,re; t=sys.stdin.read(); c=re.search(r"code: (\d+)",t); m=re.search(r"message: \"(.*)\"",t); print("%s|%s" % (c.group(1) if c else 0, m.group(1) if m else ""))'
}
post_pb() { _curl POST "$1" "${PB[@]}" --data-binary "@$2" "${@:3}"; }
pbenc() { # MESSAGE FILE < text format
	protoc "${MSGS[@]}" --encode="$1" schemas/flyteidl/admin/*.proto schemas/flyteidl/core/*.proto >"$2"
}

mkdir -p "$T/repo"
cat >"$T/repo/flow.yaml" <<'YAML'
project: pbdemo
tasks:
  - name: say
    type: echo
    inputs: {x: string}
    outputs: {x: string}
workflows:
  - name: w
    inputs: {x: {type: string, default: hi}}
    nodes:
      - {id: s, task: say, inputs: {x: !ref inputs.x}}
YAML
adm_start --repo "$T/repo" --max-body 65536 --cors-origin http://console.test:8080 --cors-origin https://other.test
for _ in $(seq 1 100); do get /api/v1/task_ids/pbdemo/development; contains "$(cat "$T/out")" say >/dev/null && break; sleep 0.05; done

# --- nesting: a literal collection 400 levels deep is refused before protobuf-c recurses ---
/usr/bin/python3 - "$T/deep.bin" <<'PY'
import sys
def varint(n):
    out = b""
    while True:
        b = n & 0x7f; n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n: return out
def field(num, payload): return varint(num << 3 | 2) + varint(len(payload)) + payload
lit = b""
for _ in range(400):                       # Literal.collection(2) -> LiteralCollection.literals(1) -> Literal
    lit = field(2, field(1, lit))
entry = field(1, b"x") + field(2, lit)     # map entry: key, value
body = field(1, b"pbdemo") + field(2, b"development") + field(3, b"deep1") + field(5, field(1, entry))
open(sys.argv[1], "wb").write(body)
PY
post_pb /api/v1/executions "$T/deep.bin"
check "too deep a protobuf body: 400" eq "$CODE" 400
check "as a Status (INVALID_ARGUMENT) that says why" contains "$(status_of)" "3|body is not a valid flyteidl.admin.ExecutionCreateRequest: nested deeper"

# --- malformed and truncated bodies ---
printf '\x0a\x05ab' >"$T/trunc.bin"
post_pb /api/v1/executions "$T/trunc.bin"
check "a truncated body: 400 Status" eq "$CODE|$(status_of | cut -d'|' -f1)" "400|3"
printf '\x0f\x00' >"$T/wire7.bin"
post_pb /api/v1/projects "$T/wire7.bin"
check "an invalid wire type: 400 Status" eq "$CODE|$(status_of | cut -d'|' -f1)" "400|3"
head -c 70000 /dev/zero >"$T/big.bin"
post_pb /api/v1/executions "$T/big.bin"
check "a body over --max-body: 413 Status (RESOURCE_EXHAUSTED)" eq "$CODE|$(status_of | cut -d'|' -f1)" "413|8"
: >"$T/empty.bin"
post_pb /api/v1/executions "$T/empty.bin"
check "an empty body is an empty request: the service's 400" eq "$CODE|$(status_of | cut -d'|' -f1)" "400|3"

# --- a good body, a conflict, not found ---
pbenc flyteidl.admin.ExecutionCreateRequest "$T/create.bin" <<'TXT'
project: "pbdemo" domain: "development" name: "pb1"
spec { launch_plan { resource_type: LAUNCH_PLAN project: "pbdemo" domain: "development" name: "w" } }
TXT
post_pb /api/v1/executions "$T/create.bin"
check "a protobuf create: 200 octet-stream" eq "$CODE" 200
check "answers an ExecutionCreateResponse" contains "$(protoc "${MSGS[@]}" --decode=flyteidl.admin.ExecutionCreateResponse schemas/flyteidl/admin/execution.proto <"$T/out")" 'name: "pb1"'
post_pb /api/v1/executions "$T/create.bin"
check "the same name again: 409 Status ALREADY_EXISTS" eq "$CODE|$(status_of | cut -d'|' -f1)" "409|6"
_curl GET /api/v1/executions/pbdemo/development/nosuch "${PB[@]}"
check "not found: 404 Status NOT_FOUND" eq "$CODE|$(status_of | cut -d'|' -f1)" "404|5"
_curl GET /api/v1/tasks/pbdemo/development "${PB[@]}" --get --data-urlencode 'filters=eq(nosuchfield,1)'
check "a bad filter: 400 Status naming the field" contains "$CODE $(status_of)" "400 3|cannot filter on "
_curl GET "/api/v1/named_entities/7/pbdemo/development" "${PB[@]}"
check "resource type 7: 400 Status" eq "$CODE|$(status_of | cut -d'|' -f1)" "400|3"

# --- the answer cache keeps one copy per encoding ---
V=$(get /api/v1/tasks/pbdemo/development/say; jget 'd["tasks"][0]["id"]["version"]')
for enc in json pb json pb; do
	if [ $enc = pb ]; then
		_curl GET "/api/v1/tasks/pbdemo/development/say/$V" -H "Accept: application/octet-stream"
		protoc "${MSGS[@]}" --decode=flyteidl.admin.Task schemas/flyteidl/admin/task.proto <"$T/out" >"$T/dec" 2>&1
		check "cached task answer in protobuf ($enc)" grep -q 'name: "say"' "$T/dec"
	else
		get "/api/v1/tasks/pbdemo/development/say/$V"
		check "cached task answer in JSON ($enc)" eq "$(jget 'd["id"]["name"]')" say
	fi
done

# --- what stays JSON ---
_curl GET /healthz -H "Accept: application/octet-stream"
check "healthz stays JSON" eq "$(jget 'd["status"]')" ok
printf '\x0a\x00' >"$T/ev.bin"
post_pb /api/v1/events/workflows "$T/ev.bin"
check "an event in protobuf: 400 Status saying events take JSON" contains "$CODE $(status_of)" "400 3|event bodies are JSON"
_curl GET /me -H "Accept: application/json"
check "/me without auth: 404 (the console shows Login)" eq "$CODE" 404
_curl GET /config/v1/flyte_client
check "flyte_client config without auth: 404" eq "$CODE" 404

# --- CORS ---
_curl OPTIONS /api/v1/executions -H "Origin: http://console.test:8080" -H "Access-Control-Request-Method: POST" \
	-H "Access-Control-Request-Headers: content-type,accept" -D "$T/h"
check "preflight from the allowed origin: 204" eq "$CODE" 204
check "echoes the exact origin" grep -qi '^Access-Control-Allow-Origin: http://console.test:8080' "$T/h"
check "allows credentials" grep -qi '^Access-Control-Allow-Credentials: true' "$T/h"
check "allows the asked headers" grep -qi '^Access-Control-Allow-Headers: content-type,accept' "$T/h"
_curl GET /api/v1/projects -H "Origin: https://other.test" -D "$T/h"
check "a GET from the second origin carries CORS headers" grep -qi '^Access-Control-Allow-Origin: https://other.test' "$T/h"
_curl OPTIONS /api/v1/executions -H "Origin: http://console.test" -D "$T/h"
check "another port is another origin: no preflight (405)" eq "$CODE" 405
check "and no CORS header" test -z "$(grep -i '^Access-Control' "$T/h")"
_curl GET /api/v1/projects -H "Origin: http://evil.test" -D "$T/h"
check "a GET from elsewhere: no CORS header" test -z "$(grep -i '^Access-Control' "$T/h")"
adm_stop
"$FLYTEC" serve --db "$T/x.db" --cors-origin 'http://a/path' >"$T/o" 2>&1
check "--cors-origin with a path is refused" eq "$?" 2
check "with a message" grep -q "is not an origin" "$T/o"
"$FLYTEC" serve --db "$T/x.db" --cors-origin '*' >"$T/o" 2>&1
check "--cors-origin '*' is refused" eq "$?" 2

adm_done
