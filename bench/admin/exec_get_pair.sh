#!/usr/bin/env bash
# bench/admin/exec_get_pair.sh FLYTEC LABEL DB [N]: one server binary on a store filled by bench_exec (N executions,
# default 100000, named e000000...): the bare sqlite lookup rate for 5 s, wrk 10 s on random names of the N, wrk
# 10 s on random names of the first 1,000 (a hot set), the bare rate again; one line with both ratios against the
# higher bare rate. Run it alternately with two binaries on the same DB to compare them under the same load
# (bench/RESULTS.md, "execution GETs cached"). Needs bench_exec built as exec_bench.sh builds it, in BENCH_EXEC.
# Two ratios per set: ratio_* is the issue's measure, wall rates (the API's requests a second with wrk and the
# server sharing the two cores, over the bare rate of one thread); cpu_ratio_* sets the CPU time (user + system) of
# one bare lookup against the server process's CPU time per GET (from /proc/PID/stat over the wrk run, wrk's own
# CPU excluded), which other processes' load moves much less. Each baseline is the cheaper of before/after.
set -eu
B=$1 L=$2 DB=$3 N=${4:-100000}
BENCH_EXEC=${BENCH_EXEC:-bench/out/admin-exec/bench_exec}
D=$(mktemp -d)
S=""
cleanup() { [ -n "$S" ] && kill "$S" 2>/dev/null && wait "$S" 2>/dev/null; rm -rf "$D"; true; }
trap cleanup EXIT
"$B" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$D/port" --threads 2 --no-executor --no-scheduler \
	2>"$D/serve.log" &
S=$!
for _ in $(seq 1 200); do [ -s "$D/port" ] && break; sleep 0.05; done
P=$(cat "$D/port")
# the bare lookups: "RATE CPU_US_PER_LOOKUP"
rate() {
	"$BENCH_EXEC" lookup "$DB" "$N" 5 |
		sed -n 's/^sqlite_execution_lookup_per_s=\([0-9]*\) cpu_us_per_lookup=\([0-9.]*\).*/\1 \2/p'
}
ticks() { awk '{print $14 + $15}' "/proc/$S/stat"; } # user + system clock ticks of the server
# wrk on random names of the first $1 (bench/admin/exec_get.lua): "REQUESTS_PER_S SERVER_CPU_US_PER_REQUEST"
get() {
	local t0 t1 out
	t0=$(ticks)
	out=$(wrk -t2 -c16 -d10s -s "$(dirname "$0")/exec_get.lua" "http://127.0.0.1:$P" -- "$1")
	t1=$(ticks)
	echo "$out" | awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '/ requests in / {n = $1}
		/Requests\/sec/ {r = int($2)} END {printf "%d %.1f\n", r, t * 1e6 / hz / n}'
}
read -r b bc <<<"$(rate)"
read -r r rc <<<"$(get "$N")"
read -r h hc <<<"$(get 1000)"
read -r a ac <<<"$(rate)"
m=$((b > a ? b : a))
mc=$(awk -v x="$bc" -v y="$ac" 'BEGIN{print (x < y ? x : y)}')
div() { awk -v x="$1" -v y="$2" 'BEGIN{printf "%.2f", x / y}'; }
echo "$L $(date -u +%H:%M:%S) load=$(cut -d' ' -f1 /proc/loadavg) sqlite_before=$b sqlite_after=$a" \
	"random_$N=$r hot_1000=$h ratio_random=$(div "$r" "$m") ratio_hot=$(div "$h" "$m")" \
	"sqlite_cpu_us=$bc/$ac server_cpu_us_random=$rc server_cpu_us_hot=$hc" \
	"cpu_ratio_random=$(div "$mc" "$rc") cpu_ratio_hot=$(div "$mc" "$hc")"
