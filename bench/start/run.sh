#!/usr/bin/env bash
# Start-up cost of flytec's commands (issue 12; docs/architecture.md, "Process start"): CPU time (task-clock) and
# page faults of one run, the mean of $REPS runs under `perf stat`, against an empty C program measured in the same
# run (the floor: exec, the dynamic loader and the C library). BEFORE=PATH/flytec adds another build's figures for
# the same commands (an older checkout, or LIGHT_STATIC=0), measured right after each of this build's.
#   bash bench/start/run.sh            FLYTEC (default bin/flytec), REPS (default 50), BEFORE (optional)
set -eu
cd "$(dirname "$0")/../.."
flytec=${FLYTEC:-bin/flytec}
before=${BEFORE:-}
reps=${REPS:-50}
out=${BENCH_OUT:-bench/out/start}
if ! command -v perf > /dev/null; then
  echo "bench/start: perf (Debian's linux-perf) is not installed; skipping"
  exit 0
fi
rm -rf "$out"
mkdir -p "$out/spec"
printf 'int main(void) { return 0; }\n' > "$out/empty.c"
cc -O2 -o "$out/empty" "$out/empty.c"
cp examples/workflows/hello.yaml "$out/spec/"

# measure COMMAND...: "task-clock-ms page-faults" of one run (mean of $reps)
measure() {
  perf stat -o "$out/perf" -x, -e task-clock,page-faults -r "$reps" "$@" > /dev/null 2>&1 </dev/null \
    || { echo "bench/start: failed: $*" >&2; exit 1; }
  awk -F, '$3 ~ /^task-clock/ { t = $1 } $3 ~ /^page-faults/ { p = $1 } END { printf "%.2f %d", t, p }' "$out/perf"
}
libs() { ldd "$1" | grep -c '=>' || true; }

read -r empty_ms empty_pf <<< "$(measure "$out/empty")"
echo "binaries: $flytec ($(libs "$flytec") shared libraries)${before:+, before: $before ($(libs "$before"))}; $reps runs each"
printf '%-34s %9s %7s %9s' command "cpu ms" faults "x empty"
[ -z "$before" ] || printf ' %10s %7s %8s' "before ms" faults speedup
printf '\n'
printf '%-34s %9s %7s %9s\n' "(empty C program)" "$empty_ms" "$empty_pf" 1.00
# row LABEL ARGS...: flytec ARGS (and the before build's)
row() {
  local label=$1 ms pf bms bpf
  shift
  read -r ms pf <<< "$(measure "$flytec" "$@")"
  printf '%-34s %9s %7s %9.2f' "$label" "$ms" "$pf" "$(echo "$ms / $empty_ms" | bc -l)"
  if [ -n "$before" ]; then
    read -r bms bpf <<< "$(measure "$before" "$@")"
    printf ' %10s %7s %8.2f' "$bms" "$bpf" "$(echo "$bms / $ms" | bc -l)"
  fi
  printf '\n'
}
row "--version" --version
row "compile -q (hello.yaml)" compile -q "$out/spec"
row "compile -q -o DIR (hello.yaml)" compile -q -o "$out/pb" "$out/spec"
row "run hello.yaml (2 tasks)" run "$out/spec/hello.yaml" --data-dir "$out/data" --input name=bench
row "schedule next (cron)" schedule next "0 3 * * MON-FRI" -n 5
row "serve --help (flytec-full)" serve --help
