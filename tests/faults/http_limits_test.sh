#!/usr/bin/env bash
# http_limits_test.sh: the HTTP layer's own answers are JSON like every other (issue 19: a 40 KB URL got 414 with
# an HTML page), and an answer past the server's limit is refused with a JSON error instead of being rendered
# (issue 19.7: one GET of a huge workflow returned 161 MB and left serve at 5 GB).
source "$(dirname "$0")/../integration/admin_lib.sh"

# raw HTTP, so that nothing on the client side limits what is sent
raw() { # REQUEST-BYTES-PYTHON-EXPR -> $T/raw (status line, headers, body)
	python3 - "$PORT" "$1" >"$T/raw" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(eval(sys.argv[2]))
data = b""
while True:
    try:
        b = s.recv(65536)
    except OSError:
        break
    if not b:
        break
    data += b
sys.stdout.buffer.write(data)
PY
}
status() { head -c 12 "$T/raw" | cut -c10-12; }
body_json_code() { python3 -c 'import json,sys; d=open(sys.argv[1],"rb").read(); print(json.loads(d.split(b"\r\n\r\n",1)[1])["code"])' "$T/raw" 2>/dev/null; }
ctype() { grep -i '^Content-Type:' "$T/raw" | head -1 | tr -d '\r' | cut -d' ' -f2; }

adm_start --no-executor --no-scheduler --max-answer 65536 --max-body 1048576

raw 'b"GET /api/v1/projects?filters=" + b"a" * 40000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"'
check "a 40 KB URL gets 414" eq "$(status)" 414
check "the 414 is JSON" eq "$(ctype)" application/json
check "the 414 body names the limit" eq "$(body_json_code)" limit
raw 'b"GET /api/v1/projects HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 40000 + b"\r\nConnection: close\r\n\r\n"'
check "40 KB of headers get 431" eq "$(status)" 431
check "the 431 is JSON" eq "$(ctype)" application/json
raw 'b"POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n" + b"x" * 1000'
check "a body past --max-body gets 413" eq "$(status)" 413
check "the 413 is JSON" eq "$(ctype)" application/json
raw 'b"GET /api/v1/projects HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"'
check "an ordinary request still answers 200" eq "$(status)" 200

# an answer past --max-answer (64 KiB here): a task whose container args hold 100 KB
python3 -c '
import json
args = ["x" * 1000] * 100
t = {"resourceType": "TASK", "project": "flytesnacks", "domain": "development", "name": "big", "version": "v1"}
print(json.dumps({"id": t, "spec": {"template": {"id": t, "type": "container",
   "interface": {"inputs": {"variables": {}}, "outputs": {"variables": {}}},
   "container": {"image": "alpine", "args": args}}}}))' >"$T/big.json"
post /api/v1/projects '{"project":{"id":"flytesnacks","name":"flytesnacks"}}'
CODE=$(curl -s -o "$T/out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$T/big.json" "$URL/api/v1/tasks")
check "a 100 KB task registers" eq "$CODE" 200
get /api/v1/tasks/flytesnacks/development/big/v1
check "getting it is refused past --max-answer with 500" eq "$CODE" 500
check "the refusal is JSON code limit" eq "$(jget 'd["code"]')" limit
check "the refusal names the limit and the option" contains "$(jget 'd["message"]')" "65536 bytes (flytec serve --max-answer)"
get /api/v1/tasks/flytesnacks/development/big
check "a list holding it is refused the same way" eq "$CODE/$(jget 'd["code"]')" 500/limit
get /api/v1/task_ids/flytesnacks/development
check "small answers still work" eq "$CODE" 200

# the same server with the default limit (32 MiB) answers it
adm_stop
adm_start --no-executor --no-scheduler
get /api/v1/tasks/flytesnacks/development/big/v1
check "with the default limit the task is answered" eq "$CODE" 200
check "whole" eq "$(jget 'len(d["closure"]["compiledTask"]["template"]["container"]["args"])')" 100
adm_done
