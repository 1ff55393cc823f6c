#!/usr/bin/env bash
# bench/console/run.sh: the console's two busiest pages with 100,000 executions in the store (issue 15's done-when:
# "the list and execution pages answer in under 100 ms"). The store is filled by bench/admin's bench_exec (100,000
# executions over 20 launch plans and workflows, and one execution "big" with 10,000 nodes); then, against a real
# `flytec serve` on loopback, each sample times together the API calls a page makes before it is drawn, exactly as
# console/app.js asks them:
#   executions list: the first page (25, newest first) unfiltered and with each filter of the page (phase, launch
#     plan, workflow, mode, time range), and the change stream's opening (its first line);
#   execution page: GET of the execution, its nodes (limit 500), its inputs/outputs, its waiting signals, and the
#     watch stream's first pair of events (execution, nodes): for a typical execution and for the 10,000-node one.
# One keep-alive connection for the GETs (SAMPLES samples of all of a page's GETs together), a new connection per
# stream opening (at most 30 samples: an open stream counts against the admin's 64 until its next ping notices the
# client left, so each group waits for the earlier ones to be released). A page's figure is the GETs' p50 (p99) plus
# the stream opening's p50 (p99): the p99 sum is an upper bound, as both rarely peak together.
# Sizes: CONSOLE_BENCH_EXECS (default 100000), CONSOLE_BENCH_NODES (10000), CONSOLE_BENCH_SAMPLES (200).
set -eu -o pipefail
cd "$(dirname "$0")/../.." || exit 2
N=${CONSOLE_BENCH_EXECS:-100000}
NODES=${CONSOLE_BENCH_NODES:-10000}
SAMPLES=${CONSOLE_BENCH_SAMPLES:-200}
FLYTEC=${FLYTEC:-$PWD/bin/flytec}
OUT=bench/out/console
rm -rf "$OUT"
mkdir -p "$OUT"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; true; }
trap cleanup EXIT

PKGS="yaml-0.1 libprotobuf-c jansson sqlite3 libcurl libmicrohttpd libarchive libcrypto libpcre2-8"
gcc -std=c11 -D_GNU_SOURCE -O2 -I. -I${BUILD:-build/plain}/gen $(pkg-config --cflags $PKGS) -o "$OUT/bench_exec" \
	bench/admin/bench_exec.c ${BUILD:-build/plain}/libflytec.a $(pkg-config --libs $PKGS) -lm -lpthread
echo "-- store: $N executions and a $NODES-node execution (bench/admin/bench_exec.c fills it; its own timings in $OUT/store.txt)"
"$OUT/bench_exec" "$OUT/admin.db" "$N" "$NODES" 10 >"$OUT/store.txt"
head -1 "$OUT/store.txt"

"$FLYTEC" serve --db "$OUT/admin.db" --listen 127.0.0.1:0 --port-file "$OUT/port" --threads 2 --no-executor \
	--no-scheduler 2>"$OUT/serve.log" &
SERVER=$!
for _ in $(seq 1 200); do [ -s "$OUT/port" ] && break; sleep 0.05; done
PORT=$(cat "$OUT/port")

echo "-- the pages' API calls over HTTP, $SAMPLES samples each (target: under 100 ms)"
python3 - "$PORT" "$SAMPLES" "$N" "$NODES" <<'PY' | tee "$OUT/pages.txt"
import http.client, re, socket, sys, time, urllib.parse
port, samples = int(sys.argv[1]), int(sys.argv[2])
conn = http.client.HTTPConnection("127.0.0.1", port)
P = "bench/development"

def get(path):
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise SystemExit("%s: %d %s" % (path, r.status, body[:200]))

def stream_start(path, events):
    """Open an event stream and read until `events` whole events (or, for 0, the first line) have arrived. HTTP/1.0,
    so that the body is not chunked; a finished execution's stream ends after its pair."""
    s = socket.create_connection(("127.0.0.1", port))
    try:
        s.sendall(("GET %s HTTP/1.0\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n" % path).encode())
        buf = b""
        while True:
            chunk = s.recv(65536)
            buf += chunk
            head, sep, rest = buf.partition(b"\r\n\r\n")
            if sep and b" 200 " not in head.split(b"\r\n")[0]:
                raise SystemExit("%s: %s" % (path, head[:100]))
            whole = len(re.findall(rb"data: [^\n]*\n\n", rest))
            if sep and ((events == 0 and b"\n" in rest) or (events and whole >= events)):
                return
            if not chunk:
                raise SystemExit("%s: the stream ended after %d events" % (path, whole))
    finally:
        s.close()

def q(**kw):
    return "?" + urllib.parse.urlencode(kw)

def pct(t, p):
    t = sorted(t)
    return t[min(len(t) - 1, len(t) * p // 100)]

def streams_open():
    conn.request("GET", "/metrics")
    r = conn.getresponse()
    body = r.read().decode()
    m = re.search(r"^flytec_watch_streams (\d+)", body, re.M)
    return int(m.group(1)) if m else 0

def timed(fn, n):
    fn()
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        t.append((time.perf_counter() - t0) * 1e3)
    return t

stream_cache = {}

def stream_times(stream):
    if stream not in stream_cache:
        end = time.time() + 40
        while streams_open() > 8 and time.time() < end:
            time.sleep(0.5)
        stream_cache[stream] = timed(lambda: stream_start(*stream), min(samples, 30))
    return stream_cache[stream]

def measure(name, gets, stream):
    g = timed(lambda: [get(p) for p in gets], samples)
    st = stream_times(stream)
    p50, p99 = pct(g, 50) + pct(st, 50), pct(g, 99) + pct(st, 99)
    print("page_%s_p50_ms=%.2f page_%s_p99_ms=%.2f (gets p50 %.2f p99 %.2f, stream opening p50 %.2f p99 %.2f) %s"
          % (name, p50, name, p99, pct(g, 50), pct(g, 99), pct(st, 50), pct(st, 99),
             "under 100 ms" if p99 < 100 else "OVER 100 ms"), flush=True)

def listing(filters):
    return "/api/v1/executions/" + P + q(limit=25, filters=filters, **{"sort_by.key": "created_at", "sort_by.direction": "DESCENDING"})

change = ("/api/v1/watch/executions/" + P, 0)
measure("list_newest", [listing("")], change)
measure("list_phase", [listing("eq(phase,FAILED)")], change)
measure("list_launch_plan", [listing("eq(launch_plan.name,lp7)")], change)
measure("list_workflow", [listing("eq(workflow.name,wf3)")], change)
measure("list_scheduled", [listing("eq(mode,1)")], change)
measure("list_time_range", [listing("gte(created_at,2026-01-01T10:00:00Z)+lte(created_at,2026-01-01T12:00:00Z)")], change)
for name in ("e%06d" % (int(sys.argv[3]) // 2), "big"):
    X = P + "/" + name
    measure("execution_" + ("typical" if name != "big" else sys.argv[4] + "_nodes"),
            ["/api/v1/executions/" + X, "/api/v1/node_executions/" + X + q(limit=500),
             "/api/v1/data/executions/" + X, "/api/v1/signals/" + X],
            ("/api/v1/watch/executions/" + X, 2))
PY
