#!/usr/bin/env bash
# bench/scheduler/run.sh: the scheduler's benchmark (bench_sch.c says what each figure is and its baseline).
#   1. load and arm SCH_BENCH_N schedules (default 100000) vs the store's own listing of them; memory per schedule;
#   2. CPU over SCH_BENCH_IDLE seconds of idle (default 10; the figure is also scaled to a minute);
#   3. delay from slot time to execution creation, p50/p99, for SCH_BENCH_LATENCY_N (default 1000) slots due at
#      the same minute, on the real clock (waits for the next minute boundary: up to 60 s);
#   4. burst: SCH_BENCH_BURST_N (default 1000) slots due at once on the manual clock, fires batched vs one
#      transaction per fire (the baseline), p50/p99 of slot -> execution; then SCH_BENCH_BURST_ROUNDS (default 20;
#      0 skips it) batched bursts a minute apart on one store, one line each (a store that already holds earlier
#      bursts: bench/RESULTS.md, "2026-12-07 h4F"); 4b. the same burst on a fresh store and on a store grown by
#      SCH_BENCH_GROWN_K earlier bursts (default 40), in one run;
#   5. with jitter: lateness after the jittered fire time, p50/p99, for SCH_BENCH_JITTER_N (default 100000) slots due
#      at one minute with jitter SCH_BENCH_JITTER_S (default 30; 0 plans skip it).
set -eu
cd "$(dirname "$0")/../.." || exit 2
. bench/lib.sh
N=${SCH_BENCH_N:-100000}
IDLE=${SCH_BENCH_IDLE:-10}
LAT=${SCH_BENCH_LATENCY_N:-1000}
BUILD=${BUILD:-build/plain}
OUT=bench/out/scheduler
rm -rf "$OUT"
mkdir -p "$OUT"
PKGS="yaml-0.1 libprotobuf-c jansson sqlite3 libcurl libmicrohttpd libarchive libcrypto libpcre2-8"
gcc -std=c11 -D_GNU_SOURCE -O2 -I. -I"$BUILD/gen" $(pkg-config --cflags $PKGS) -o "$OUT/bench_sch" \
	bench/scheduler/bench_sch.c "$BUILD/libflytec.a" $(pkg-config --libs $PKGS) -lm -lpthread
echo "-- scheduler: $N schedules, $IDLE s idle, $LAT slots due at one minute"
"$OUT/bench_sch" "$OUT" "$N" "$IDLE" "$LAT" | tee "$OUT/results.txt"
# 4. burst: SCH_BENCH_BURST_N slots due at once (manual clock), batched fires vs one transaction per fire
BN=${SCH_BENCH_BURST_N:-1000}
echo "-- scheduler: $BN slots due at once, batched vs one transaction per fire"
"$OUT/bench_sch" burst "$OUT" "$BN" | tee "$OUT/burst.txt" >> "$OUT/results.txt"
cat "$OUT/burst.txt"
p99() { sed -n "s/^$1.* created_p99_ms=\([0-9.]*\).*/\1/p" "$2" | sort -g | tail -1; }
bench_target "scheduler: $BN slots due at once, p99 slot -> execution (ms)" "$(p99 burst_batched "$OUT/burst.txt")" \
  "<" 20 "fresh store; one transaction per fire: p99 $(p99 burst_one_tx_per_fire "$OUT/burst.txt") ms"
BR=${SCH_BENCH_BURST_ROUNDS:-20}
if [ "$BR" -gt 0 ]; then
  echo "-- scheduler: $BR bursts of $BN slots a minute apart on one store (batched)"
  rm -f "$OUT"/burst0.db*
  "$OUT/bench_sch" burst "$OUT" "$BN" batched "$BR" | tee -a "$OUT/results.txt"
fi
# 4b. grown store: a fresh store's burst, then SCH_BENCH_GROWN_K (default 40; 0 skips it) bursts in all, then three
#     measured ones on that grown store (pages written per burst and cache misses on each line)
GK=${SCH_BENCH_GROWN_K:-40}
if [ "$GK" -gt 0 ]; then
  echo "-- scheduler: $BN slots due at once on a fresh store, then on the same store after $GK bursts"
  "$OUT/bench_sch" burst "$OUT" "$BN" grown "$GK" 3 | tee "$OUT/grown.txt" >> "$OUT/results.txt"
  cat "$OUT/grown.txt"
  bench_target "scheduler: $BN slots at once after $GK bursts, worst p99 (ms)" "$(p99 burst_grown "$OUT/grown.txt")" \
    "<" 20 "the same store fresh: p99 $(p99 burst_fresh "$OUT/grown.txt") ms"
fi
# 5. jitter: SCH_BENCH_JITTER_N schedules (default 100000) at "* * * * *" with jitter SCH_BENCH_JITTER_S (default 30)
JN=${SCH_BENCH_JITTER_N:-100000}
JS=${SCH_BENCH_JITTER_S:-30}
if [ "$JN" -gt 0 ]; then
  echo "-- scheduler: $JN schedules with jitter ${JS}s, all due at one minute"
  "$OUT/bench_sch" jitter "$OUT" "$JN" "$JS" | tee -a "$OUT/results.txt"
fi
