#!/usr/bin/env bash
# bench/admin/exec_bench.sh: execution lists with 100,000 executions in the store (issue 12 "Admin", issue 15).
#   1. bench_exec: the store filled in one transaction through the store API, then every listing the console asks
#      for (filters, sort, pages, the nodes of a 10,000-node execution, GET of one) in-process, beside the same
#      SELECTs on bare sqlite;
#   2. the same queries over HTTP on `flytec serve` (one keep-alive connection, p50/p99), and the API calls of the
#      console's two busiest pages (execution list, execution), against the 100 ms target;
#   3. GET /api/v1/executions/{p}/{d}/{name} with wrk (random names) beside the bare sqlite lookup rate, measured
#      after the fill and again for 5 s right before and right after wrk (the ratio against the higher of the two).
# Sizes: ADMIN_BENCH_EXECS (default 100000), ADMIN_BENCH_NODES (10000), ADMIN_BENCH_SAMPLES (200). Times are
# printed as min, p50 and p99: on a shared machine the minimum shows the cost, the percentiles the load.
set -eu
cd "$(dirname "$0")/../.." || exit 2
. bench/lib.sh
N=${ADMIN_BENCH_EXECS:-100000}
NODES=${ADMIN_BENCH_NODES:-10000}
SAMPLES=${ADMIN_BENCH_SAMPLES:-200}
FLYTEC=${FLYTEC:-$PWD/bin/flytec}
OUT=bench/out/admin-exec
rm -rf "$OUT"
mkdir -p "$OUT"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; true; }
trap cleanup EXIT

PKGS="yaml-0.1 libprotobuf-c jansson sqlite3 libcurl libmicrohttpd libarchive libcrypto libpcre2-8"
gcc -std=c11 -D_GNU_SOURCE -O2 -I. -I${BUILD:-build/plain}/gen $(pkg-config --cflags $PKGS) -o "$OUT/bench_exec" \
	bench/admin/bench_exec.c ${BUILD:-build/plain}/libflytec.a $(pkg-config --libs $PKGS) -lm -lpthread

echo "-- store: $N executions (one transaction), a $NODES-node execution; $SAMPLES samples per query"
"$OUT/bench_exec" "$OUT/admin.db" "$N" "$NODES" "$SAMPLES" | tee "$OUT/store.txt"
sqlite_rate=$(sed -n 's/^sqlite_execution_lookup_per_s=//p' "$OUT/store.txt")
keyset=$(sed -n 's/^keyset_token_at_50000=//p' "$OUT/store.txt")

"$FLYTEC" serve --db "$OUT/admin.db" --listen 127.0.0.1:0 --port-file "$OUT/port" --threads 2 --no-executor \
	--no-scheduler 2>"$OUT/serve.log" &
SERVER=$!
for _ in $(seq 1 200); do [ -s "$OUT/port" ] && break; sleep 0.05; done
PORT=$(cat "$OUT/port")

echo "-- the same over HTTP (one keep-alive connection)"
python3 - "$PORT" "$SAMPLES" "$keyset" <<'PY' | tee "$OUT/http.txt"
import http.client, sys, time, urllib.parse
port, samples, keyset = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
conn = http.client.HTTPConnection("127.0.0.1", port)
E = "/api/v1/executions/bench/development"
def get(path):
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise SystemExit("%s: %d %s" % (path, r.status, body[:200]))
    return body
def q(**kw):
    return "?" + urllib.parse.urlencode(kw)
