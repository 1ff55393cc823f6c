#!/usr/bin/env bash
# http_slow_clients_test.sh: 1,000 connections that trickle a header line every second (a "slowloris") must not
# lock anyone out (issue 19.2). Each slow connection is cut once its request head is late (--head-timeout),
# newcomers push out the connections that waited longest for their head (per client address, and when the server
# nears --max-conns), and ordinary requests keep answering in under a second throughout.
#
# The slow clients come from 127.0.0.1 (as the ordinary client does: the per-address limit must not lock that
# client out) and from 20 other loopback addresses; a slow client that is cut connects again at once.
source "$(dirname "$0")/../integration/admin_lib.sh"

HOLD=${SLOW_HOLD_SECONDS:-15}
ulimit -n 8192 2>/dev/null || true

cat >"$T/slow.py" <<'PY'
import errno, json, socket, sys, time
url_port, n, hold, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
# source addresses: 40% from 127.0.0.1, the rest spread over 127.0.0.2 .. 127.0.0.21
def source(i):
    return "127.0.0.1" if i % 5 < 2 else "127.0.0.%d" % (2 + i % 20)
slots = [None] * n
first_gen = {}   # slot -> (opened_at, cut_at or None) for the first connection of each slot
opened = cut = refused = 0
def connect(i):
    global opened, refused
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((source(i), 0))
        s.settimeout(2)
        s.connect(("127.0.0.1", url_port))
        s.setblocking(False)
        s.send(b"GET /api/v1/projects HTTP/1.1\r\nHost: x\r\n")
    except OSError:
        refused += 1
        s.close()
        return None
    opened += 1
    return [s, time.monotonic()]
start = time.monotonic()
for i in range(n):
    slots[i] = connect(i)
    if slots[i]:
        first_gen[i] = [slots[i][1], None]
tick = 0
while time.monotonic() - start < hold:
    time.sleep(1)
    tick += 1
    for i in range(n):
        c = slots[i]
        alive = c is not None
        if alive:
            try:
                if c[0].recv(4096) == b"":
                    alive = False
            except BlockingIOError:
                pass
            except OSError:
                alive = False
        if alive:
            try:
                c[0].send(b"X-Slow-%d: %d\r\n" % (i, tick))
            except BlockingIOError:
                pass
            except OSError:
                alive = False
        if not alive:
            if c is not None:
                cut += 1
                c[0].close()
                if i in first_gen and first_gen[i][1] is None and first_gen[i][0] == c[1]:
                    first_gen[i][1] = time.monotonic()
            slots[i] = connect(i)
longest = max((((cut_at or time.monotonic()) - opened_at) for opened_at, cut_at in first_gen.values()), default=0)
first_cut = sum(1 for v in first_gen.values() if v[1] is not None)
json.dump({"opened": opened, "cut": cut, "refused": refused, "first": len(first_gen), "first_cut": first_cut,
           "longest_first": round(longest, 2)}, open(out, "w"))
for c in slots:
    if c:
        c[0].close()
PY

adm_start --no-executor --no-scheduler --head-timeout 2 --max-conns 512
python3 "$T/slow.py" "$PORT" 1000 "$HOLD" "$T/slow.json" &
SLOW=$!
sleep 2   # let the slow clients take their slots

# ordinary requests meanwhile, each on a new connection, from 127.0.0.1 like a third of the slow clients
python3 - "$URL" "$((HOLD - 4))" >"$T/ordinary" <<'PY'
import sys, time, urllib.request
url, duration = sys.argv[1], float(sys.argv[2])
ok = bad = 0
slowest = 0.0
end = time.monotonic() + duration
while time.monotonic() < end:
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(url + "/api/v1/projects", timeout=3) as r:
            status = r.status
            r.read()
    except Exception as e:
        status = str(e)
    took = time.monotonic() - t0
    slowest = max(slowest, took)
    if status == 200 and took < 1.0:
        ok += 1
    else:
        bad += 1
        print("    ordinary request: %s in %.2fs" % (status, took), file=sys.stderr)
    time.sleep(0.2)
print(ok, bad, round(slowest, 3))
PY
read -r ok bad slowest <"$T/ordinary"
wait "$SLOW"
echo "  ordinary requests: $ok fine, $bad slow or failed (slowest ${slowest}s); slow clients: $(cat "$T/slow.json")"
check "ordinary requests answered while 1,000 slow clients trickle" test "$ok" -ge 5 -a "$bad" -eq 0
stat() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$T/slow.json" "$1"; }
check "the 1,000 slow clients connected" [ "$(stat first)" -eq 1000 ]
check "every first slow connection was cut" eq "$(stat first_cut)" "$(stat first)"
check "no slow connection outlived the head deadline" \
	python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 4 else 1)" "$(stat longest_first)"
get /metrics
check "metrics count connections pushed out for newcomers" \
	python3 -c "import re,sys; t=open(sys.argv[1]).read(); m=re.search(r'flytec_http_connections_cut_total\{reason=\"pushed_out\"\} (\d+)', t); sys.exit(0 if m and int(m.group(1)) > 0 else 1)" "$T/out"

# Without newcomers to push them out, slow clients are cut by the head deadline alone (2 s here), although each
# sends a header line every second.
python3 "$T/slow.py" "$PORT" 50 6 "$T/slow.json"
echo "  50 slow clients alone: $(cat "$T/slow.json")"
check "every slow connection is cut by the head deadline" eq "$(stat first_cut)" 50
check "none lasted much past the 2 s deadline" \
	python3 -c "import sys; sys.exit(0 if 1.5 <= float(sys.argv[1]) <= 4 else 1)" "$(stat longest_first)"
get /metrics
check "metrics count connections cut for a late head" \
	python3 -c "import re,sys; t=open(sys.argv[1]).read(); m=re.search(r'flytec_http_connections_cut_total\{reason=\"head_timeout\"\} (\d+)', t); sys.exit(0 if m and int(m.group(1)) >= 50 else 1)" "$T/out"
# once the slow clients are gone the server holds nothing for them
sleep 3
get /metrics
check "slow connections are all gone afterwards" \
	python3 -c "import re,sys; t=open(sys.argv[1]).read(); m=re.search(r'^flytec_http_connections (\d+)', t, re.M); sys.exit(0 if m and int(m.group(1)) <= 2 else 1)" "$T/out"

# a request whose head comes slowly but within the deadline is still served
check "a head sent in two parts within the deadline is served" python3 - "$PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.send(b"GET /healthz HTTP/1.1\r\n")
time.sleep(0.5)
s.send(b"Host: x\r\nConnection: close\r\n\r\n")
data = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    data += b
sys.exit(0 if data.startswith(b"HTTP/1.1 200") else 1)
PY
adm_done
