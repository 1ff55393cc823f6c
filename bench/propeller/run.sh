#!/usr/bin/env bash
# Propeller benchmark: `flytec run` on DAGs of no-op tasks (a raw-container task running /bin/true as an argv)
# against `make -j2` and `ninja -j2` running the same command for every node, with the same dependencies, from a
# generated Makefile and build.ninja. All run in the same run, interleaved (flytec, make, ninja, flytec, ...): the
# machine is shared and noisy, only ratios measured side by side mean something. Wall time is what is compared (a
# DAG run is about latency as much as CPU). Then the scale check: the random DAG at SCALE sizes (default 10000
# and 100000), flytec alone, once each: seconds, the cost ratio of the largest to the smallest, memory per node.
#   bash bench/propeller/run.sh [SIZES...]          (default: 1000 10000)
# Environment: REPS (runs of each, median; default 3), SHAPES (default "chain fanout random"), FLYTEC (default
# bin/flytec), PARALLELISM (flytec --max-parallelism; default: the engine's default, 25), DATA_ROOT (where the
# data directories go; default bench/out/propeller, on disk like flytec's default .flytec/data; /dev/shm takes the
# file system out of the comparison).
# Prints one line per shape and size: median wall seconds of each, the ratios (the median of the REPS ratios of
# runs made side by side; targets: at most 1.5x make, at most 2x ninja), the engine's peak RSS, peak RSS per node,
# and the engine's own count of node state bytes per node (prop_engine_stats). SCALE="" skips the scale check
# and the engine-alone memory measure that follows it (resume_mem.sh; ENGINE_MEM=0 skips only the latter).
set -eu
cd "$(dirname "$0")/../.."
. bench/lib.sh
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
command -v ninja > /dev/null || { echo "ninja is not installed (tools/deps.sh installs ninja-build)" >&2; exit 1; }
echo "flytec: $flytec; make: $(make --version | head -1); ninja $(ninja --version); $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
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

targets=()
printf '%-7s %6s %9s %7s %8s %7s %8s %8s %8s %11s\n' shape nodes "flytec s" "make s" "ninja s" "x make" "x ninja" \
  "peak MB" "KB/node" "state B/node"
for n in $sizes; do
  for shape in $shapes; do
    base="$out/$shape-$n"
    [ -f "$base.yaml" ] && [ -f "$base.mk" ] && [ -f "$base.ninja" ] || python3 bench/propeller/gen.py "$shape" "$n" "$out"
    nj_dir="$out/ninja-$shape-$n"
    mkdir -p "$nj_dir"
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
      rm -f "$nj_dir/.ninja_log"
      /usr/bin/time -o "$out/time" -f '%e' ninja -j2 -C "$nj_dir" -f "$PWD/$base.ninja" > /dev/null
      nt=$(cat "$out/time")
      echo "$ft $mt $rss $state $nodes $(echo "$ft / $mt" | bc -l) $nt $(echo "$ft / $nt" | bc -l)" >> "$out/times"
      rm -rf "$data"
    done
    ft=$(cut -d' ' -f1 "$out/times" | median)
    mt=$(cut -d' ' -f2 "$out/times" | median)
    rss=$(cut -d' ' -f3 "$out/times" | median)
    ratio=$(cut -d' ' -f6 "$out/times" | median)
    nt=$(cut -d' ' -f7 "$out/times" | median)
    nratio=$(cut -d' ' -f8 "$out/times" | median)
    read -r _ _ _ state nodes _ < "$out/times"
    printf '%-7s %6d %9.2f %7.2f %8.2f %7.2f %8.2f %8.1f %8.2f %11.0f\n' "$shape" "$n" "$ft" "$mt" "$nt" \
      "$ratio" "$nratio" "$(echo "$rss / 1024" | bc -l)" "$(echo "$rss / $n" | bc -l)" \
      "$(echo "$state / $nodes" | bc -l)"
    targets+=("$shape $n|$ratio|$nratio")
  done