def measure(name, paths, n=None):
    for p in paths:
        get(p)
    t = []
    for _ in range(n or samples):
        t0 = time.perf_counter()
        for p in paths:
            get(p)
        t.append((time.perf_counter() - t0) * 1e3)
    t.sort()
    print("http_%s_min_ms=%.3f http_%s_p50_ms=%.3f http_%s_p99_ms=%.3f" % (name, t[0], name, t[len(t) // 2], name,
          t[len(t) * 99 // 100]))
measure("list_newest", [E + q(limit=100)])
measure("list_phase_failed", [E + q(limit=100, filters="eq(phase,FAILED)")])
measure("list_launch_plan", [E + q(limit=100, filters="eq(launch_plan.name,lp7)")])
measure("list_workflow", [E + q(limit=100, filters="eq(workflow.name,wf3)")])
measure("list_scheduled", [E + q(limit=100, filters="eq(mode,1)")])
measure("list_time_range", [E + q(limit=100, filters="gte(created_at,2026-01-01T10:00:00Z)+lt(created_at,2026-01-01T12:00:00Z)")])
measure("list_phase_and_lp", [E + q(limit=100, filters="eq(phase,SUCCEEDED)+eq(launch_plan.name,lp7)")])
measure("list_page_at_50000_offset", [E + q(limit=100, token="50000")])
measure("list_page_at_50000_keyset", [E + q(limit=100, token=keyset)])
measure("get_execution", ["/api/v1/executions/bench/development/e050000"])
measure("nodes_page_100", ["/api/v1/node_executions/bench/development/big" + q(limit=100)])
measure("nodes_all_10000", ["/api/v1/node_executions/bench/development/big" + q(limit=10000)], max(10, samples // 20))
# the console's execution list page: a page of 50 with a filter, sorted, and the names for its filter menus
measure("page_execution_list", [E + q(limit=50, filters="eq(phase,FAILED)", **{"sort_by.key": "created_at", "sort_by.direction": "DESCENDING"}),
                                "/api/v1/launch_plan_ids/bench/development" + q(limit=100),
                                "/api/v1/workflow_ids/bench/development" + q(limit=100)])
# the console's execution page: the execution, its inputs/outputs, its nodes, its events
X = "bench/development/e050000"
measure("page_execution", ["/api/v1/executions/" + X, "/api/v1/data/executions/" + X,
                           "/api/v1/node_executions/" + X + q(limit=10000), "/api/v1/events/" + X])
PY

# the slowest list query (p50 over HTTP) against the 10 ms target
slowest=$(tr ' ' '\n' < "$OUT/http.txt" | sed -n 's/^http_\(list_[a-z0-9_]*\)_p50_ms=/\1 /p' | sort -k2 -g | tail -1)
bench_target "admin: slowest execution list query over $N, p50 (ms)" "${slowest#* }" "<" 10 \
  "${slowest% *}, HTTP, 100 a page, filters/sort/paging"
echo "-- GET /api/v1/executions/{p}/{d}/{name} with wrk (2 threads, 16 connections, 10 s), random names"
# random names, the requests formatted once per wrk thread (bench/admin/exec_get.lua)
# the baseline again, for 5 s right before and right after wrk (same load; the rate above is minutes older)
"$OUT/bench_exec" lookup "$OUT/admin.db" "$N" 5 | tee "$OUT/lookup_before.txt"
ticks0=$(awk '{print $14 + $15}' "/proc/$SERVER/stat") # the server's user + system CPU, in clock ticks
wrk -t2 -c16 -d10s -s bench/admin/exec_get.lua "http://127.0.0.1:$PORT" -- "$N" | tee "$OUT/wrk.txt"
ticks1=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
"$OUT/bench_exec" lookup "$OUT/admin.db" "$N" 5 | tee "$OUT/lookup_after.txt"
api_rate=$(awk '/Requests\/sec/ {print int($2)}' "$OUT/wrk.txt")
errors=$(awk '/Non-2xx/ {print $NF}' "$OUT/wrk.txt")
before=$(sed -n 's/^sqlite_execution_lookup_per_s=\([0-9]*\).*/\1/p' "$OUT/lookup_before.txt")
after=$(sed -n 's/^sqlite_execution_lookup_per_s=\([0-9]*\).*/\1/p' "$OUT/lookup_after.txt")
echo "api_execution_get_per_s=$api_rate non_2xx=${errors:-0}"
awk -v s="$sqlite_rate" -v a="$api_rate" 'BEGIN { printf "ratio_api_over_sqlite=%.2f (target >= 0.5; baseline of the fill run)\n", a / s }'
awk -v b="$before" -v c="$after" -v a="$api_rate" 'BEGIN { m = b > c ? b : c;
	printf "ratio_api_over_adjacent_sqlite=%.2f (target >= 0.5; against the higher of %d before and %d after)\n", a / m, b, c }'
# the same in CPU time: one bare lookup's (the cheaper of before/after) over the server's per GET (wrk's excluded)
cpu_before=$(sed -n 's/.*cpu_us_per_lookup=\([0-9.]*\).*/\1/p' "$OUT/lookup_before.txt")
cpu_after=$(sed -n 's/.*cpu_us_per_lookup=\([0-9.]*\).*/\1/p' "$OUT/lookup_after.txt")
awk -v b="$cpu_before" -v c="$cpu_after" -v t=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" \
	-v n="$(awk '/ requests in / {print $1}' "$OUT/wrk.txt")" 'BEGIN { m = b < c ? b : c; s = t * 1e6 / hz / n;
	printf "server_cpu_us_per_get=%.1f sqlite_cpu_us_per_lookup=%.2f", s, m
	printf " ratio_api_over_sqlite_per_cpu_second=%.2f\n", m / s }' | tee "$OUT/cpu.txt"
awk -v b="$before" -v c="$after" -v a="$api_rate" 'BEGIN { m = b > c ? b : c; printf "%.2f", a / m }' > "$OUT/ratio"
bench_target "admin: GET execution by random name over $N / bare sqlite lookup" "$(cat "$OUT/ratio")" ">=" 0.5 \
  "wall rates, wrk on the same cores; per CPU second $(sed -n 's/.*per_cpu_second=//p' "$OUT/cpu.txt")"
