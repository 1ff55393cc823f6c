#!/usr/bin/env bash
# bench/admin/exec_get_pair.sh FLYTEC LABEL DB [N]: one server binary on a store filled by bench_exec (N executions,
# default 100000, named e000000...): the bare sqlite lookup rate for 5 s, wrk 10 s on random names of the N, wrk
# 10 s on random names of the first 1,000 (a hot set), the bare rate again; one line with both ratios against the
# higher bare rate. Run it alternately with two binaries on the same DB to compare them under the same load
# (bench/RESULTS.md, "execution GETs cached"). Needs bench_exec built as exec_bench.sh builds it, in BENCH_EXEC.
set -eu
B=$1 L=$2 DB=$3 N=${4:-100000}
BENCH_EXEC=${BENCH_EXEC:-bench/out/admin-exec/bench_exec}
D=$(mktemp -d)
S=""
cleanup() { [ -n "$S" ] && kill "$S" 2>/dev/null && wait "$S" 2>/dev/null; rm -rf "$D"; true; }
trap cleanup EXIT
for set in all:$N hot:1000; do
	cat >"$D/${set%%:*}.lua" <<LUA
math.randomseed(7)
request = function()
  return wrk.format("GET", string.format("/api/v1/executions/bench/development/e%06d", math.random(0, ${set#*:} - 1)))
end
LUA
done
"$B" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$D/port" --threads 2 --no-executor --no-scheduler \
	2>"$D/serve.log" &
S=$!
for _ in $(seq 1 200); do [ -s "$D/port" ] && break; sleep 0.05; done
P=$(cat "$D/port")
rate() { "$BENCH_EXEC" lookup "$DB" "$N" 5 | sed -n 's/^sqlite_execution_lookup_per_s=\([0-9]*\).*/\1/p'; }
b=$(rate)
r=$(wrk -t2 -c16 -d10s -s "$D/all.lua" "http://127.0.0.1:$P" | awk '/Requests\/sec/ {print int($2)}')
h=$(wrk -t2 -c16 -d10s -s "$D/hot.lua" "http://127.0.0.1:$P" | awk '/Requests\/sec/ {print int($2)}')
a=$(rate)
m=$((b > a ? b : a))
echo "$L $(date -u +%H:%M:%S) load=$(cut -d' ' -f1 /proc/loadavg) sqlite_before=$b sqlite_after=$a" \
	"random_$N=$r hot_1000=$h ratio_random=$(awk -v x="$r" -v y="$m" 'BEGIN{printf "%.2f", x/y}')" \
	"ratio_hot=$(awk -v x="$h" -v y="$m" 'BEGIN{printf "%.2f", x/y}')"