done
fs=$(df --output=fstype "$data_root" | tail -1 | tr -d ' ')
for t in "${targets[@]}"; do
  IFS='|' read -r what ratio nratio <<< "$t"
  bench_target "run $what no-op tasks / make -j2" "$(printf %.2f "$ratio")" "<=" 1.5 "wall, same DAG, data on $fs"
  bench_target "run $what no-op tasks / ninja -j2" "$(printf %.2f "$nratio")" "<=" 2 "wall, same DAG, data on $fs"
done

# Scale: the random DAG, flytec alone. Cost should be linear (each size's seconds over the previous size's at
# most the size ratio times 1.2: 12 for 100,000 vs 10,000), the engine's node state at most 1 KB per node.
scale=${SCALE-10000 100000}
[ -n "$scale" ] || exit 0
echo "scale (random DAG, flytec alone, data under $data_root):"
printf '%-7s %7s %9s %8s %8s %8s %11s %9s\n' shape nodes "flytec s" "cpu s" "peak MB" "KB/node" "state B/node" \
  "us/node"
first_n="" first_t="" first_c="" # the previous size
for n in $scale; do
  base="$out/random-$n"
  [ -f "$base.yaml" ] || python3 bench/propeller/gen.py random "$n" "$out"
  data="$data_root/data-scale-$n"
  rm -rf "$data"
  # cpu s: the engine process's own CPU (user + sys; its tasks are the supervisor's children), which the
  # machine's load does not inflate as much as wall time.
  /usr/bin/time -o "$out/time" -f '%e %M %U %S' "$flytec" run "$base.yaml" --data-dir "$data" --stats $par \
    > "$out/run.out" 2> "$out/run.err" || { echo "flytec run failed:" >&2; tail "$out/run.err" >&2; exit 1; }
  grep -q succeeded "$out/run.out" || { echo "flytec run did not succeed" >&2; exit 1; }
  rm -rf "$data"
  read -r ft rss cu cs < "$out/time"
  ct=$(echo "$cu + $cs" | bc -l)
  stats=$(grep '^stats:' "$out/run.err")
  state=$(sed 's/.* node_bytes=\([0-9]*\).*/\1/' <<< "$stats")
  started=$(sed 's/.* tasks_started=\([0-9]*\).*/\1/' <<< "$stats")
  [ "$started" = "$n" ] || { echo "$started tasks started, expected $n" >&2; exit 1; }
  printf '%-7s %7d %9.2f %8.2f %8.1f %8.2f %11.0f %9.0f\n' random "$n" "$ft" "$ct" "$(echo "$rss / 1024" | bc -l)" \
    "$(echo "$rss / $n" | bc -l)" "$(echo "$state / $n" | bc -l)" "$(echo "$ft * 1000000 / $n" | bc -l)"
  if [ -n "$first_n" ]; then
    printf 'cost %d/%d nodes: wall %.2f, engine cpu %.2f (linear: %.0f; target at most %.0f)\n' "$n" "$first_n" \
      "$(echo "$ft / $first_t" | bc -l)" "$(echo "$ct / $first_c" | bc -l)" "$(echo "$n / $first_n" | bc -l)" \
      "$(echo "$n / $first_n * 1.2" | bc -l)"
    bench_target "run random $n / $first_n nodes, engine cpu" "$(printf %.2f "$(echo "$ct / $first_c" | bc -l)")" \
      "<=" "$(printf %.0f "$(echo "$n / $first_n * 1.2" | bc -l)")" "linear: $(echo "$n / $first_n" | bc)"
  fi
  first_n=$n first_t=$ft first_c=$ct # the next size is compared with this one
done
# The engine alone at the same sizes (no compiler in the process: a resume from the state store), the figure the
# 1 KB per node target is about; ENGINE_MEM=0 skips it.
[ "${ENGINE_MEM:-1}" = 0 ] && exit 0
echo "engine alone (bench/propeller/resume_mem.sh; target at most 1 KB per node):"
FLYTEC=$flytec DATA_ROOT=$data_root bash bench/propeller/resume_mem.sh $scale
