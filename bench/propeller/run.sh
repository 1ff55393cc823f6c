#!/usr/bin/env bash
# Propeller benchmark: `flytec run` on DAGs of no-op tasks (a raw-container task running /bin/true as an argv)
# against `make -j2` running the same command for every node, with the same dependencies, from a generated
# Makefile. Both run in the same run, interleaved (flytec, make, flytec, make, ...): the machine is shared and
# noisy, only ratios measured side by side mean something. Wall time is what is compared (a DAG run is about
# latency as much as CPU).
#   bash bench/propeller/run.sh [SIZES...]          (default: 1000 10000)
# Environment: REPS (runs of each, median; default 3), SHAPES (default "chain fanout random"), FLYTEC (default
# bin/flytec), PARALLELISM (flytec --max-parallelism; default: the engine's default, 25), DATA_ROOT (where the
# data directories go; default bench/out/propeller, on disk like flytec's default .flytec/data; /dev/shm takes the
# file system out of the comparison).
# Prints one line per shape and size: median wall seconds of each, the ratio (the median of the REPS ratios of
# runs made side by side; target: at most 1.5), the engine's peak RSS, peak RSS per node, and the engine's own
# count of node state bytes per node (prop_engine_stats).
set -eu
cd "$(dirname "$0")/../.."
flytec=${FLYTEC:-bin/flytec}
out=bench/out/propeller
data_root=${DATA_ROOT:-$out}
sizes=${*:-1000 10000}
reps=${REPS:-3}
shapes=${SHAPES:-chain fanout random}
par=${PARALLELISM:+--max-parallelism $PARALLELISM}
mkdir -p "$out" "$data_root"

for tool in snakemake cwltool; do
  if command -v "$tool" > /dev/null; then
    echo "note: $tool is installed, but this script does not drive it yet"
  else
    echo "note: $tool is not installed: no comparison with it"
  fi
done
echo "flytec: $flytec; make: $(make --version | head -1); $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
# What a file system inode costs where the data directories go (each attempt creates about 8: its directories,
# run.lock, the logs, the exit record); make creates none.
fs_us=$(python3 -c '
import os, shutil, sys, time
d = os.path.join(sys.argv[1], "fs-probe")
shutil.rmtree(d, ignore_errors=True)
os.mkdir(d)
t = time.time()
for i in range(500):
    os.mkdir(os.path.join(d, "d%d" % i))
    open(os.path.join(d, "f%d" % i), "w").close()
print("%.0f" % ((time.time() - t) / 1000 * 1e6))
shutil.rmtree(d)' "$data_root")
echo "data directories under $data_root ($(df --output=fstype "$data_root" | tail -1 | tr -d ' '), ${fs_us} us per file or directory created)"

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '%-7s %6s %10s %10s %7s %9s %10s %11s\n' shape nodes "flytec s" "make s" ratio "peak MB" "KB/node" "state B/node"
for n in $sizes; do
  for shape in $shapes; do
    base="$out/$shape-$n"
    [ -f "$base.yaml" ] && [ -f "$base.mk" ] || python3 bench/propeller/gen.py "$shape" "$n" "$out"
    : > "$out/times"
    for rep in $(seq "$reps"); do
      data="$data_root/data-$shape-$n"
      rm -rf "$data"
      /usr/bin/time -o "$out/time" -f '%e %M' "$flytec" run "$base.yaml" --data-dir "$data" --stats $par \
        > "$out/run.out" 2> "$out/run.err" || { echo "flytec run failed:" >&2; tail "$out/run.err" >&2; exit 1; }
      grep -q succeeded "$out/run.out" || { echo "flytec run did not succeed" >&2; exit 1; }
      read -r ft rss < "$out/time"
      stats=$(grep '^stats:' "$out/run.err")
      nodes=$(sed 's/.* nodes=\([0-9]*\).*/\1/' <<< "$stats")
      state=$(sed 's/.* node_bytes=\([0-9]*\).*/\1/' <<< "$stats")
      started=$(sed 's/.* tasks_started=\([0-9]*\).*/\1/' <<< "$stats")
      [ "$started" = "$n" ] || { echo "$started tasks started, expected $n" >&2; exit 1; }
      /usr/bin/time -o "$out/time" -f '%e' make -s -j2 -f "$base.mk" > /dev/null
      mt=$(cat "$out/time")
      echo "$ft $mt $rss $state $nodes $(echo "$ft / $mt" | bc -l)" >> "$out/times"
      rm -rf "$data"
    done
    ft=$(cut -d' ' -f1 "$out/times" | median)
    mt=$(cut -d' ' -f2 "$out/times" | median)
    rss=$(cut -d' ' -f3 "$out/times" | median)
    ratio=$(cut -d' ' -f6 "$out/times" | median)
    read -r _ _ _ state nodes _ < "$out/times"
    printf '%-7s %6d %10.2f %10.2f %7.2f %9.1f %10.2f %11.0f\n' "$shape" "$n" "$ft" "$mt" \
      "$ratio" "$(echo "$rss / 1024" | bc -l)" "$(echo "$rss / $n" | bc -l)" \
      "$(echo "$state / $nodes" | bc -l)"
  done
done
