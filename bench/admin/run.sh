#!/usr/bin/env bash
# bench/admin/run.sh: admin-lite's benchmarks, each against a baseline measured in the same run.
#   1. registration throughput (entities/s): one transaction per entity (the API) and batched (the watcher);
#   2. GET /api/v1/tasks/{p}/{d}/{name}/{version} with wrk vs the same lookups done directly on sqlite (ratio),
#      then the same GETs in protobuf (Accept: application/octet-stream) on the same server, beside JSON;
#   3. watch latency: rename of one file in a 10,000-file repository -> its new version served (p50, p99);
#   4. execution lists with 100,000 executions, over the store and over HTTP (bench/admin/exec_bench.sh).
# Sizes: ADMIN_BENCH_N (tasks, default 20000), ADMIN_BENCH_FILES (default 10000), ADMIN_BENCH_SAMPLES (200).
set -eu
cd "$(dirname "$0")/../.." || exit 2
N=${ADMIN_BENCH_N:-20000}
FILES=${ADMIN_BENCH_FILES:-10000}
SAMPLES=${ADMIN_BENCH_SAMPLES:-200}
FLYTEC=${FLYTEC:-$PWD/bin/flytec}
OUT=bench/out/admin
rm -rf "$OUT"
mkdir -p "$OUT"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; true; }
trap cleanup EXIT

PKGS="yaml-0.1 libprotobuf-c jansson sqlite3 libcurl libmicrohttpd libarchive libcrypto libpcre2-8"
gcc -std=c11 -D_GNU_SOURCE -O2 -I. -I${BUILD:-build/plain}/gen $(pkg-config --cflags $PKGS) -o "$OUT/bench_store" \
	bench/admin/bench_store.c ${BUILD:-build/plain}/libflytec.a $(pkg-config --libs $PKGS) -linotifytools -lm -lpthread

echo "-- store: $N tasks registered each way, 200000 lookups"
"$OUT/bench_store" "$OUT/admin.db" "$N" 200000 | tee "$OUT/store.txt"
sqlite_rate=$(sed -n 's/^sqlite_lookup_per_s=//p' "$OUT/store.txt")

echo "-- API GET with wrk (2 threads, 16 connections, 10 s) on the same database"
"$FLYTEC" serve --db "$OUT/admin.db" --listen 127.0.0.1:0 --port-file "$OUT/port" --threads 2 --no-executor --no-scheduler 2>"$OUT/serve.log" &
SERVER=$!
for _ in $(seq 1 100); do [ -s "$OUT/port" ] && break; sleep 0.05; done
PORT=$(cat "$OUT/port")
cat >"$OUT/get.lua" <<EOF
math.randomseed(7)
request = function()
  return wrk.format("GET", "/api/v1/tasks/bench/development/a" .. math.random(1, $N) .. "/v1")
end
EOF
curl -sf "http://127.0.0.1:$PORT/api/v1/tasks/bench/development/a1/v1" >/dev/null
wrk -t2 -c16 -d10s -s "$OUT/get.lua" "http://127.0.0.1:$PORT" | tee "$OUT/wrk.txt"
api_rate=$(awk '/Requests\/sec/ {print int($2)}' "$OUT/wrk.txt")
errors=$(awk '/Non-2xx/ {print $NF}' "$OUT/wrk.txt")
echo "api_get_per_s=$api_rate non_2xx=${errors:-0}"
# the same GETs in the protobuf encoding (Accept: application/octet-stream, as Flyte's console asks), same server
echo "-- the same GET in protobuf (Accept: application/octet-stream)"
curl -sf -H "Accept: application/octet-stream" "http://127.0.0.1:$PORT/api/v1/tasks/bench/development/a1/v1" >/dev/null
wrk -t2 -c16 -d10s -s "$OUT/get.lua" -H "Accept: application/octet-stream" "http://127.0.0.1:$PORT" |
	tee "$OUT/wrk_pb.txt"
pb_rate=$(awk '/Requests\/sec/ {print int($2)}' "$OUT/wrk_pb.txt")
pb_errors=$(awk '/Non-2xx/ {print $NF}' "$OUT/wrk_pb.txt")
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
echo "api_get_protobuf_per_s=$pb_rate non_2xx=${pb_errors:-0}"
awk -v j="$api_rate" -v p="$pb_rate" 'BEGIN { printf "protobuf_over_json=%.2f\n", p / j }'
awk -v s="$sqlite_rate" -v a="$api_rate" 'BEGIN { printf "ratio_sqlite_over_api=%.2f (target <= 3)\n", s / a }'

echo "-- watch latency: $SAMPLES renames in a $FILES-file repository"
mkdir -p "$OUT/watch"
python3 bench/admin/watch_latency.py "$FLYTEC" "$OUT/watch" "$FILES" "$SAMPLES" | tee "$OUT/watch.txt"

echo "-- executions: lists over ${ADMIN_BENCH_EXECS:-100000} executions (bench/admin/exec_bench.sh)"
bash bench/admin/exec_bench.sh
