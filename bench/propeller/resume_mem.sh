#!/usr/bin/env bash
# The engine's memory alone, without the compiler in the process (issue 12: at most 1 KB per node): a `flytec run`
# of the random DAG is killed with -9 as soon as its attempt journal exists (the execution is in the state store,
# a few tasks have started), then `flytec run --resume` loads it back from the store and runs it to the end. Its
# peak RSS, less the peak of a resume with nothing to do (libraries, sqlite, the supervisor's pipes), over the
# node count is the engine's memory per node.
#   bash bench/propeller/resume_mem.sh [SIZES...]       (default: 10000 100000)
# Environment: FLYTEC (default bin/flytec), DATA_ROOT (default bench/out/propeller, on disk), KILL_AT (a fraction
# such as 0.9: kill once that share of the tasks have ended, so that the resume loads that many finished nodes'
# rows and journal records; default: as soon as the journal exists).
set -eu
cd "$(dirname "$0")/../.."
. bench/lib.sh
flytec=${FLYTEC:-bin/flytec}
out=bench/out/propeller
data_root=${DATA_ROOT:-$out}
sizes=${*:-10000 100000}
mkdir -p "$out" "$data_root"
echo "flytec: $flytec; $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
empty="$data_root/data-resume-empty"
rm -rf "$empty"
/usr/bin/time -o "$out/time" -f '%M' "$flytec" run --resume --data-dir "$empty" > /dev/null 2>&1 || true
base_kb=$(tail -1 "$out/time")
rm -rf "$empty"
printf 'empty resume: %.1f MB\n' "$(echo "$base_kb / 1024" | bc -l)"
echo "killed once the journal exists${KILL_AT:+ and a share $KILL_AT of the tasks have ended}"
printf '%-7s %7s %9s %8s %8s %10s %11s\n' shape nodes "resume s" "peak MB" "over MB" "KB/node" "state B/node"
for n in $sizes; do
  base="$out/random-$n"
  [ -f "$base.yaml" ] || python3 bench/propeller/gen.py random "$n" "$out"
  data="$data_root/data-resume-$n"
  rm -rf "$data"
  "$flytec" run "$base.yaml" --data-dir "$data" > /dev/null 2>&1 &
  pid=$!
  want=$(echo "$n * ${KILL_AT:-0} / 1" | bc)
  for _ in $(seq 6000); do # up to 10 minutes: the compiler runs first
    if compgen -G "$data/*/attempts.log" > /dev/null; then
      [ "$want" -eq 0 ] && break
      [ "$(cat "$data"/*/attempts.log | grep -c '^E ')" -ge "$want" ] && break
    fi
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  compgen -G "$data/*/attempts.log" > /dev/null || { echo "the run ended before its journal existed" >&2; exit 1; }
  /usr/bin/time -o "$out/time" -f '%e %M' "$flytec" run --resume --data-dir "$data" --stats \
    > "$out/run.out" 2> "$out/run.err" || { echo "flytec run --resume failed:" >&2; tail "$out/run.err" >&2; exit 1; }
  grep -q "workflow SUCCEEDED" "$out/run.err" || { echo "the resumed run did not succeed" >&2; tail "$out/run.err" >&2; exit 1; }
  read -r rt rss < "$out/time"
  stats=$(grep '^stats:' "$out/run.err")
  nodes=$(sed 's/.* nodes=\([0-9]*\).*/\1/' <<< "$stats")
  state=$(sed 's/.* node_bytes=\([0-9]*\).*/\1/' <<< "$stats")
  rm -rf "$data"
  printf '%-7s %7d %9.2f %8.1f %8.1f %10.2f %11.0f\n' random "$n" "$rt" "$(echo "$rss / 1024" | bc -l)" \
    "$(echo "($rss - $base_kb) / 1024" | bc -l)" "$(echo "($rss - $base_kb) / $n" | bc -l)" \
    "$(echo "$state / $nodes" | bc -l)"
  bench_target "engine memory, random $n nodes (KB/node)" "$(printf %.2f "$(echo "($rss - $base_kb) / $n" | bc -l)")" \
    "<=" 1 "peak RSS of a resume over an empty resume"
done
