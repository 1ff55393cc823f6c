#!/usr/bin/env bash
# bench/logs/run.sh: GET /api/v1/logs (admin-lite/logs.c) on the local executor, against baselines of the same run.
#   1. reading a finished attempt's 64 MiB stdout through the endpoint in 4 MiB pieces (curl, one connection after
#      another, as `flytec logs` does) vs `cat` of the same file;
#   2. follow latency: a follower waiting at the end of a running attempt's log, the task writes a line; time from
#      the write (the task's own timestamp) to the follower's answer (p50, max over LOGS_BENCH_SAMPLES lines);
#   3. LOGS_BENCH_FOLLOWERS (default 100: under the per-address connection limit) followers waiting at once: the server's CPU over 5 s, and the latency of
#      another request meanwhile (the followers hold no thread).
set -eu
cd "$(dirname "$0")/../.." || exit 2
FLYTEC=${FLYTEC:-$PWD/bin/flytec}
SAMPLES=${LOGS_BENCH_SAMPLES:-20}
FOLLOWERS=${LOGS_BENCH_FOLLOWERS:-100}
OUT=bench/out/logs
rm -rf "$OUT"
mkdir -p "$OUT/repo"
SERVER=""
cleanup() {
	[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
	touch "$OUT/stop"
	true
}
trap cleanup EXIT
now_ms() { date +%s%3N; }

cat >"$OUT/repo/logs.yaml" <<EOF
project: bench
tasks:
  - name: big
    type: raw-container
    container:
      image: debian:12-slim
      command: [sh, -c, 'head -c 67108864 /dev/zero | tr "\\\\0" x']
  - name: ticker
    type: raw-container
    container:
      image: debian:12-slim
      command: [sh, -c, 'i=0; while [ ! -e $PWD/$OUT/stop ]; do if [ -e $PWD/$OUT/tick.\$i ]; then echo "\$(date +%s%3N)"; i=\$((i+1)); fi; sleep 0.01; done']
workflows:
  - name: big
    nodes: [{id: n, task: big}]
  - name: ticker
    nodes: [{id: t, task: ticker}]
EOF
"$FLYTEC" serve --repo "$OUT/repo" --data-dir "$OUT/data" --listen 127.0.0.1:0 --port-file "$OUT/port" --no-scheduler \
	2>"$OUT/serve.log" &
SERVER=$!
for _ in $(seq 1 100); do [ -s "$OUT/port" ] && break; sleep 0.05; done
URL=http://127.0.0.1:$(cat "$OUT/port")
launch() {
	for _ in $(seq 1 100); do curl -sf "$URL/api/v1/launch_plans/bench/development/$1" >/dev/null && break; sleep 0.05; done
	curl -sf -X POST -H 'Content-Type: application/json' "$URL/api/v1/executions" --data-binary \
		"{\"project\":\"bench\",\"domain\":\"development\",\"name\":\"$2\",\"spec\":{\"launchPlan\":{\"project\":\"bench\",\"domain\":\"development\",\"name\":\"$1\"}}}" >/dev/null
}
phase() { curl -s "$URL/api/v1/executions/bench/development/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["closure"]["phase"])'; }

echo "-- 1. a finished attempt's 64 MiB log in 4 MiB pieces vs cat"
launch big b1
for _ in $(seq 1 600); do [ "$(phase b1)" = SUCCEEDED ] && break; sleep 0.1; done
file=$(ls "$OUT"/data/propeller/bench-development-b1/n/data/0/stdout.log)
t0=$(now_ms); cat "$file" > /dev/null; t1=$(now_ms)
off=0 t2=$(now_ms)
while :; do
	curl -s -D "$OUT/h" -o /dev/null "$URL/api/v1/logs/bench/development/b1/n?offset=$off&limit=4194304"
	off=$(sed -n 's/^X-Log-Next-Offset: *//Ip' "$OUT/h" | tr -d '\r')
	grep -qi '^X-Log-Complete: true' "$OUT/h" && break
done
t3=$(now_ms)
cat_ms=$((t1 - t0)) api_ms=$((t3 - t2))
[ "$cat_ms" -gt 0 ] || cat_ms=1
echo "bytes=$off cat_ms=$cat_ms endpoint_ms=$api_ms endpoint_MiB_per_s=$((64 * 1000 / (api_ms > 0 ? api_ms : 1))) ratio_vs_cat=$(echo "scale=1; $api_ms / $cat_ms" | bc)"

echo "-- 2. follow latency over $SAMPLES lines (write -> follower answered)"
launch ticker t1
for _ in $(seq 1 600); do [ "$(phase t1)" = RUNNING ] && break; sleep 0.1; done
sleep 1
off=0
: > "$OUT/lat"
for i in $(seq 0 $((SAMPLES - 1))); do
	( sleep 0.3; touch "$OUT/tick.$i" ) &
	toucher=$!
	while :; do
		curl -s -D "$OUT/h" -o "$OUT/b" "$URL/api/v1/logs/bench/development/t1/t?offset=$off&follow=1"
		got=$(now_ms)
		off=$(sed -n 's/^X-Log-Next-Offset: *//Ip' "$OUT/h" | tr -d '\r')
		[ -s "$OUT/b" ] && break
	done
	echo $((got - $(tail -n 1 "$OUT/b"))) >> "$OUT/lat"
	wait "$toucher"
done
sort -n "$OUT/lat" | awk '{a[NR]=$1} END {printf "samples=%d p50_ms=%d max_ms=%d (recheck every 500 ms: expected <= ~500 + curl)\n", NR, a[int((NR+1)/2)], a[NR]}'

echo "-- 3. $FOLLOWERS followers waiting at once"
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
pids=()
for i in $(seq 1 "$FOLLOWERS"); do
	curl -s -o /dev/null "$URL/api/v1/logs/bench/development/t1/t?offset=$off&follow=1" &
	pids+=($!)
done
sleep 1
c0=$(cpu); t0=$(now_ms)
sleep 5
c1=$(cpu); t1=$(now_ms)
r0=$(now_ms); curl -sf "$URL/api/v1/executions/bench/development/t1" > /dev/null; r1=$(now_ms)
echo "followers=$FOLLOWERS server_cpu_pct=$(echo "scale=2; ($c1 - $c0) * 100000 / $tck / ($t1 - $t0)" | bc) other_request_ms=$((r1 - r0))"
touch "$OUT/stop"
kill "${pids[@]}" 2>/dev/null || true
wait "${pids[@]}" 2>/dev/null || true
