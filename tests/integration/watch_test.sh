#!/usr/bin/env bash
# watch_test.sh: the watch streams (server-sent events, admin-lite/stream.c) against a real `flytec serve`: an
# execution's events arrive in order while it runs and the stream ends at its terminal phase; the project stream
# names new executions; unknown executions are a JSON 404; the token applies; the stream limit answers 503 with
# Retry-After; a client that never reads does not grow the server's memory while its execution changes thousands
# of times; serve stops promptly (SIGTERM) with streams open.
. "$(dirname "$0")/admin_lib.sh"

R=$T/repo
PD=demo/development
mkdir -p "$R"
echo "not a spec" >"$R/README.md"
cat >"$R/flow.yaml" <<'EOF'
project: demo
tasks:
  - name: nap
    type: raw-container
    inputs: {s: string}
    outputs: {o: string}
    container:
      image: debian:12-slim
      command: [sh, -c, 'sleep "$1"; printf done > "$FLYTE_OUTPUT_DIR/o"', nap, "{{.inputs.s}}"]
workflows:
  - name: two
    inputs: {s: {type: string, default: "0.6"}}
    nodes:
      - {id: a, task: nap, inputs: {s: !ref inputs.s}}
      - {id: b, task: nap, inputs: {s: !ref inputs.s}, after: [a]}
EOF

# The SSE client for what curl cannot do: many streams on one process, a client that never reads.
cat >"$T/sse.py" <<'EOF'
import socket, sys, time
mode, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def request(s):
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n" % path).encode())
if mode == "hold":  # open N streams, print how many answered 200, keep them open until stdin closes
    socks = []
    for _ in range(int(sys.argv[4])):
        s = socket.create_connection(("127.0.0.1", port)); request(s); socks.append(s)
    ok = 0
    for s in socks:
        s.settimeout(10)
        head = b""
        while b"\r\n" not in head:
            chunk = s.recv(1)
            if not chunk: break
            head += chunk
        ok += head.startswith(b"HTTP/1.1 200")
    print(ok, flush=True)
    sys.stdin.read()
elif mode == "noread":  # a tiny receive window, never read: the server's writes stall
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port)); request(s)
    print("open", flush=True)
    sys.stdin.read()
EOF

# parse an event-stream file: one line per event, "id event summary"; for `nodes` and `nodes-changed` the summary
# is the client's picture after the event (the first page, then the changed nodes merged in), followed by
# "n=<nodes in this event> token=<0|1> same=<nodes of a nodes-changed the client already had exactly so>"
cat >"$T/events.py" <<'EOF'
import json, sys
events, cur, nodes, full = [], {}, {}, {}
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n").rstrip("\r")
    if not line:
        if "event" in cur: events.append(cur)
        cur = {}
        continue
    if line.startswith(":"): continue
    k, _, v = line.partition(": ")
    cur[k] = cur.get(k, "") + v if k == "data" else v
for e in events:
    d = json.loads(e["data"])
    if e["event"] == "execution": s = d["closure"]["phase"]
    elif e["event"] in ("nodes", "nodes-changed"):
        if e["event"] == "nodes": nodes, full = {}, {}
        got = d.get("nodeExecutions", [])
        same = sum(1 for n in got if e["event"] == "nodes-changed" and full.get(n["id"]["nodeId"]) == n)
        for n in got:
            nodes[n["id"]["nodeId"]] = n["closure"]["phase"]
            full[n["id"]["nodeId"]] = n
        s = ",".join("%s=%s" % kv for kv in sorted(nodes.items())) + " n=%d token=%d same=%d" % (len(got), bool(d.get("token")), same)
    elif e["event"] == "changed": s = ",".join(d["executions"])
    else: s = json.dumps(d)
    print(e.get("id", "-"), e["event"], s)
EOF
events() { python3 "$T/events.py" "$1"; }

adm_start --repo "$R"
launch() { # launch-plan name [curl args]
	post /api/v1/executions "{\"project\":\"demo\",\"domain\":\"development\",\"name\":\"$2\",
		\"spec\":{\"launchPlan\":{\"project\":\"demo\",\"domain\":\"development\",\"name\":\"$1\"}}}" "${@:3}"
}
# wait (up to $2 seconds) for a background process to end by itself; 0 if it did
wait_exit() {
	local pid=$1 i
	for i in $(seq 1 $(($2 * 20))); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}

