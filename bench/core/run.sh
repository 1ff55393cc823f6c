#!/usr/bin/env bash
# bench/core/run.sh: the proto3 JSON mapping (core/pbjson.c) rendering text straight from the message, against
# the jansson-tree path in the same run (bench_pbjson.c says what is measured).
# Sizes: PBJSON_BENCH_NODES (node executions, default 10000), PBJSON_BENCH_CLOSURE_NODES (default 10000),
# PBJSON_BENCH_SAMPLES (default 20).
set -eu
cd "$(dirname "$0")/../.." || exit 2
NODES=${PBJSON_BENCH_NODES:-10000}
CLOSURE_NODES=${PBJSON_BENCH_CLOSURE_NODES:-10000}
SAMPLES=${PBJSON_BENCH_SAMPLES:-20}
BUILD=${BUILD:-build/plain}
COMPILED=${PBJSON_BENCH_CLOSURE:-../shared/flyte-testdata/snacks-core/compiled/010_core.containerization.raw_container.wf_2_wf.json}
OUT=bench/out/core
rm -rf "$OUT"
mkdir -p "$OUT"
PKGS="yaml-0.1 libprotobuf-c jansson sqlite3 libcurl libmicrohttpd libarchive libcrypto libpcre2-8"
gcc -std=c11 -D_GNU_SOURCE -O2 -I. -I"$BUILD/gen" $(pkg-config --cflags $PKGS) -o "$OUT/bench_pbjson" \
	bench/core/bench_pbjson.c "$BUILD/libflytec.a" $(pkg-config --libs $PKGS) -lm -lpthread
echo "-- pbjson: $NODES node executions, a compiled closure of $CLOSURE_NODES nodes, $SAMPLES samples each way"
"$OUT/bench_pbjson" "$NODES" "$CLOSURE_NODES" "$SAMPLES" "$COMPILED" | tee "$OUT/results.txt"
