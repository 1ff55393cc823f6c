# bench/lib.sh: sourced by the benchmarks. bench_target records one of the product's measured targets so that
# `make bench` (bench/run.sh) can end with one table of all of them, met or not, beside what each bench prints.
#   bench_target NAME VALUE OP LIMIT [NOTE]
# NAME: what is measured ("compile 100k chain / bare parse"); VALUE: the figure measured in this run (a number,
# or "nan" when it could not be measured); OP: "<=" or ">=" or "<" or ">"; LIMIT: the target; NOTE: the baseline
# or the conditions (e.g. "vs ninja -n, same DAG"). Lines go to $FLYTEC_BENCH_TARGETS when set (tab-separated:
# name, value, op, limit, verdict, note) and are echoed as "target: ..." either way.
bench_target() {
  local name=$1 value=$2 op=$3 limit=$4 note=${5:-} verdict
  verdict=$(awk -v v="$value" -v o="$op" -v l="$limit" 'BEGIN {
    if (v == "nan" || v == "") { print "not measured"; exit }
    v += 0; l += 0
    ok = (o == "<=") ? v <= l : (o == ">=") ? v >= l : (o == "<") ? v < l : (o == ">") ? v > l : 0
    print ok ? "met" : "MISSED" }')
  printf 'target: %s = %s (%s %s) %s%s\n' "$name" "$value" "$op" "$limit" "$verdict" "${note:+; $note}"
  if [ -n "${FLYTEC_BENCH_TARGETS:-}" ]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$value" "$op" "$limit" "$verdict" "$note" >> "$FLYTEC_BENCH_TARGETS"
  fi
}