# --- the project stream is open before the execution exists; the execution stream follows it to the end
curl -sN "$URL/api/v1/watch/executions/$PD" >"$T/project.sse" 2>/dev/null &
PROJECT_CURL=$!
launch two w1
check launch eq "$CODE" 200
curl -sN -D "$T/w1.head" "$URL/api/v1/watch/executions/$PD/w1" >"$T/w1.sse" 2>/dev/null &
W1_CURL=$!
check stream-ends-at-terminal-phase wait_exit "$W1_CURL" 60
check stream-content-type contains "$(cat "$T/w1.head")" "Content-Type: text/event-stream"
EV=$(events "$T/w1.sse")
check first-event-is-execution eq "$(echo "$EV" | head -1 | cut -d' ' -f2)" execution
check ids-increase eq "$(echo "$EV" | awk '{print $1}' | sort -n -c 2>&1 && echo "$EV" | awk '{print $1}' | uniq -d)" ""
check last-execution-succeeded eq "$(echo "$EV" | grep ' execution ' | tail -1 | cut -d' ' -f3)" SUCCEEDED
check last-nodes-succeeded eq "$(echo "$EV" | grep -E ' nodes(-changed)? ' | tail -1 | cut -d' ' -f3)" "a=SUCCEEDED,b=SUCCEEDED"
check events-pair-up eq "$(echo "$EV" | grep -c ' execution ')" "$(echo "$EV" | grep -Ec ' nodes(-changed)? ')"
# the first rendering is the whole first page (`nodes`), every later one only what changed (`nodes-changed`)
check second-event-is-nodes eq "$(echo "$EV" | sed -n 2p | cut -d' ' -f2)" nodes
check one-nodes-event eq "$(echo "$EV" | grep -c ' nodes ')" 1
NCH=$(echo "$EV" | grep -c ' nodes-changed ')
SENT=$(echo "$EV" | grep ' nodes-changed ' | sed 's/.* n=\([0-9]*\) .*/\1/' | awk '{s += $1} END {print s + 0}')
SAME=$(echo "$EV" | grep ' nodes-changed ' | sed 's/.* same=\([0-9]*\)$/\1/' | awk '{s += $1} END {print s + 0}')
echo "  ($NCH nodes-changed events carried $SENT nodes, $SAME of them unchanged)"
check changed-events-carry-only-changes eq "$SAME" 0
check changed-events-carry-some test "$SENT" -ge 2
# phases only move forward: the order of first appearance is a run's order
PHASES=$(echo "$EV" | grep ' execution ' | cut -d' ' -f3 | uniq | tr '\n' ' ')
check phases-in-order python3 -c 'import sys
order = ["UNDEFINED", "QUEUED", "RUNNING", "SUCCEEDING", "SUCCEEDED"]
p = sys.argv[1].split()
sys.exit(0 if p == sorted(p, key=order.index) and len(p) == len(set(p)) else 1)' "$PHASES"
# it ran for more than a second with changes in between: the stream saw it running, and a's end before b's
check saw-it-running contains "$PHASES" RUNNING
check saw-a-before-b contains "$(echo "$EV" | grep -E ' nodes(-changed)? ' | cut -d' ' -f3 | tr '\n' ' ')" "a=SUCCEEDED,b=RUNNING"
# coalesced: far fewer renderings than the run's events, none closer than the interval (checked by count)
get /api/v1/events/$PD/w1
NEV=$(jget 'len(d["events"])')
check coalesced test "$(echo "$EV" | grep -c ' execution ')" -le "$NEV"

# --- a terminal execution: its state once, then the end
curl -sN --max-time 10 "$URL/api/v1/watch/executions/$PD/w1" >"$T/done.sse" 2>/dev/null
check terminal-stream-ends eq "$?" 0
check terminal-stream-state eq "$(events "$T/done.sse" | cut -d' ' -f2,3 | head -2 | tr '\n' ' ')" "execution SUCCEEDED nodes a=SUCCEEDED,b=SUCCEEDED "
curl -sN --max-time 10 -H 'Last-Event-ID: 41' "$URL/api/v1/watch/executions/$PD/w1" >"$T/resume.sse" 2>/dev/null
check last-event-id-continues eq "$(events "$T/resume.sse" | awk '{print $1}' | tr '\n' ' ')" "42 43 "

# --- the project stream named the new execution (created, then each phase change)
wait_named() { # name
	for _ in $(seq 1 100); do
		events "$T/project.sse" 2>/dev/null | grep -q "changed .*\\b$1\\b" && return 0
		sleep 0.05
	done
	events "$T/project.sse"
	return 1
}
check project-stream-names-w1 wait_named w1
launch two w2
check project-stream-names-w2 wait_named w2
check project-stream-still-open kill -0 "$PROJECT_CURL"
kill "$PROJECT_CURL" 2>/dev/null; wait "$PROJECT_CURL" 2>/dev/null

# --- the repository page's file endpoint: a spec's text with its status; only the repository's listed files
get "/api/v1/repository/file?path=flow.yaml"
check file-200 eq "$CODE" 200
check file-content eq "$(jget 'd["content"]')" "$(cat "$R/flow.yaml")"
check file-ok eq "$(jget '[d["ok"], d["size"]]')" "[true, $(wc -c <"$R/flow.yaml")]"
printf 'project: demo\ntasks:\n  - name: t\n    inputs: {x: nosuchtype}\n    container: {image: a, command: [x]}\n' >"$R/broken.yaml"
ln -s /etc/hostname "$R/outside.yaml"
wait_file() { # path: wait until the watcher lists it
	for _ in $(seq 1 100); do
		get /api/v1/repository/status
		[ "$(jget "[f['path'] for f in d['files'] if f['path'] == '$1']")" = "[\"$1\"]" ] && return 0
		sleep 0.05
	done
	return 1
}
check broken-listed wait_file broken.yaml
get "/api/v1/repository/file?path=broken.yaml"
check broken-file eq "$(jget '[d["ok"], "nosuchtype" in d["content"], "broken.yaml:4:" in d["diagnostics"]]')" "[false, true, true]"
check outside-listed wait_file outside.yaml
get "/api/v1/repository/file?path=outside.yaml"
check file-link-outside-403 eq "$CODE" 403
get "/api/v1/repository/file?path=README.md"
check file-not-listed-404 eq "$CODE" 404
get "/api/v1/repository/file?path=../etc/passwd"
check file-dotdot-400 eq "$CODE" 400
get "/api/v1/repository/file"
check file-no-path-400 eq "$CODE" 400
rm -f "$R/broken.yaml" "$R/outside.yaml"

# --- errors are ordinary JSON answers
get /api/v1/watch/executions/$PD/nope
check unknown-404 eq "$CODE" 404
check unknown-404-json eq "$(jget 'd["code"]')" not_found
get /api/v1/watch/executions/demo/nodomain
check bad-domain-400 eq "$CODE" 400
get "/api/v1/watch/executions/$PD/bad%20name"
check bad-name-400 eq "$CODE" 400

# --- the stream limit (ADM_STREAM_MAX = 64): the 65th is 503 with Retry-After, and a slot frees when one closes
LIMIT=$(sed -n 's/^#define ADM_STREAM_MAX \([0-9]*\).*/\1/p' core/limits.h)
PING_S=$(sed -n 's/^#define ADM_STREAM_PING_S \([0-9]*\).*/\1/p' core/limits.h)
# streams still open count against the limit: the killed project stream's is noticed at its next ping, and
# counting it here would race that ping (it could close between this count and the 65th request), so wait for
# the gauge to settle at 0 first
OPEN=
for _ in $(seq 1 $((10 * (PING_S + 5)))); do
	get /metrics
	OPEN=$(sed -n 's/^flytec_watch_streams \([0-9]*\)$/\1/p' "$T/out")
	[ "$OPEN" = 0 ] && break
	sleep 0.1
done
check streams-settle-at-0 eq "$OPEN" 0
mkfifo "$T/hold.in"
python3 "$T/sse.py" hold "$PORT" "/api/v1/watch/executions/$PD" "$((LIMIT - OPEN))" <"$T/hold.in" >"$T/hold.out" &
HOLD=$!
exec 7>"$T/hold.in"
for _ in $(seq 1 200); do [ -s "$T/hold.out" ] && break; sleep 0.05; done
check limit-streams-open eq "$(cat "$T/hold.out")" "$((LIMIT - OPEN))"
CODE=$(curl -s -D "$T/limit.head" -o "$T/out" -w '%{http_code}' --max-time 5 "$URL/api/v1/watch/executions/$PD")
check over-limit-503 eq "$CODE" 503
check over-limit-retry-after contains "$(cat "$T/limit.head")" "Retry-After:"
check over-limit-json eq "$(jget 'd["code"]')" unavailable
get /metrics
check metrics-streams contains "$(cat "$T/out")" "flytec_watch_streams $LIMIT"
exec 7>&-
wait "$HOLD" 2>/dev/null
# a suspended stream notices that its client went away when it next writes: at the latest with the next ping
freed() {
	for _ in $(seq 1 $((20 * (PING_S + 5)))); do
		CODE=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$URL/api/v1/watch/executions/$PD")
		[ "$CODE" = 000 ] || [ "$CODE" = 200 ] && return 0 # 000: curl's own timeout on an open stream
		sleep 0.05
	done
	return 1
}
check slots-free-after-close freed

# --- the token: streams are reads
adm_stop
echo "s3cret" >"$T/token"
adm_start --repo "$R" --token-file "$T/token" --no-executor
get /api/v1/watch/executions/$PD/w1
check no-token-401 eq "$CODE" 401
curl -sN --max-time 10 -H 'Authorization: Bearer s3cret' "$URL/api/v1/watch/executions/$PD/w1" >"$T/tok.sse" 2>/dev/null
check token-stream eq "$(events "$T/tok.sse" | head -1 | cut -d' ' -f2,3)" "execution SUCCEEDED"

# --- a client that never reads: the execution changes 3,000 times (node events posted here, no executor), each
# rendering carries the nodes changed since the last (at most a page of 500); the server holds one rendering for
# the stalled client, so its memory stays flat, while a reading client gets the final state.
adm_stop
# ASan's quarantine would keep every freed rendering in the process for a while: keep it small for this server
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
adm_start --repo "$R" --token-file "$T/token" --public-reads --no-executor
post /api/v1/executions '{"project":"demo","domain":"development","name":"big","spec":{"launchPlan":{"project":"demo","domain":"development","name":"two"}}}' -H 'Authorization: Bearer s3cret'
check big-launch eq "$CODE" 200
adm_rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
mkfifo "$T/noread.in"
python3 "$T/sse.py" noread "$PORT" "/api/v1/watch/executions/$PD/big" <"$T/noread.in" >"$T/noread.out" &
NOREAD=$!
exec 8>"$T/noread.in"
curl -sN "$URL/api/v1/watch/executions/$PD/big" >"$T/big.sse" 2>/dev/null &
BIG_CURL=$!
cat >"$T/load.py" <<'EOF'
import json, sys, time, urllib.request
url = sys.argv[1]
def post(path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer s3cret"})
    urllib.request.urlopen(req).read()
ex = {"project": "demo", "domain": "development", "name": "big"}
now = lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
post("/api/v1/events/workflows", {"requestId": "w", "event": {"executionId": ex, "phase": "RUNNING", "occurredAt": now()}})
for i in range(1500):
    for ph in ("RUNNING", "SUCCEEDED"):
        post("/api/v1/events/nodes", {"requestId": "n", "event": {"id": {"nodeId": "node-%04d-%s" % (i, "x" * 40),
             "executionId": ex}, "phase": ph, "occurredAt": now()}})
    if i == 100:
        print("warm", flush=True)
post("/api/v1/events/workflows", {"requestId": "w", "event": {"executionId": ex, "phase": "SUCCEEDED", "occurredAt": now()}})
print("done", flush=True)
EOF
python3 "$T/load.py" "$URL" >"$T/load.out" 2>&1 &
LOAD=$!
for _ in $(seq 1 600); do grep -q warm "$T/load.out" && break; sleep 0.05; done
RSS_WARM=$(adm_rss)
wait "$LOAD"
RSS_END=$(adm_rss)
check load-posted contains "$(cat "$T/load.out")" done
check reader-gets-final-state wait_exit "$BIG_CURL" 30
LAST=$(events "$T/big.sse" | grep -E ' nodes(-changed)? ' | tail -1 | cut -d' ' -f3 | tr ',' '\n' | grep -c '=SUCCEEDED')
check reader-final-nodes eq "$LAST" 1500
BIGEV=$(events "$T/big.sse")
MOSTSENT=$(echo "$BIGEV" | grep -E ' nodes(-changed)? ' | sed 's/.* n=\([0-9]*\) .*/\1/' | sort -n | tail -1)
check events-bounded-to-a-page test "${MOSTSENT:-9999}" -le 500
check big-changed-events-carry-only-changes eq "$(echo "$BIGEV" | grep ' nodes-changed ' | sed 's/.* same=\([0-9]*\)$/\1/' | awk '{s += $1} END {print s + 0}')" 0
# a stream opened on the finished 1500-node execution: the first page of 500 and the list's token; the list
# endpoint pages the rest with it
curl -sN --max-time 20 "$URL/api/v1/watch/executions/$PD/big" >"$T/bigdone.sse" 2>/dev/null
BIGDONE=$(events "$T/bigdone.sse")
check big-first-page contains "$(echo "$BIGDONE" | grep ' nodes ')" " n=500 token=1"
check big-first-page-only-event eq "$(echo "$BIGDONE" | grep -Ec ' nodes(-changed)? ')" 1
TOTAL=$(python3 - "$URL" "$T/bigdone.sse" <<'EOF'
import json, sys, urllib.request
url, path = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
first = next(json.loads(b.split("data: ", 1)[1]) for b in text.split("\n\n") if "event: nodes\n" in b)
seen = {n["id"]["nodeId"]: n["closure"]["phase"] for n in first["nodeExecutions"]}
token = first.get("token", "")
while token:
    req = urllib.request.Request(url + "/api/v1/node_executions/demo/development/big?limit=500&token=" + token,
                                 headers={"Authorization": "Bearer s3cret"})
    page = json.load(urllib.request.urlopen(req))
    for n in page.get("nodeExecutions", []): seen[n["id"]["nodeId"]] = n["closure"]["phase"]
    token = page.get("token", "")
print(sum(1 for v in seen.values() if v == "SUCCEEDED"))
EOF
)
check big-pages-through-token eq "$TOTAL" 1500
check reader-final-phase eq "$(events "$T/big.sse" | grep ' execution ' | tail -1 | cut -d' ' -f3)" SUCCEEDED
BYTES=$(wc -c <"$T/big.sse")
BIGGEST=$(python3 -c 'import sys
print(max(len(b) for b in open(sys.argv[1], "rb").read().split(b"\n\n")))' "$T/big.sse")
check stalled-client-still-connected kill -0 "$NOREAD"
# what the server holds for its streams: the stalled one keeps at most the rendering it was sending (renderings
# are replaced, never queued), however many changes it missed
get /metrics
HELD=$(sed -n 's/^flytec_watch_streams_buffered_bytes \([0-9]*\)$/\1/p' "$T/out")
echo "  (reader received $BYTES bytes, largest event $BIGGEST; stalled stream holds $HELD bytes; RSS ${RSS_WARM} -> ${RSS_END} KiB)"
check stalled-client-holds-one-rendering test "${HELD:-999999999}" -le $((2 * BIGGEST + 65536))
# and the process: far less growth than what was sent (allocator noise aside)
check stalled-client-memory-flat test $(((RSS_END - RSS_WARM) * 1024)) -lt $((BYTES / 2 + 32 * 1024 * 1024))
exec 8>&-
wait "$NOREAD" 2>/dev/null

# --- serve stops promptly with streams open (a suspended project stream, an execution stream, a stalled client)
launch two w3 -H 'Authorization: Bearer s3cret'
curl -sN "$URL/api/v1/watch/executions/$PD" >/dev/null 2>&1 &
C1=$!
curl -sN "$URL/api/v1/watch/executions/$PD/w3" >"$T/w3.sse" 2>&1 &
C2=$!
python3 "$T/sse.py" noread "$PORT" "/api/v1/watch/executions/$PD/w3" <"$T/noread.in" >"$T/noread.out" &
NOREAD=$!
exec 8>"$T/noread.in"
for _ in $(seq 1 100); do [ -s "$T/w3.sse" ] && [ -s "$T/noread.out" ] && break; sleep 0.05; done
# the idle project stream waits parked (admin-lite/park.c), counted in /metrics
PARKED=0
for _ in $(seq 1 100); do
	get /metrics
	PARKED=$(sed -n 's/^flytec_parked_connections \([0-9]*\)$/\1/p' "$T/out")
	[ "${PARKED:-0}" -ge 1 ] && break
	sleep 0.05
done
check streams-parked test "${PARKED:-0}" -ge 1
T0=$(date +%s%N)
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
T1=$(date +%s%N)
MS=$(((T1 - T0) / 1000000))
echo "  (serve stopped in $MS ms with 3 streams open)"
check stops-promptly test "$MS" -lt 1000
SERVER_PID=""
check clients-see-the-end wait_exit "$C1" 5
check clients-see-the-end-2 wait_exit "$C2" 5
exec 8>&-
wait "$NOREAD" 2>/dev/null
adm_done
